/**
 * scale, one size: `scale-child.ts <readers> <redisUrl>`. Seeds the readers, then plans, renders
 * and "sends" the 3 lists' editions through the real queues, to a counting transport, in two
 * worker processes (this one, which also plans, and `scale-worker.ts`), as fanout has two. Peak
 * RSS is the larger of the two, measured here over the edition alone (reset after seeding).
 * IPC: the result.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { runEdition } from '../src/cli/run-edition.js';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { createLogger } from '../src/logger.js';
import { loadPublication } from '../src/publication.js';
import { countingMailer } from './support/counting-mailer.js';
import { BENCH_SLOT, LISTS, seedBench, writeBenchPublication } from './support/fixture.js';
import { benchEnv } from './support/gazette.js';
import { ask, forkTs, nextMessage, peakRss, stop, tail } from './support/procs.js';
import { editionKeyBytes, usedMemory } from './support/redis-bytes.js';

/** With BENCH_PROFILE=file.cpuprofile, a CPU profile of the edition alone (not the seeding). */
async function startProfile(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => {};
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  };
}

const readers = Number(process.argv[2]);
const redisUrl = process.argv[3] ?? '';
const dir = await mkdtemp(path.join(tmpdir(), 'gazette-scale-'));
const prefix = `{scale-${readers}}`;
const config = loadConfig(benchEnv({ redisUrl, prefix, publicationFile: await writeBenchPublication(dir) }));
const mailer = countingMailer();
const c = await createContainer(config, await loadPublication(config.publicationFile), createLogger('warn'), {
  mailer,
});
const admin = new Redis(redisUrl);
const memory = async () => ({ used: await usedMemory(admin), keys: await editionKeyBytes(admin, prefix) });
try {
  const seedStart = performance.now();
  await seedBench(c, readers, 128);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const before = await memory();
  // Peak RSS from here on: the edition, not the seeding.
  await writeFile('/proc/self/clear_refs', '5').catch(() => {});
  // Two worker processes, as in fanout: this one (which also plans) and a second one.
  const helper = forkTs('bench/scale-worker.ts', [redisUrl, prefix, config.publicationFile]);
  const helperOutput = tail(helper);
  await nextMessage<{ ready?: boolean }>(helper, (m) => m.ready === true).catch((err: Error) => {
    throw new Error(`${err.message}\n${helperOutput()}`);
  });
  const profile = await startProfile(process.env.BENCH_PROFILE);
  c.startWorkers();
  const t0 = performance.now();
  await Promise.all(LISTS.map((l) => runEdition(c.services, l.id, BENCH_SLOT)));
  const seconds = (performance.now() - t0) / 1000;
  await profile();
  const helped = await ask<{ sent: number; bytes: number; peakRss: number }>(helper, { count: true });
  await stop(helper);
  const after = await memory();
  const sent = mailer.count + helped.sent;
  process.send?.({
    readers,
    sent,
    seedSeconds,
    seconds,
    microsPerReader: (seconds * 1e6) / readers,
    peakRssMB: Math.max(peakRss(process.pid), helped.peakRss) / 2 ** 20,
    redisBytesPerReader: (after.keys - before.keys) / readers,
    usedMemoryPerReader: (after.used - before.used) / readers,
    messageKB: (mailer.bytes + helped.bytes) / Math.max(1, sent) / 1000,
  });
} catch (err) {
  process.send?.({ error: (err as Error).stack ?? String(err) });
} finally {
  await c.close();
  await admin.quit();
  await rm(dir, { recursive: true, force: true });
}
