/**
 * Where an edition's Redis bytes go: `tsx bench/footprint.ts [readers]` (default 10,000) seeds
 * the bench readers on a private Redis, runs the 3 lists' editions to a counting transport, and
 * prints MEMORY USAGE of every key the editions added, by key family (ids replaced by `*`), per
 * reader. Not part of `npm run bench`: a tool for finding what to trim.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { runEdition } from '../src/cli/run-edition.js';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { createLogger } from '../src/logger.js';
import { loadPublication } from '../src/publication.js';
import { startPrivateRedis } from '../src/store/private-redis.js';
import { countingMailer } from './support/counting-mailer.js';
import { BENCH_SLOT, LISTS, seedBench, writeBenchPublication } from './support/fixture.js';
import { benchEnv } from './support/gazette.js';

const readers = Number(process.argv[2] ?? 10_000);
const redis = await startPrivateRedis(15_000, ['--maxmemory-policy', 'noeviction']);
const dir = await mkdtemp(path.join(tmpdir(), 'gazette-footprint-'));
const admin = new Redis(redis.url);
const prefix = '{footprint}';
const config = loadConfig(benchEnv({ redisUrl: redis.url, prefix, publicationFile: await writeBenchPublication(dir) }));
const c = await createContainer(config, await loadPublication(config.publicationFile), createLogger('warn'), {
  mailer: countingMailer(),
});

async function usage(): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const pipeline = admin.pipeline();
    for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    const answers = (await pipeline.exec()) ?? [];
    for (const [i, key] of batch.entries()) sizes.set(key, Number(answers[i]?.[1] ?? 0));
  } while (cursor !== '0');
  return sizes;
}

/** MEMORY STATS' numeric fields (flattened one level). */
async function memoryStats(): Promise<Map<string, number>> {
  const flat = new Map<string, number>();
  const raw = (await admin.call('MEMORY', 'STATS')) as unknown[];
  for (let i = 0; i < raw.length; i += 2) {
    const v = raw[i + 1];
    if (typeof v === 'number') flat.set(String(raw[i]), v);
    else if (Array.isArray(v))
      for (let j = 0; j < v.length; j += 2)
        if (typeof v[j + 1] === 'number') flat.set(`${raw[i]}.${v[j]}`, v[j + 1] as number);
  }
  return flat;
}

/** A key's family: ids (edition ids, reader ids, numbers) replaced by `*`. */
function family(key: string): string {
  return key
    .replace(/:edition:[^:]+/, ':edition:*')
    .replace(/:render:[^:]+/, ':render:*')
    .replace(/:(\d+)(?=:|$)/g, ':*')
    .replace(/:r[A-Za-z0-9_-]{6,}(?=:|$)/g, ':r*')
    .replace(/:(delivery|editions):[a-z-]+-[a-z]+-[0-9TZ_.:-]+$/, ':$1:(job)');
}

try {
  await seedBench(c, readers, 128);
  const before = await usage();
  const used0 = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
  const stats0 = await memoryStats();
  c.startWorkers();
  await Promise.all(LISTS.map((l) => runEdition(c.services, l.id, BENCH_SLOT)));
  const used1 = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
  const stats1 = await memoryStats();
  for (const [k, v] of stats1) {
    const d = v - (stats0.get(k) ?? 0);
    if (Math.abs(d) > readers) console.log(`MEMORY STATS ${k}: ${(d / readers).toFixed(1)} B/reader`);
  }
  const after = await usage();
  const families = new Map<string, { keys: number; bytes: number }>();
  for (const [key, bytes] of after) {
    const grown = bytes - (before.get(key) ?? 0);
    if (grown === 0) continue;
    const f = families.get(family(key)) ?? { keys: 0, bytes: 0 };
    f.keys += 1;
    f.bytes += grown;
    families.set(family(key), f);
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`MEMORY USAGE of every key: ${((sum(after) - sum(before)) / readers).toFixed(1)} B/reader more`);
  const rows = [...families].sort((a, b) => b[1].bytes - a[1].bytes);
  console.log(`${readers} readers; used_memory grew ${((used1 - used0) / readers).toFixed(1)} B per reader`);
  for (const [name, f] of rows)
    console.log(`${(f.bytes / readers).toFixed(1).padStart(8)} B/reader  ${String(f.keys).padStart(6)} keys  ${name}`);
} finally {
  await c.close();
  await admin.quit();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
