/**
 * Poison documents among good posts, served by the WordPress stand-in over the REST API: every
 * good post of the run is collected, each poison document is quarantined once (also when the next
 * run meets it again) with a readable reason and its post id, the cursor never jumps to the end of
 * time, and a post published afterwards is collected by the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefingId } from '../../src/briefings/briefing.js';
import { Collector } from '../../src/briefings/collect.js';
import { CursorStore } from '../../src/briefings/cursors.js';
import { Quarantine } from '../../src/briefings/quarantine.js';
import type { WordPressCursor } from '../../src/briefings/sources/wordpress-client.js';
import { BriefingStore } from '../../src/briefings/store.js';
import { sourceSchema } from '../../src/publication.js';
import { keys } from '../../src/store/keys.js';
import { createClassifier } from '../../src/topics/classify.js';
import { testRedis } from '../support/redis.js';
import { startWordPressServer, type WordPressServer, type WpPost } from '../support/wordpress-server.js';

const GOOD = 40;

/** What each poison post is, and how its quarantine reason must read (undefined: collected, cleaned). */
const POISON: { name: string; post: Partial<WpPost>; reason?: RegExp }[] = [
  {
    name: 'lone surrogates',
    post: { title: 'Lone \ud800 surrogate \udfff title', content: '<p>Body \ud800 here.</p>' },
  },
  {
    name: 'NUL and controls',
    post: { title: 'NUL\u0000 in \u001b[31mtitle\u007f', content: '<p>Bo\u0000dy\u0008.</p>' },
  },
  {
    name: '10,000-deep nesting',
    post: { content: `${'<div>'.repeat(10_000)}deep${'</div>'.repeat(10_000)}` },
    reason: /^content nests elements more than 256 deep$/,
  },
  {
    name: '3,000 nested inline elements in the title',
    post: { title: `${'<b>'.repeat(3000)}Bold${'</b>'.repeat(3000)}` },
    reason: /^title nests elements more than 256 deep$/,
  },
  {
    name: 'a 2 MB post',
    post: { content: `<p>${'word '.repeat(400_000)}</p>` },
    reason: /^content is 2\.0 million characters \(at most 1 million\)$/,
  },
  {
    name: 'a 10,000-tag post',
    post: { content: '<p>x</p>'.repeat(5000) },
    reason: /^content has more than 5000 tags$/,
  },
  {
    name: 'a far-future modified time',
    post: { modified: Date.parse('9999-12-31T23:59:59Z') },
    reason: /^modified time 9999-12-31T23:59:59Z is in the future/,
  },
  {
    name: 'an empty modified time',
    post: { raw: { modified_gmt: '', modified: '' } },
    reason: /^modified time is empty \(field "modified_gmt"\)$/,
  },
  {
    name: 'a title of markup only',
    post: { title: '<b> </b><i></i>' },
    reason: /^title is empty after removing markup$/,
  },
];

describe('poison documents mid-page among good posts', () => {
  const redis = testRedis('poison-docs');
  const client = redis.connect();
  const k = keys(redis.prefix);
  const store = new BriefingStore(client, k);
  const quarantine = new Quarantine(client, k);
  const cursors = new CursorStore(client, k);
  const classify = createClassifier([{ slug: 'all', name: 'All', terms: [], keywords: [] }], 'all');
  const collector = () => new Collector(store, quarantine, cursors, classify);
  let wp: WordPressServer;
  let source: ReturnType<typeof sourceSchema.parse>;
  const good: WpPost[] = [];
  const poison = new Map<string, WpPost>();
  let timesAfterFirstRun = 0;

  beforeAll(async () => {
    wp = await startWordPressServer({ posts: 0 });
    const start = Date.now() - 3_600_000;
    let second = 0;
    const at = () => start + 1000 * second++;
    const goodPost = () => {
      const t = at();
      return wp.publish({ date: t, modified: t, title: `Good post ${good.length + 1}`, content: '<p>Fine.</p>' });
    };
    // Poison every few posts, so each sits mid-page with good posts either side.
    for (const p of POISON) {
      for (let i = 0; i < 4; i++) good.push(goodPost());
      const t = at();
      poison.set(p.name, wp.publish({ date: t, modified: t, title: 'Poison', content: '<p>p</p>', ...p.post }));
    }
    while (good.length < GOOD) good.push(goodPost());
    source = sourceSchema.parse({ id: 'wp', type: 'wordpress', url: wp.origin, allowPrivate: true });
  }, 60_000);
  afterAll(async () => {
    await wp.close();
    await redis.cleanup();
  });

  it('collects every good post, cleans what can be cleaned, and quarantines each poison once with its reason', async () => {
    const first = await collector().collect(source);
    const refused = POISON.filter((p) => p.reason);
    const cleaned = POISON.filter((p) => !p.reason);
    console.log(
      `poison documents: ${GOOD} good, ${POISON.length} poison → ${first.new} collected, ${first.quarantined} quarantined`,
    );
    for (const g of good) expect(await store.get(briefingId('wp', String(g.id))), `post ${g.id}`).not.toBeNull();
    expect(first.new).toBe(GOOD + cleaned.length);

    const lone = await store.get(briefingId('wp', String(poison.get('lone surrogates')?.id)));
    expect(lone?.title).toBe('Lone \ufffd surrogate \ufffd title');
    const nul = await store.get(briefingId('wp', String(poison.get('NUL and controls')?.id)));
    expect(nul?.title).toBe('NUL in [31mtitle');
    expect(nul?.lead).toBe('Body.');

    const entries = await quarantine.list(1000);
    expect(entries).toHaveLength(refused.length);
    for (const p of refused) {
      const id = String(poison.get(p.name)?.id);
      const entry = entries.filter((e) => e.documentId === id);
      expect(entry, p.name).toHaveLength(1);
      expect(entry[0]?.reason, p.name).toMatch(p.reason as RegExp);
      expect(entry[0]?.origin).toBe(`${wp.origin}/?p=${id}`);
    }
    timesAfterFirstRun =
      entries.find((e) => e.documentId === String(poison.get('a far-future modified time')?.id))?.times ?? 0;
    const cursor = await cursors.get<WordPressCursor>('wp');
    expect(Date.parse(cursor?.modifiedAfter ?? '')).toBeLessThanOrEqual(Date.now());
  });

  it('the next run meets the far-future post again and updates its entry; a new post is collected', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const later = wp.publish({ date: now, modified: now, title: 'Published afterwards', content: '<p>New.</p>' });
    const offsite = wp.publish({
      date: now,
      modified: now,
      title: 'Links away',
      raw: { link: 'https://evil.example/x' },
    });
    const second = await collector().collect(source);
    expect(second.new).toBe(2);
    // A link off the site's host is dropped (no "Read more") and listed as a warning.
    expect((await store.get(briefingId('wp', String(offsite.id))))?.url).toBe('');
    const warning = (await quarantine.list(1000)).find((e) => e.documentId === String(offsite.id));
    expect(warning).toMatchObject({ severity: 'warning', code: 'LINK_REFUSED' });
    expect(warning?.reason).toMatch(
      /^link points to evil\.example, not to 127\.0\.0\.1 .*: sent without a "Read more" link$/,
    );
    expect(await store.get(briefingId('wp', String(later.id)))).not.toBeNull();
    const entries = await quarantine.list(1000);
    console.log(`second run: ${second.new} new, ${second.quarantined} met again; quarantine holds ${entries.length}`);
    expect(entries).toHaveLength(POISON.filter((p) => p.reason).length + 1);
    // Met again (in both walks, changes and recent publications): the one entry counts it.
    const future = entries.find((e) => e.documentId === String(poison.get('a far-future modified time')?.id));
    expect(future?.times).toBeGreaterThan(timesAfterFirstRun);
  });
});

describe('a page over maxBytes', () => {
  const redis = testRedis('poison-page');
  const client = redis.connect();
  const k = keys(redis.prefix);
  const store = new BriefingStore(client, k);
  const quarantine = new Quarantine(client, k);
  const classify = createClassifier([{ slug: 'all', name: 'All', terms: [], keywords: [] }], 'all');
  const cursors = new CursorStore(client, k);
  const collector = () => new Collector(store, quarantine, cursors, classify);
  let wp: WordPressServer;

  beforeAll(async () => {
    wp = await startWordPressServer({ posts: 0 });
  });
  afterAll(async () => {
    await wp.close();
    await redis.cleanup();
  });

  it('is read again in halves down to one post; the post too large by itself is quarantined with its id', async () => {
    const start = Date.now() - 3_600_000;
    const made: WpPost[] = [];
    for (let i = 0; i < 150; i++) {
      const t = start + i * 1000;
      // Post 37 alone is over the limit; posts 60-69 are large enough that no page of 100 fits.
      const content =
        i === 37
          ? `<p>${'big '.repeat(80_000)}</p>`
          : `<p>${(i >= 60 && i < 70 ? 'mid ' : 'ok ').repeat(i >= 60 && i < 70 ? 12_000 : 5)}</p>`;
      made.push(wp.publish({ date: t, modified: t, title: `Post ${i}`, content }));
    }
    const source = sourceSchema.parse({
      id: 'wp',
      type: 'wordpress',
      url: wp.origin,
      allowPrivate: true,
      maxBytes: 300_000,
    });
    const report = await collector().collect(source);
    console.log(
      `oversized pages: 150 posts, maxBytes 300000 → ${report.new} collected, ${report.quarantined} quarantined`,
    );
    expect(report.new).toBe(149);
    const big = made[37];
    const entries = await quarantine.list();
    expect(entries.map((e) => [e.documentId, e.reason])).toEqual([
      [String(big?.id), 'post is larger than 300000 bytes by itself'],
    ]);
    for (const post of made.filter((p) => p !== big))
      expect(await store.get(briefingId('wp', String(post.id))), `post ${post.id}`).not.toBeNull();
    expect(wp.postRequests().some((u) => u.searchParams.get('_fields') === 'id')).toBe(true);
  });

  it('a page too large to read whose ids cannot be listed fails the run, saying so, and the next run reads it', async () => {
    const start = Date.now() - 1_800_000;
    const made = Array.from({ length: 12 }, (_, i) =>
      wp.publish({
        date: start + i * 1000,
        modified: start + i * 1000,
        title: `Large ${i}`,
        content: `<p>${'mid '.repeat(12_000)}</p>`,
      }),
    );
    const large = sourceSchema.parse({
      id: 'wp',
      type: 'wordpress',
      url: wp.origin,
      allowPrivate: true,
      maxBytes: 300_000,
    });
    const cursor = await cursors.get('wp');
    wp.behaviour.emptyFields = true;
    await expect(collector().collect(large)).rejects.toMatchObject({
      code: 'WP_PAGE_UNREADABLE',
      message: expect.stringMatching(/over 300000 bytes and its _fields=id answer lists no post ids/),
    });
    expect(await cursors.get('wp')).toEqual(cursor);
    expect(await store.get(briefingId('wp', String(made[0]?.id)))).toBeNull();
    wp.reset();
    const report = await collector().collect(large);
    expect(report.new).toBe(made.length);
  });
});
