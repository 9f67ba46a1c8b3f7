import { describe, expect, it } from 'vitest';
import type { Briefing } from '../../src/briefings/briefing.js';
import { editionId } from '../../src/editions/edition.js';
import { planEdition, readerTopics } from '../../src/editions/plan.js';
import { latestSlot, scheduleProblem, slotBefore } from '../../src/editions/schedule.js';
import { editionWindow } from '../../src/editions/window.js';
import { listSchema } from '../../src/publication.js';

const list = listSchema.parse({
  id: 'daily',
  name: 'Daily',
  postalAddress: '1 Main St',
  schedule: { cron: '0 7 * * *', tz: 'America/New_York' },
  topics: ['china', 'trade', 'north-korea'],
});
const topics = [
  { slug: 'china', name: 'China', terms: [], keywords: [] },
  { slug: 'trade', name: 'Trade', terms: [], keywords: [] },
  { slug: 'north-korea', name: 'North Korea', terms: [], keywords: [] },
  { slug: 'sports', name: 'Sports', terms: [], keywords: [] },
];

function briefing(id: string, publishedAt: string, topicSlugs: string[], published = true): Briefing {
  return {
    id,
    source: 's',
    sourceId: id,
    url: `https://example.com/${id}`,
    title: id,
    publishedAt,
    modifiedAt: publishedAt,
    terms: [],
    topics: topicSlugs,
    lead: `${id} lead`,
    html: '<p>x</p>',
    published,
  };
}

const window = { since: new Date('2026-03-07T12:00:00Z'), cutoff: new Date('2026-03-08T11:00:00Z') };

describe('planEdition', () => {
  it('groups the window’s briefings by the list’s topics, in list order, newest first', () => {
    const plan = planEdition(
      list,
      topics,
      window,
      [
        briefing('a', '2026-03-07T13:00:00Z', ['trade']),
        briefing('b', '2026-03-08T10:00:00Z', ['china', 'trade']),
        briefing('c', '2026-03-08T09:00:00Z', ['sports']),
      ],
      new Date('2026-03-08T11:00:01Z'),
    );
    expect(plan?.id).toBe('daily-20260308T110000Z');
    expect(plan?.sections.map((s) => [s.topic, s.briefings.map((b) => b.id)])).toEqual([
      ['china', ['b']],
      ['trade', ['b', 'a']],
    ]);
  });

  it('keeps the window’s edges: since is exclusive, cut-off inclusive; unpublished briefings are left out', () => {
    const plan = planEdition(
      list,
      topics,
      window,
      [
        briefing('at-since', '2026-03-07T12:00:00Z', ['china']),
        briefing('at-cutoff', '2026-03-08T11:00:00Z', ['china']),
        briefing('after', '2026-03-08T11:00:01Z', ['china']),
        briefing('gone', '2026-03-08T10:00:00Z', ['china'], false),
      ],
      new Date(),
    );
    expect(plan?.sections[0]?.briefings.map((b) => b.id)).toEqual(['at-cutoff']);
  });

  it('plans nothing when no briefing in the window is in the list’s topics', () => {
    expect(
      planEdition(list, topics, window, [briefing('c', '2026-03-08T09:00:00Z', ['sports'])], new Date()),
    ).toBeNull();
  });
});

describe('readerTopics', () => {
  const edition = planEdition(
    list,
    topics,
    window,
    [briefing('a', '2026-03-08T10:00:00Z', ['china', 'trade'])],
    new Date(),
  );
  if (!edition) throw new Error('fixture');

  it('gives a reader who chose nothing every topic with news', () => {
    expect(readerTopics(edition, list, [])).toEqual(['china', 'trade']);
  });

  it('gives a reader only what they follow, and nothing when their topics have no news', () => {
    expect(readerTopics(edition, list, ['trade'])).toEqual(['trade']);
    expect(readerTopics(edition, list, ['north-korea'])).toEqual([]);
  });

  it('sends the whole edition instead when the list says so', () => {
    expect(readerTopics(edition, { ...list, whenNothingFollowed: 'whole-edition' }, ['north-korea'])).toEqual([
      'china',
      'trade',
    ]);
  });
});

describe('schedules', () => {
  const schedule = { cron: '0 7 * * *', tz: 'America/New_York' };

  it('finds the latest slot in the list’s time zone across a DST change', () => {
    // 8 March 2026: clocks go forward in New York; 07:00 local is 11:00 UTC that day, 12:00 UTC the day before.
    expect(latestSlot(schedule, new Date('2026-03-08T15:00:00Z')).toISOString()).toBe('2026-03-08T11:00:00.000Z');
    expect(latestSlot(schedule, new Date('2026-03-08T10:59:59Z')).toISOString()).toBe('2026-03-07T12:00:00.000Z');
    expect(slotBefore(schedule, new Date('2026-03-08T11:00:00Z')).toISOString()).toBe('2026-03-07T12:00:00.000Z');
  });

  it('counts a time exactly on a slot as that slot', () => {
    expect(latestSlot(schedule, new Date('2026-03-08T11:00:00Z')).toISOString()).toBe('2026-03-08T11:00:00.000Z');
  });

  it('explains a bad cron expression or time zone', () => {
    expect(scheduleProblem({ cron: 'every day', tz: 'UTC' })).toMatch(/invalid cron expression "every day"/);
    expect(scheduleProblem({ cron: '0 7 * * *', tz: 'Mars/Base' })).toBe('unknown time zone "Mars/Base"');
    expect(scheduleProblem(schedule)).toBeNull();
  });

  it('derives edition ids without characters BullMQ refuses', () => {
    expect(editionId('daily', new Date('2024-08-21T07:00:00Z'))).toBe('daily-20240821T070000Z');
  });
});

describe('edition windows by availability', () => {
  const evening = listSchema.parse({
    id: 'evening',
    name: 'Evening',
    postalAddress: '1 Main St',
    schedule: { cron: '0 22 * * *', tz: 'UTC' },
    topics: ['china'],
  });
  const late = { ...briefing('late', '2026-03-01T21:58:00Z', ['china']), collectedAt: '2026-03-01T22:05:00Z' };

  it('puts a post published at 21:58Z and collected at 22:05Z into the edition after the 22:00Z slot, and only there', () => {
    const slot = editionWindow(evening, new Date('2026-03-01T22:00:00Z'), new Date('2026-02-28T22:00:00Z'));
    const next = editionWindow(evening, new Date('2026-03-02T22:00:00Z'), new Date('2026-03-01T22:00:00Z'));
    const after = editionWindow(evening, new Date('2026-03-03T22:00:00Z'), new Date('2026-03-02T22:00:00Z'));
    expect(planEdition(evening, topics, slot, [late], new Date())).toBeNull();
    expect(planEdition(evening, topics, next, [late], new Date())?.sections[0]?.briefings.map((b) => b.id)).toEqual([
      'late',
    ]);
    // An edit changes modifiedAt, never collectedAt: it is not sent again.
    const edited = { ...late, modifiedAt: '2026-03-03T09:00:00Z' };
    expect(planEdition(evening, topics, after, [edited], new Date())).toBeNull();
  });

  it('leaves out what was published more than two schedule periods (or maxAgeHours) before the cut-off', () => {
    const cutoff = new Date('2026-03-02T22:00:00Z');
    const old = { ...briefing('old', '2026-02-28T21:00:00Z', ['china']), collectedAt: '2026-03-02T10:00:00Z' };
    const window = editionWindow(evening, cutoff, new Date('2026-03-01T22:00:00Z'));
    expect(window.publishedAfter?.toISOString()).toBe('2026-02-28T22:00:00.000Z');
    expect(planEdition(evening, topics, window, [old], new Date())).toBeNull();
    const lenient = editionWindow({ ...evening, maxAgeHours: 72 }, cutoff, new Date('2026-03-01T22:00:00Z'));
    expect(planEdition(evening, topics, lenient, [old], new Date())).not.toBeNull();
  });

  it('lets a first edition with `since` carry older briefings on purpose, collected whenever', () => {
    const seeded = { ...briefing('seed', '2023-08-31T23:00:00Z', ['china']), collectedAt: '2026-12-06T00:00:00Z' };
    const window = editionWindow({ ...evening, since: '2023-01-01T00:00:00Z' }, new Date('2026-11-23T22:00:00Z'), null);
    expect(planEdition(evening, topics, window, [seeded], new Date())).not.toBeNull();
    expect(planEdition(evening, topics, window, [seeded], new Date(), new Set(['seed']))).toBeNull();
  });
});
