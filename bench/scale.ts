/** scale: plan, render and fill an edition for 10k, 100k (and with --scale-max, 1M) readers, each size in a fresh process. */
import { startPrivateRedis } from '../src/store/private-redis.js';
import { forkTs, nextMessage, stop, tail } from './support/procs.js';

export interface ScaleRow {
  readers: number;
  sent: number;
  seedSeconds: number;
  seconds: number;
  microsPerReader: number;
  peakRssMB: number;
  /** MEMORY USAGE of the keys the editions wrote, per reader. */
  redisBytesPerReader: number;
  /** Redis `used_memory` growth per reader (includes keyspace-table resizes). */
  usedMemoryPerReader: number;
  messageKB: number;
}

export async function runScale(sizes: number[]): Promise<ScaleRow[]> {
  const redis = await startPrivateRedis(15_000, ['--maxmemory-policy', 'noeviction']);
  const rows: ScaleRow[] = [];
  try {
    for (const readers of sizes) {
      process.stderr.write(`  scale: ${readers} readers…\n`);
      const child = forkTs('bench/scale-child.ts', [String(readers), redis.url]);
      const output = tail(child);
      try {
        const r = await nextMessage<ScaleRow & { error?: string }>(child);
        if (r.error) throw new Error(r.error);
        rows.push(r);
      } catch (err) {
        throw new Error(`scale ${readers}: ${(err as Error).message}\n${output()}`);
      } finally {
        await stop(child);
      }
    }
  } finally {
    await redis.stop();
  }
  return rows;
}
