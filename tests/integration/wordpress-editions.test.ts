/**
 * Collection and edition planning together, against the local WordPress stand-in
 * (tests/support/wordpress-server.ts) and the test Redis: the right briefings on the right day.
 * The collector and planner run on a clock the test sets, so collection and slot times are exact.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { briefingId } from '../../src/briefings/briefing.js';
import { Collector } from '../../src/briefings/collect.js';
import { CursorStore } from '../../src/briefings/cursors.js';
import { Quarantine } from '../../src/briefings/quarantine.js';
import { BriefingStore } from '../../src/briefings/store.js';
import type { Edition } from '../../src/editions/edition.js';
import { EditionPlanner } from '../../src/editions/planner.js';
import { EditionStore } from '../../src/editions/store.js';
import { publicationSchema, sourceSchema } from '../../src/publication.js';
import { keys } from '../../src/store/keys.js';
import { createClassifier } from '../../src/topics/classify.js';
import { testRedis } from '../support/redis.js';
import { startWordPressServer, type WordPressServer } from '../support/wordpress-server.js';

const at = (iso: string) => new Date(iso);

function list(id: string, cron: string) {
  return { id, name: id, postalAddress: '1 Main St', schedule: { cron, tz: 'UTC' }, topics: ['all'] };
}

/** A collector and planner on one Redis prefix, with a clock the test moves. */
function gazette(name: string, lists: ReturnType<typeof list>[]) {
  const redis = testRedis(name);
  const client = redis.connect();
  const k = keys(redis.prefix);
  const store = new BriefingStore(client, k);
  const editions = new EditionStore(client, k);
  const publication = publicationSchema.parse({
    name: 'Test',
    topics: [{ slug: 'all', name: 'All' }],
    fallbackTopic: 'all',
    lists,
  });
  const planner = new EditionPlanner(publication, store, editions);
  let now = new Date(0);
  const collector = new Collector(
    store,
    new Quarantine(client, k),
    new CursorStore(client, k),
    createClassifier(publication.topics, 'all'),
    { now: () => now, openSince: () => planner.openSince(now) },
  );
  return {
    redis,
    store,
    editions,
    planner,
    collector,
    /** Collect `source` as if at `iso`. */
    collectAt: (source: ReturnType<typeof sourceSchema.parse>, iso: string) => {
      now = at(iso);
      return collector.collect(source);
    },
    /** Plan `listId`'s slot as if at `iso`; the edition (frozen) or null when skipped. */
    planAt: async (listId: string, iso: string): Promise<Edition | null> => {
      const outcome = await planner.plan(listId, at(iso));
      return outcome.status === 'skipped' ? null : outcome.edition;
    },
  };
}

function titles(edition: Edition | null): string[] {
  return [...new Set(edition?.sections.flatMap((s) => s.briefings.map((b) => b.title)) ?? [])].sort();
}

function ids(edition: Edition | null): string[] {
  return [...new Set(edition?.sections.flatMap((s) => s.briefings.map((b) => b.id)) ?? [])];
}

const servers: WordPressServer[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(cleanups.map((c) => c()));
});

async function site(options: Parameters<typeof startWordPressServer>[0]) {
  const server = await startWordPressServer(options);
  servers.push(server);
  return server;
}

describe('a post collected after its slot goes into the next edition, and into only one', () => {
  it('catches a scheduled post published at 21:58Z (modified unchanged), collected at 22:05Z, in the edition after the 22:00Z slot', async () => {
    const g = gazette('wp-editions-late', [list('evening', '0 22 * * *'), list('late', '0 22 * * *')]);
    cleanups.push(() => g.redis.cleanup());
    const wp = await site({ posts: 5, start: '2026-03-01T20:00:00Z' });
    const source = sourceSchema.parse({ id: 'wp', type: 'wordpress', url: wp.origin, allowPrivate: true });
    // Scheduled at 19:00 (its modified time) to go live at 21:58.
    const scheduled = wp.publish({
      title: 'Scheduled briefing',
      status: 'future',
      date: Date.parse('2026-03-01T21:58:00Z'),
      modified: Date.parse('2026-03-01T19:00:00Z'),
    });

    expect(await g.collectAt(source, '2026-03-01T21:50:00Z')).toMatchObject({ new: 5 });
    const first = await g.planAt('evening', '2026-03-01T22:00:00Z');
    expect(ids(first)).toHaveLength(5);

    wp.publishScheduled(scheduled.id); // at 21:58, modified_gmt still 19:00
    expect(wp.posts.get(scheduled.id)?.modified).toBe(Date.parse('2026-03-01T19:00:00Z'));
    expect(await g.collectAt(source, '2026-03-01T22:05:00Z')).toMatchObject({ new: 1, updated: 0 });
    const stored = await g.store.get(briefingId('wp', String(scheduled.id)));
    expect(stored).toMatchObject({ publishedAt: '2026-03-01T21:58:00.000Z', collectedAt: '2026-03-01T22:05:00.000Z' });

    // The 22:00 slot does not take it, whether it was planned before the collection or after.
    expect(titles(await g.planAt('evening', '2026-03-01T22:06:00Z'))).not.toContain('Scheduled briefing');
    const late = await g.planAt('late', '2026-03-01T22:06:00Z');
    expect(ids(late)).toHaveLength(5);
    expect(titles(late)).not.toContain('Scheduled briefing');

    // An old article first collected today (published 9 days ago) stays out: older than two periods.
    wp.publish({
      title: 'Back catalogue',
      date: Date.parse('2026-02-20T08:00:00Z'),
      modified: Date.parse('2026-03-02T10:00:00Z'),
    });
    expect(await g.collectAt(source, '2026-03-02T12:00:00Z')).toMatchObject({ new: 1 });

    // The next slot takes it, and nothing the previous edition had.
    for (const listId of ['evening', 'late']) {
      expect(titles(await g.planAt(listId, '2026-03-02T22:00:00Z'))).toEqual(['Scheduled briefing']);
    }

    // Editing it afterwards never sends it again.
    wp.edit(scheduled.id, 'Scheduled briefing, corrected');
    expect(await g.collectAt(source, '2026-03-02T23:00:00Z')).toMatchObject({ new: 0, updated: 1 });
    expect(await g.planAt('evening', '2026-03-03T22:00:00Z')).toBeNull();

    for (const listId of ['evening', 'late']) {
      const all = await Promise.all((await g.editions.recent(listId, 100)).map((id) => g.editions.get(id)));
      const holding = all.filter((e) => ids(e).includes(briefingId('wp', String(scheduled.id))));
      expect(holding.map((e) => e?.cutoff)).toEqual(['2026-03-02T22:00:00.000Z']);
    }
  });
});

describe('an unpublished briefing leaves the next edition', () => {
  it('re-checks every briefing the next edition could carry (150, in chunks of ≤100), not just the newest 100', async () => {
    const g = gazette('wp-editions-unpublish', [list('noon', '0 12 * * *')]);
    cleanups.push(() => g.redis.cleanup());
    const wp = await site({ posts: 150, sameSecond: 1, start: '2026-03-05T08:00:00Z' });
    // A short lookback, so the publication sweep (which also sees them published) leaves all 150 to the re-check.
    const source = sourceSchema.parse({
      id: 'wp',
      type: 'wordpress',
      url: wp.origin,
      allowPrivate: true,
      lookbackHours: 0.5,
    });
    expect(await g.planAt('noon', '2026-03-04T12:00:00Z')).toBeNull(); // the previous cut-off

    expect(await g.collectAt(source, '2026-03-05T09:00:00Z')).toMatchObject({ new: 150 });
    wp.unpublish(1); // the oldest: not among the newest 100
    wp.behaviour.duplicateFirst = true; // and answers repeat a post in place of another
    wp.requests.length = 0;
    expect(await g.collectAt(source, '2026-03-05T10:00:00Z')).toMatchObject({ new: 0, updated: 1 });
    expect((await g.store.get(briefingId('wp', '1')))?.published).toBe(false);

    const asked = wp.postRequests().flatMap((u) => {
      const include = u.searchParams.get('include');
      return include ? [include.split(',')] : [];
    });
    expect(asked.every((chunk) => chunk.length <= 100)).toBe(true);
    expect(new Set(asked.flat()).size).toBe(150);

    const edition = await g.planAt('noon', '2026-03-05T12:00:00Z');
    expect(ids(edition)).toHaveLength(149);
    expect(ids(edition)).not.toContain(briefingId('wp', '1'));
  });
});

describe('250 posts sharing one modified second, ties in an unstable order', () => {
  it('are all collected exactly once', async () => {
    const g = gazette('wp-editions-ties', [list('noon', '0 12 * * *')]);
    cleanups.push(() => g.redis.cleanup());
    const wp = await site({ posts: 250, sameSecond: 250, start: '2026-03-05T08:00:00Z' });
    wp.behaviour.unstableTies = true;
    const source = sourceSchema.parse({ id: 'ties', type: 'wordpress', url: wp.origin, allowPrivate: true });
    expect(await g.collectAt(source, '2026-03-05T09:00:00Z')).toMatchObject({ new: 250, updated: 0, quarantined: 0 });
    expect(await g.store.count()).toBe(250);
    expect(await g.collectAt(source, '2026-03-05T09:10:00Z')).toMatchObject({ new: 0, updated: 0 });
    expect(ids(await g.planAt('noon', '2026-03-05T12:00:00Z'))).toHaveLength(250);
  });

  it('are all collected exactly once when one of them is edited while the group is read', async () => {
    const g = gazette('wp-editions-ties-edit', [list('noon', '0 12 * * *')]);
    cleanups.push(() => g.redis.cleanup());
    const wp = await site({ posts: 250, sameSecond: 250, start: '2026-03-05T08:00:00Z' });
    wp.behaviour.unstableTies = true;
    let edited = false;
    wp.onRequest = (url) => {
      if (!edited && url.searchParams.get('orderby') === 'id' && url.searchParams.get('page') === '2') {
        edited = true;
        wp.edit(40, 'Edited while the group is read');
      }
    };
    const source = sourceSchema.parse({ id: 'ties', type: 'wordpress', url: wp.origin, allowPrivate: true });
    expect(await g.collectAt(source, '2026-03-05T09:00:00Z')).toMatchObject({ new: 250, updated: 1 });
    expect(edited).toBe(true);
    expect(await g.store.count()).toBe(250);
    expect((await g.store.get(briefingId('ties', '40')))?.title).toBe('Edited while the group is read');
    expect(await g.collectAt(source, '2026-03-05T09:10:00Z')).toMatchObject({ new: 0, updated: 0 });
    const edition = await g.planAt('noon', '2026-03-05T12:00:00Z');
    expect(ids(edition)).toHaveLength(250);
  });
});
