import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefingId } from '../../src/briefings/briefing.js';
import { Collector } from '../../src/briefings/collect.js';
import { CursorStore } from '../../src/briefings/cursors.js';
import { Quarantine } from '../../src/briefings/quarantine.js';
import { BriefingStore } from '../../src/briefings/store.js';
import { sourceSchema } from '../../src/publication.js';
import { keys } from '../../src/store/keys.js';
import { createClassifier } from '../../src/topics/classify.js';
import { runCli } from '../support/cli.js';
import { SAMPLE_PUBLICATION } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { startWordPressServer, type WordPressServer } from '../support/wordpress-server.js';

const DAY = 86_400_000;

describe('collecting from a WordPress site', () => {
  const redis = testRedis('wp-source');
  const client = redis.connect();
  const k = keys(redis.prefix);
  const store = new BriefingStore(client, k);
  const quarantine = new Quarantine(client, k);
  const classify = createClassifier([{ slug: 'all', name: 'All', terms: [], keywords: [] }], 'all');
  /** A fresh collector each time, as after a worker restart: only Redis carries the cursor. */
  const collector = () => new Collector(store, quarantine, new CursorStore(client, k), classify);
  let wp: WordPressServer;
  let source: ReturnType<typeof sourceSchema.parse>;

  beforeAll(async () => {
    wp = await startWordPressServer({ posts: 1000, start: new Date(Date.now() - 5 * DAY).toISOString() });
    source = sourceSchema.parse({ id: 'wp', type: 'wordpress', url: wp.origin, allowPrivate: true });
  });
  afterAll(async () => {
    await wp.close();
    await redis.cleanup();
  });

  it('stores 1,000 posts once; with nothing new, asks once for changes, once for recent publications, and re-checks the 1,000 in 10 requests', async () => {
    expect(await collector().collect(source)).toMatchObject({ new: 1000, updated: 0, quarantined: 0 });
    expect(await store.count()).toBe(1000);
    const before = wp.requests.length;
    expect(await collector().collect(source)).toMatchObject({ new: 0, updated: 0, unchanged: 0 });
    const asked = wp.requests.slice(before);
    expect(asked.map((u) => u.searchParams.get('orderby') ?? 'include')).toEqual([
      'modified',
      'date',
      ...Array(10).fill('include'),
    ]);
    expect(asked.slice(2).every((u) => (u.searchParams.get('include') ?? '').split(',').length === 100)).toBe(true);
  });

  it('reflects an edit, an unpublish and a new post on the next run, and unpublished briefings leave the index', async () => {
    wp.edit(3, 'Edited title');
    wp.unpublish(998); // among the newest: what the next editions draw on
    const added = wp.publish();
    expect(await collector().collect(source)).toMatchObject({ new: 1, updated: 2 });
    expect((await store.get(briefingId('wp', '3')))?.title).toBe('Edited title');
    expect((await store.get(briefingId('wp', '998')))?.published).toBe(false);
    expect((await store.get(briefingId('wp', String(added.id))))?.published).toBe(true);
    const ids = (await store.publishedBetween(new Date(0), new Date(Date.now() + DAY))).map((b) => b.id);
    expect(ids).not.toContain(briefingId('wp', '998'));
    expect(ids).toHaveLength(1000);
  });

  it('keeps the good posts of a run that breaks midway, then resumes from the stored cursor', async () => {
    const site = await startWordPressServer({ posts: 250, start: new Date(Date.now() - 3 * DAY).toISOString() });
    const own = sourceSchema.parse({ id: 'wp-broken', type: 'wordpress', url: site.origin, allowPrivate: true });
    try {
      site.onRequest = (url, index) => {
        if (index >= 1 && url.searchParams.has('modified_after'))
          site.behaviour = { ...site.behaviour, truncate: true };
      };
      await expect(collector().collect(own)).rejects.toMatchObject({ code: 'WP_BAD_JSON', retryable: true });
      const kept = (await store.publishedBetween(new Date(0), new Date())).filter((b) => b.source === 'wp-broken');
      expect(kept).toHaveLength(100);
      site.onRequest = undefined;
      site.behaviour = { ...site.behaviour, truncate: false };
      expect(await collector().collect(own)).toMatchObject({ new: 150, quarantined: 0 });
      const all = (await store.publishedBetween(new Date(0), new Date())).filter((b) => b.source === 'wp-broken');
      expect(new Set(all.map((b) => b.id)).size).toBe(250);
    } finally {
      await site.close();
    }
  });

  it('fails a run with a readable, classified error when the REST API is off, keeping what it had', async () => {
    const before = await store.count();
    wp.behaviour = { ...wp.behaviour, restDisabled: true };
    try {
      await expect(collector().collect(source)).rejects.toMatchObject({
        code: 'WP_REST_UNAVAILABLE',
        retryable: false,
      });
      expect(await store.count()).toBe(before);
    } finally {
      wp.behaviour = { ...wp.behaviour, restDisabled: false };
    }
  });
});

describe('gazette collect on a WordPress source', () => {
  const redis = testRedis('wp-cli');
  let wp: WordPressServer;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    wp = await startWordPressServer({ posts: 30 });
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-wp-'));
    const publication = JSON.parse(await readFile(SAMPLE_PUBLICATION, 'utf8'));
    publication.sources = [{ id: 'site', type: 'wordpress', url: wp.origin, allowPrivate: true }];
    await writeFile(path.join(dir, 'gazette.json'), JSON.stringify(publication));
    env = {
      GAZETTE_ENV: 'test',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      SECRET: 'test-secret-test-secret-test-secret-0123',
      GAZETTE_CONFIG: path.join(dir, 'gazette.json'),
      LOG_LEVEL: 'warn',
    };
  });
  afterAll(async () => {
    await wp.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
  });

  it('reports new, then unchanged counts, and names an unknown source', async () => {
    const first = await runCli(['collect', '--source', 'site'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('site: 30 new, 0 updated, 0 unchanged, 0 quarantined');
    const second = await runCli(['collect'], env);
    expect(second.stdout.trim()).toBe('site: 0 new, 0 updated, 0 unchanged, 0 quarantined');
    const unknown = await runCli(['collect', '--source', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('gazette: --source: unknown source "nope" (known: site)');
  });
});
