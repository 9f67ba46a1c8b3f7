/**
 * A whole Gazette deployment for long runs: a private redis-server with the append-only file on,
 * a counting SMTP sink, two `gazette worker` processes that can be killed and restarted, and an
 * in-process container (no workers) to seed readers, plan editions and read their status.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Queue } from 'bullmq';
import { planAndDispatch } from '../../../jobs/plan-edition.js';
import { followEdition } from '../../../src/cli/run-edition.js';
import { loadConfig } from '../../../src/config.js';
import { type Container, createContainer } from '../../../src/container.js';
import type { EditionStatus } from '../../../src/editions/store.js';
import { createLogger } from '../../../src/logger.js';
import { findList, loadPublication } from '../../../src/publication.js';
import { type PrivateRedis, startPrivateRedis } from '../../../src/store/private-redis.js';
import { importReaders } from '../../../src/subscriptions/csv.js';
import { type CliResult, type RunningCli, spawnCli } from '../../support/cli.js';
import { ROOT, SAMPLE_PUBLICATION, TEST_SECRET } from '../../support/gazette.js';
import { type CountingSink, startCountingSink } from './counting-sink.js';

/** The slot every list's edition is planned for (the sample's briefings fall in its window). */
export const SLOT = new Date('2026-11-24T01:00:00Z');

/**
 * Followed topics, by reader number modulo their count: ten distinct topic sets with news (the
 * sample briefings are in china, trade, diplomacy and korea; north-korea and general have none).
 */
export const TOPIC_SETS = [
  '',
  'china',
  'trade',
  'diplomacy',
  'korea',
  'china;trade',
  'diplomacy;korea',
  'china;diplomacy;north-korea',
  'trade;korea;general',
  'china;trade;diplomacy',
];

export const address = (i: number) => `reader${i}@chaos.example`;

export interface FleetOptions {
  /** Lists to declare (one edition each); every reader is subscribed to all. */
  lists: readonly string[];
  readers: number;
  /** Extra environment of the worker processes (e.g. MAIL_RATE). */
  workerEnv?: Record<string, string>;
}

export interface Fleet {
  readonly redis: PrivateRedis;
  readonly sink: CountingSink;
  readonly gazette: Container;
  /** The worker processes, by slot (0 and 1); a killed one stays until restarted. */
  readonly workers: RunningCli[];
  /** Spawns the worker of `slot` and waits until its queues run. */
  startWorker(slot: number): Promise<RunningCli>;
  /** Sends `signal` to the worker of `slot` and waits for it to exit (null: no worker there). */
  stopWorker(slot: number, signal: NodeJS.Signals): Promise<CliResult | null>;
  /** Plans the list's edition for {@link SLOT} and queues its dispatch; returns the edition id. */
  dispatch(listId: string): Promise<string>;
  /** Waits until the edition settles (dispatched, incomplete, paused, cancelled). */
  settle(editionId: string, timeoutMs: number): Promise<EditionStatus>;
  /** The delivery queue, for looking at send-batch jobs. */
  readonly delivery: Queue;
  close(): Promise<void>;
}

async function writePublication(dir: string, lists: readonly string[]): Promise<string> {
  const sample = JSON.parse(await readFile(SAMPLE_PUBLICATION, 'utf8'));
  sample.topics.splice(sample.topics.length - 1, 0, {
    slug: 'korea',
    name: 'Korea',
    terms: ['korea'],
    keywords: ['Korea', 'Seoul', 'ROK'],
  });
  const daily = sample.lists[0];
  sample.lists = lists.map((id) => ({
    ...daily,
    id,
    name: `Chaos ${id}`,
    topics: ['china', 'trade', 'diplomacy', 'korea', 'north-korea', 'general'],
  }));
  sample.sources[0].path = path.join(ROOT, 'sample/briefings');
  const file = path.join(dir, 'gazette.json');
  await writeFile(file, JSON.stringify(sample));
  return file;
}

function* csv(readers: number): Generator<string> {
  yield 'email,name,topics\n';
  for (let i = 0; i < readers; i++) yield `${address(i)},Reader ${i},${TOPIC_SETS[i % TOPIC_SETS.length]}\n`;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gazette-chaos-'));
  const publicationFile = await writePublication(dir, opts.lists);
  const redis = await startPrivateRedis(15_000, [], { appendOnly: true });
  const sink = await startCountingSink();
  const env: Record<string, string> = {
    GAZETTE_ENV: 'test',
    REDIS_URL: redis.url,
    REDIS_PREFIX: '{chaos}',
    SECRET: TEST_SECRET,
    GAZETTE_CONFIG: publicationFile,
    MAIL_TRANSPORT: `${sink.url}?ignoreTLS=true`,
    PUBLIC_URL: 'https://news.example',
    LOG_LEVEL: 'info',
  };
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const gazette = await createContainer(config, await loadPublication(publicationFile), createLogger('silent'));
  const s = gazette.services;
  const source = s.publication.sources[0];
  if (!source) throw new Error('sample source missing');
  await s.collector.collect(source);
  for (const id of opts.lists) {
    const list = findList(s.publication, id);
    if (!list) throw new Error(`list ${id} missing`);
    const report = await importReaders(Readable.from(csv(opts.readers)), s.readers, s.suppression, {
      list,
      confirmed: true,
    });
    if (report.created + report.updated !== opts.readers) throw new Error(`import: ${JSON.stringify(report)}`);
  }
  const delivery = new Queue('delivery', { connection: s.redis, prefix: config.redisPrefix });
  delivery.on('error', () => {});

  const workers: RunningCli[] = [];
  const fleet: Fleet = {
    redis,
    sink,
    gazette,
    workers,
    delivery,
    async startWorker(slot) {
      const worker = spawnCli(['worker'], { ...env, ...opts.workerEnv });
      workers[slot] = worker;
      await worker.waitForLog((l) => l.event === 'workers.started', 90_000);
      return worker;
    },
    async stopWorker(slot, signal) {
      const worker = workers[slot];
      if (!worker) return null;
      worker.child.kill(signal);
      return worker.exited(60_000);
    },
    async dispatch(listId) {
      const outcome = await planAndDispatch(s, listId, SLOT);
      if (outcome.status === 'skipped') throw new Error(`${listId} skipped: ${outcome.reason}`);
      return outcome.edition.id;
    },
    async settle(editionId, timeoutMs) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const status = await followEdition(s, editionId, () => {}, timeout);
      if (timeout.aborted)
        throw new Error(`edition ${editionId} not settled after ${timeoutMs} ms: ${JSON.stringify(status)}`);
      return status;
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await delivery.close().catch(() => {});
      await gazette.close().catch(() => {});
      await sink.close();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await Promise.all([fleet.startWorker(0), fleet.startWorker(1)]);
  return fleet;
}

/** The figures a run prints, and the checks of "0 lost, counts equal the sink's". */
export interface RunFigures {
  scenario: string;
  readers: number;
  sent: number;
  recipients: number;
  duplicates: number;
  duplicatesWithOtherId: number;
  missing: number;
  elapsedS: number;
  longestPauseS: number;
  [extra: string]: string | number;
}

/** Longest gap between consecutive acceptances, in seconds, from `from` (ms) on. */
export function longestPause(acceptedAt: readonly number[], from = 0): number {
  let longest = 0;
  let prev = from || (acceptedAt[0] ?? 0);
  for (const t of acceptedAt) {
    if (t < prev) continue;
    longest = Math.max(longest, t - prev);
    prev = t;
  }
  return longest / 1000;
}

/**
 * The gap in acceptances that spans `from`…`to` (e.g. a Redis restart): from the last acceptance
 * before `from` to the first after `to`, in seconds (to the last acceptance when none came after).
 */
export function gapAround(acceptedAt: readonly number[], from: number, to: number): number {
  let before = from;
  let after = to;
  for (const t of acceptedAt) {
    if (t <= from) before = t;
    else if (t >= to) {
      after = t;
      break;
    }
  }
  return (after - before) / 1000;
}

/** Figures of the sink against the expected readers (reader0 … reader{n-1}). */
export function figures(scenario: string, sink: CountingSink, readers: number, startedAt: number): RunFigures {
  const tally = sink.tally();
  let missing = 0;
  for (let i = 0; i < readers; i++) if (!sink.recipients.has(address(i))) missing += 1;
  const last = sink.acceptedAt.at(-1) ?? startedAt;
  return {
    scenario,
    readers,
    sent: tally.accepted,
    recipients: tally.recipients,
    duplicates: tally.duplicates,
    duplicatesWithOtherId: tally.duplicatesWithOtherId,
    missing,
    elapsedS: round((last - startedAt) / 1000),
    longestPauseS: round(longestPause(sink.acceptedAt, startedAt)),
  };
}

export const round = (n: number) => Math.round(n * 10) / 10;
