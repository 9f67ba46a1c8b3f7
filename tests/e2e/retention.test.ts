/**
 * Retention: an ended edition's audience, renders and ledger expire after
 * EDITION_RETENTION_DAYS (a few seconds here), its counts and archive copy stay, and Redis does
 * not grow edition after edition.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import type { Container } from '../../src/container.js';
import { buildApp } from '../../src/http/app.js';
import { SAMPLE_PUBLICATION, seedSample, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const READERS = Number(process.env.RETENTION_READERS ?? 400);
const EDITIONS = 10;
const RETENTION_S = 2;
const TOPIC_SETS = [
  [],
  ['china'],
  ['trade'],
  ['diplomacy'],
  ['north-korea'],
  ['china', 'trade'],
  ['trade', 'diplomacy'],
  ['china', 'north-korea'],
];

/** An edition's record that is meant to stay: the edition, its status (counts) and its archive copy. */
const KEPT = /:edition:[^:]+(:status|:render:[^:]+)?$/;

/**
 * BullMQ's record of finished jobs: their hashes, the completed set and the event stream. The
 * queues trim it by count and age (KEEP, KEEP_FEW), not by edition, so it is counted apart.
 */
const HISTORY =
  /:(collect|editions|delivery):(?!(wait|active|paused|prioritized|delayed|stalled|failed|meta|id|marker)$)/;

interface Footprint {
  bytes: number;
  kept: number;
  history: number;
  keys: string[];
}

/**
 * Bytes Redis holds for every key under `prefix` (MEMORY USAGE), the part of them that
 * editions keep on purpose (KEPT), the queues' job history (HISTORY), and the keys.
 */
async function footprint(client: Redis, prefix: string): Promise<Footprint> {
  let bytes = 0;
  let kept = 0;
  let history = 0;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      const used = await client.memory('USAGE', key, 'SAMPLES', 0);
      if (used === null) continue; // expired between SCAN and MEMORY
      bytes += Number(used);
      if (KEPT.test(key)) kept += Number(used);
      else if (HISTORY.test(key)) history += Number(used);
      keys.push(key);
    }
  } while (cursor !== '0');
  return { bytes, kept, history, keys };
}

/** Wait until Redis has actually dropped every key whose TTL ran out (lazy expiry is pushed by reading). */
async function waitExpired(client: Redis, prefix: string, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  await footprint(client, prefix); // MEMORY USAGE touches each key: expired ones go now
}

describe('an edition after its retention', () => {
  const redis = testRedis('retention');
  let sink: SmtpSink;
  let gazette: Container;
  let dir: string;
  let client: Redis;
  let postId = 900_000;

  /** A new briefing in the source, published now, and collected. */
  async function publishOne(): Promise<void> {
    postId += 1;
    const now = new Date().toISOString().slice(0, 19);
    const post = {
      id: postId,
      date: now,
      date_gmt: now,
      modified: now,
      modified_gmt: now,
      status: 'publish',
      slug: `p-${postId}`,
      link: `https://koreapro.org/2026/p-${postId}/`,
      title: { rendered: `Seoul and Beijing agree on export rules, part ${postId}` },
      content: { rendered: '<p>Trade officials of China and Korea met on semiconductor exports and diplomacy.</p>' },
    };
    await writeFile(path.join(dir, 'briefings', `${postId}.json`), JSON.stringify(post));
    const source = gazette.services.publication.sources[0];
    if (!source) throw new Error('no source');
    await gazette.services.collector.collect(source);
  }

  /** Wait for the next 3-second slot of the list's schedule, so an edition has a slot of its own. */
  async function nextSlot(): Promise<Date> {
    const wait = 3_000 - (Date.now() % 3_000) + 50;
    await new Promise((r) => setTimeout(r, wait));
    return new Date();
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gazette-retention-'));
    await mkdir(path.join(dir, 'briefings'));
    const publication = JSON.parse(await readFile(SAMPLE_PUBLICATION, 'utf8'));
    const [list] = publication.lists;
    list.schedule = { cron: '*/3 * * * * *', tz: 'UTC' };
    delete list.since;
    publication.sources = [{ id: 'wire', type: 'files', path: path.join(dir, 'briefings') }];
    await writeFile(path.join(dir, 'gazette.json'), JSON.stringify(publication));
    sink = await startSmtpSink();
    gazette = await startGazette(redis, sink, {
      GAZETTE_CONFIG: path.join(dir, 'gazette.json'),
      EDITION_RETENTION_DAYS: String(RETENTION_S / 86_400),
    });
    client = redis.connect();
    await seedSample(
      gazette,
      Array.from({ length: READERS }, (_, i) => ({
        email: `r${i}@example.com`,
        name: `R ${i}`,
        topics: TOPIC_SETS[i % TOPIC_SETS.length] as string[],
      })),
    );
    gazette.startWorkers();
  }, 120_000);

  afterAll(async () => {
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`lets ${EDITIONS} editions' reader data expire, keeping counts and archive, and Redis returns to its level`, async () => {
    const s = gazette.services;
    const ids: string[] = [];
    let afterFirst: Footprint = { bytes: 0, kept: 0, history: 0, keys: [] };
    for (let i = 0; i < EDITIONS; i++) {
      await publishOne();
      const run = await runEdition(s, 'korea-daily', await nextSlot());
      if (run.status === 'skipped') throw new Error(`edition ${i}: ${run.reason}`);
      expect(run.result.state, `edition ${i}`).toBe('dispatched');
      ids.push(run.editionId);
      if (i === 0) {
        const first = run.editionId;
        const live = await footprint(client, redis.prefix);
        expect(live.keys.some((k) => k.includes(first) && k.includes('audience'))).toBe(true);
        await waitExpired(client, redis.prefix, RETENTION_S * 1000 + 1_500);
        const gone = await footprint(client, redis.prefix);
        // Per-reader keys of the edition are gone; its status (counts) and archive copy remain.
        const left = gone.keys.filter((k) => k.includes(first));
        expect(left.filter((k) => /audience|ledger|topic-?sets/i.test(k))).toEqual([]);
        expect(await s.editions.status(first)).toMatchObject({ state: 'dispatched', audience: run.result.audience });
        afterFirst = gone;
        console.log(
          `after edition 1: ${live.bytes} B live, ${gone.bytes} B once expired (${gone.kept} B kept on purpose)`,
        );
      }
    }
    await waitExpired(client, redis.prefix, RETENTION_S * 1000 + 1_500);
    const end = await footprint(client, redis.prefix);
    console.log(
      `after ${EDITIONS} editions of ${READERS} readers, expired: ${end.bytes} B (${end.kept} B kept on purpose: ` +
        `each edition's status and archive copy, ${Math.round(end.kept / EDITIONS)} B an edition)`,
    );
    // Apart from what each edition keeps on purpose (a few KB, whatever its audience) and the
    // queues' job history (trimmed by count and age), Redis is back within 10% of its level
    // after the first edition expired.
    const level = (f: Footprint) => f.bytes - f.kept - f.history;
    console.log(
      `without kept records and job history: ${level(afterFirst)} B after 1, ${level(end)} B after ${EDITIONS}`,
    );
    expect(level(end)).toBeLessThanOrEqual(level(afterFirst) * 1.1);
    expect(end.kept / EDITIONS).toBeLessThan(64 * 1024);

    // The archive page of the first edition still answers, with its content.
    const app = await buildApp(s, gazette.log);
    try {
      const res = await app.inject({ method: 'GET', url: `/archive/korea-daily/${ids[0]}` });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('export rules');
    } finally {
      await app.close();
    }
    expect(sink.messages.length).toBeGreaterThan(0);
  }, 300_000);
});
