import { beforeAll, describe, expect, it } from 'vitest';
import type { Briefing } from '../../src/briefings/briefing.js';
import { planEdition, readerTopics } from '../../src/editions/plan.js';
import { parsePublication } from '../../src/publication.js';
import { renderTopicSet } from '../../src/render/digest.js';
import { compilePersonalizer } from '../../src/render/personalize.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { createClassifier, createScorer } from '../../src/topics/classify.js';
import { SAMPLE_READER } from '../support/digest.js';

const publication = parsePublication(
  {
    name: 'Korea Pro',
    topics: [
      { slug: 'china', name: 'China', terms: ['china'], keywords: ['China', 'Beijing'] },
      { slug: 'trade', name: 'Trade', terms: ['economy'], keywords: ['export', 'exports'] },
      { slug: 'diplomacy', name: 'Diplomacy', terms: ['diplomacy'], keywords: ['summit', 'ambassador'] },
      { slug: 'north-korea', name: 'North Korea', terms: ['north korea'], keywords: ['Pyongyang', 'Kim Jong Un'] },
      { slug: 'general', name: 'Other', terms: [], keywords: [] },
    ],
    fallbackTopic: 'general',
    lists: [
      {
        id: 'daily',
        name: 'Daily',
        postalAddress: '1 Main St',
        schedule: { cron: '0 7 * * *', tz: 'Asia/Seoul' },
        // Display order differs from configuration order on purpose.
        topics: ['north-korea', 'diplomacy', 'china', 'trade', 'general'],
      },
    ],
  },
  'test.json',
  '/',
);
const list = publication.lists[0] as (typeof publication.lists)[number];
const classify = createClassifier(publication.topics, publication.fallbackTopic);

/** Titles, leads and terms, and what the rules make of them. */
const BRIEFINGS = {
  missile: {
    title: 'Pyongyang fires a missile as Kim Jong Un watches',
    lead: 'Seoul warns ahead of a summit.',
    terms: [],
  },
  tagged: { title: 'Pyongyang sends a letter', lead: 'It arrived on Monday.', terms: ['Diplomacy'] },
  titleHit: { title: 'Export rules eased', lead: 'Beijing said Beijing would follow China.', terms: [] },
  moreHits: { title: 'China and Beijing talk exports', lead: 'Nothing else.', terms: [] },
  nothing: { title: 'Baseball season opens', lead: 'Fans return.', terms: [] },
} as const;
type Key = keyof typeof BRIEFINGS;

const briefings: Briefing[] = Object.entries(BRIEFINGS).map(([key, b], i) => ({
  id: `wp-${key}`,
  source: 'wp',
  sourceId: key,
  url: `https://koreapro.org/${key}/`,
  title: b.title,
  publishedAt: new Date(Date.parse('2024-11-30T12:00:00Z') + i * 60_000).toISOString(),
  modifiedAt: '2024-11-30T12:00:00.000Z',
  terms: [...b.terms],
  topics: classify(b),
  lead: b.lead,
  html: '<p>x</p>',
  published: true,
}));
const window = { since: new Date('2024-11-29T22:00:00Z'), cutoff: new Date('2024-11-30T22:00:00Z') };
const edition = planEdition(list, publication.topics, window, briefings, new Date('2024-11-30T22:00:01Z'));

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

/** `title → section name` as the reader's plain-text part shows it, and the section order. */
async function placement(followed: string[]) {
  if (!edition) throw new Error('no edition');
  const topics = readerTopics(edition, list, followed);
  const digest = await renderTopicSet({
    publication,
    list,
    edition,
    topics,
    archiveUrl: 'https://x.example/a',
    templates,
  });
  const mail = compilePersonalizer(digest)({ ...SAMPLE_READER, followed });
  const where = new Map<Key, string>();
  const order: string[] = [];
  let section = '';
  for (const line of mail.text.split('\n')) {
    const heading = /^== (.+) ==$/.exec(line);
    if (heading?.[1]) {
      section = heading[1];
      order.push(section);
    }
    for (const [key, b] of Object.entries(BRIEFINGS)) if (line === b.title) where.set(key as Key, section);
  }
  return { where, order, mail };
}

describe('topic scores', () => {
  const score = createScorer(publication.topics);
  it('orders a briefing’s topics: a category/tag beats a keyword, a title hit beats a lead hit, more beat fewer', () => {
    expect(classify(BRIEFINGS.missile)).toEqual(['north-korea', 'diplomacy']);
    expect(classify(BRIEFINGS.tagged)).toEqual(['diplomacy', 'north-korea']);
    expect(classify(BRIEFINGS.titleHit)).toEqual(['trade', 'china']);
    expect(classify(BRIEFINGS.moreHits)).toEqual(['china', 'trade']);
    expect(classify(BRIEFINGS.nothing)).toEqual(['general']);
    expect(score(BRIEFINGS.titleHit)).toEqual([
      { slug: 'trade', terms: 0, title: 1, lead: 0 },
      { slug: 'china', terms: 0, title: 0, lead: 3 },
    ]);
  });
});

describe('which section a reader sees a briefing in', () => {
  // followed (none = all topics) → briefing → section, or null when the reader does not get it.
  const table: [string[], Partial<Record<Key, string | null>>][] = [
    [[], { missile: 'North Korea', tagged: 'Diplomacy', titleHit: 'Trade', moreHits: 'China', nothing: 'Other' }],
    [['diplomacy'], { missile: 'Diplomacy', tagged: 'Diplomacy', titleHit: null, moreHits: null, nothing: null }],
    [['north-korea', 'diplomacy'], { missile: 'North Korea', tagged: 'Diplomacy', titleHit: null }],
    [['china'], { titleHit: 'China', moreHits: 'China', missile: null }],
    [['trade', 'china'], { titleHit: 'Trade', moreHits: 'China', nothing: null }],
    [['general', 'north-korea'], { missile: 'North Korea', tagged: 'North Korea', nothing: 'Other' }],
  ];

  it.each(table)('follows %j', async (followed, expected) => {
    const { where } = await placement(followed);
    for (const [key, section] of Object.entries(expected)) {
      expect(where.get(key as Key) ?? null, key).toBe(section);
    }
  });

  it('shows each briefing once, sections in the list’s order', async () => {
    const { where, order, mail } = await placement([]);
    expect(order).toEqual(['North Korea', 'Diplomacy', 'China', 'Trade', 'Other']);
    expect(where.size).toBe(5);
    for (const b of Object.values(BRIEFINGS)) expect(mail.text.split(`\n${b.title}\n`)).toHaveLength(2);
  });

  it('names in the footer exactly the topics the reader follows', async () => {
    const footer = (html: string) =>
      /You receive Daily because you subscribed to it and follow ([^<]*)\./.exec(html)?.[1];
    expect(footer((await placement([])).mail.html)).toBe('all topics');
    // Named in the list's order, whatever order they were chosen in.
    const three = await placement(['trade', 'north-korea', 'diplomacy']);
    expect(footer(three.mail.html)).toBe('North Korea, Diplomacy and Trade');
    expect(three.mail.text).toContain('You follow:\nNorth Korea, Diplomacy and Trade.\n');
    // A topic the list no longer offers is not named.
    expect(footer((await placement(['china', 'sports'])).mail.html)).toBe('China');
  });
});
