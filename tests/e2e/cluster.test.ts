/**
 * The whole pipeline on a real 3-master Redis Cluster (`REDIS_URL=redis+cluster://…`): collect
 * the sample briefings, plan an edition, fan it out in BullMQ flows and send it to an SMTP sink,
 * with the same assertions as on one Redis (pipeline.test.ts, fan-out.test.ts). Every key
 * Gazette and BullMQ write lands in the prefix's one hash slot.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import type { Source } from '../../src/publication.js';
import { inspectRedis } from '../../src/store/redis.js';
import { runCli } from '../support/cli.js';
import { gazetteEnv, ROOT, SAMPLE_PUBLICATION, seedSample, startGazette } from '../support/gazette.js';
import { startApp, type TestApp } from '../support/http.js';
import type { TestRedis } from '../support/redis.js';
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const AT = new Date('2026-11-24T01:00:00Z');
const EDITION = 'korea-daily-20261123T220000Z';

/** Gazette's view of the cluster: its URL and a prefix of its own (nothing else uses this cluster). */
function onCluster(cluster: TestRedisCluster, prefix: string): TestRedis {
  return {
    url: cluster.url,
    prefix,
    connect: () => {
      throw new Error('connect to the cluster nodes directly');
    },
    cleanup: async () => {},
  };
}

/** Every key on one node (SCAN), with its slot. */
async function keysOn(nodeUrl: string): Promise<Array<{ key: string; slot: number }>> {
  const client = new Redis(nodeUrl, { maxRetriesPerRequest: 1 });
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return Promise.all(keys.map(async (key) => ({ key, slot: Number(await client.call('CLUSTER', 'KEYSLOT', key)) })));
  } finally {
    client.disconnect();
  }
}

/** `name{labels} value` → value, for one exact sample line of an exposition. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('the pipeline on a 3-master Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let sink: SmtpSink;
  let t: TestApp;
  const prefix = '{gazette-cluster}';

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    sink = await startSmtpSink();
    // A shared send rate too: its counter's script (rate-limiter-flexible) fails the sends unless it runs on the cluster.
    t = await startApp(onCluster(cluster, prefix), sink, { MAIL_RATE: '1000/s' });
    t.gazette.startWorkers();
    await seedSample(t.gazette);
    expect(await t.gazette.services.briefings.count()).toBe(2);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await cluster?.stop();
  });

  it('sends every confirmed reader exactly one digest, and the edition counts equal the sink', async () => {
    const run = await runEdition(t.gazette.services, 'korea-daily', AT);
    expect(run).toMatchObject({ status: 'dispatched', editionId: EDITION, planned: 'planned' });
    const to = sink.messages.flatMap((m) => m.to).sort();
    expect(to).toEqual(['ada@example.com', 'linus@example.com', 'min-ji@example.com']);
    expect(run.status === 'dispatched' && run.result).toMatchObject({
      dispatched: sink.messages.length,
      skipped: 1,
      failed: 0,
      bounced: 0,
      pending: 0,
      renders: 3,
    });
    const ada = sink.messages.find((m) => m.to.includes('ada@example.com'))?.parsed;
    expect(ada?.html).toContain('Korea and China discuss latter’s export restrictions');
    expect(ada?.text).toContain('Seoul 04519');
  });

  it('plans and sends the same slot once when triggered again, and collects nothing twice', async () => {
    const before = sink.messages.length;
    const again = await runEdition(t.gazette.services, 'korea-daily', new Date(AT.getTime() + 60_000));
    expect(again).toMatchObject({ status: 'dispatched', editionId: EDITION, planned: 'existing' });
    expect(sink.messages.length).toBe(before);
    const s = t.gazette.services;
    expect(await s.collector.collect(s.publication.sources[0] as Source)).toMatchObject({ new: 0, unchanged: 2 });
  });

  it('counts in /metrics what the sink received, and is ready', async () => {
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    const list = 'list="korea-daily"';
    expect(sample(metrics.body, 'gazette_emails_total', `${list},outcome="dispatched",reason=""`)).toBe(
      sink.messages.length,
    );
    expect(sample(metrics.body, 'gazette_editions', `${list},state="dispatched"`)).toBe(1);
    expect(sample(metrics.body, 'bullmq_job_count', 'queue="delivery", state="completed"')).toBeGreaterThanOrEqual(1);

    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ready',
      redis: 'ok',
      workers: { collect: 1, editions: 1, delivery: 1 },
    });
  });

  it('keeps every key in the one slot of the prefix’s hash tag, on one master', async () => {
    const perNode = await Promise.all(cluster.nodeUrls.map((url) => keysOn(url)));
    const all = perNode.flat();
    // Briefings, readers, the edition and its ledger, and BullMQ's queues are all there (the
    // send-rate counter too, while its one-second window lasts: it is not looked for here).
    for (const part of [':briefing:', ':reader:', `:edition:${EDITION}:ledger`, ':delivery:', ':editions:']) {
      expect(
        all.some(({ key }) => key.includes(part)),
        part,
      ).toBe(true);
    }
    expect(all.every(({ key }) => key.startsWith(prefix))).toBe(true);
    expect(new Set(all.map(({ slot }) => slot)).size).toBe(1);
    expect(perNode.filter((keys) => keys.length > 0)).toHaveLength(1);
  });

  it('reads the eviction policy and persistence of every master before booting', async () => {
    expect(await inspectRedis(cluster.url)).toEqual({ maxmemoryPolicy: 'noeviction', aofEnabled: false });
  });

  it('runs `gazette send` as a process on the cluster, from REDIS_URL=redis+cluster://… alone', async () => {
    // Another Gazette on the same cluster, under its own prefix: seeded here, sent by the CLI.
    const other = onCluster(cluster, '{gazette-cli}');
    const seeded = await startGazette(other, sink);
    try {
      await seedSample(seeded);
    } finally {
      await seeded.close();
    }
    const before = sink.messages.length;
    const r = await runCli(['send', '--list', 'korea-daily', '--at', AT.toISOString()], gazetteEnv(other, sink), {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${EDITION}: dispatched`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(
      sink.messages
        .slice(before)
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual(['ada@example.com', 'linus@example.com', 'min-ji@example.com']);
  }, 90_000);
});

describe('an edition of many batches on a Redis Cluster', () => {
  const READERS = 1_010;
  let cluster: TestRedisCluster;
  let sink: SmtpSink;
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    // Batches of two readers: 505 send batches, added to the flow in two chunks.
    dir = await mkdtemp(path.join(os.tmpdir(), 'gazette-cluster-'));
    const publication = JSON.parse(await readFile(SAMPLE_PUBLICATION, 'utf8'));
    publication.lists[0].batchSize = 2;
    publication.sources[0].path = path.join(ROOT, 'sample/briefings');
    await writeFile(path.join(dir, 'gazette.json'), JSON.stringify(publication));
    cluster = await startRedisCluster(3);
    sink = await startSmtpSink();
    t = await startApp(onCluster(cluster, '{fan-out}'), sink, { GAZETTE_CONFIG: path.join(dir, 'gazette.json') });
    const readers = Array.from({ length: READERS }, (_, i) => ({
      email: `r${i}@example.com`,
      name: `R ${i}`,
      topics: [],
    }));
    await seedSample(t.gazette, readers);
    t.gazette.startWorkers();
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends each reader exactly once, and the edition counts equal the sink', async () => {
    const s = t.gazette.services;
    const run = await runEdition(s, 'korea-daily', AT);
    if (run.status === 'skipped') throw new Error(run.reason);
    expect(run.result).toMatchObject({ state: 'dispatched', audience: READERS, dispatched: READERS, pending: 0 });
    const to = sink.messages.flatMap((m) => m.to);
    expect(to).toHaveLength(READERS);
    expect(new Set(to).size).toBe(READERS);
    const adder = await s.producer.queue('editions').getJob(`add-batches-${run.editionId}`);
    expect(await adder?.getState()).toBe('completed');
    expect(await s.producer.queue('delivery').getJobCounts('completed', 'failed')).toEqual({
      completed: READERS / 2,
      failed: 0,
    });
  }, 120_000);
});

describe('a cluster URL that names no cluster', () => {
  it('stops the CLI with one line saying why, without a stack', async () => {
    // The suite's plain redis-server, addressed as a cluster seed.
    const url = inject('redisUrl').replace('redis://', 'redis+cluster://');
    await expect(inspectRedis(url)).rejects.toThrow(
      /no seed node answered as a Redis Cluster member: .*cluster support disabled/,
    );
    const r = await runCli(['status'], { GAZETTE_ENV: 'development', REDIS_URL: url });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot reach Redis at redis\+cluster:\/\/127\.0\.0\.1:\d+.*cluster support disabled/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
