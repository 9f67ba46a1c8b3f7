import type { Redis } from 'ioredis';

/** The key families an edition writes: its own keys and the two queues' jobs and events. */
const EDITION_FAMILIES = ['edition', 'delivery', 'editions'];

/**
 * MEMORY USAGE (every element, SAMPLES 0) of the keys under `prefix` that an edition writes. The
 * difference before and after an edition is what it keeps in Redis; unlike `used_memory`, it
 * leaves out Redis's own keyspace table, which doubles (and is held twice while it rehashes)
 * whenever the number of keys crosses a power of two, whatever the keys are.
 */
export async function editionKeyBytes(redis: Redis, prefix: string): Promise<number> {
  let total = 0;
  for (const family of EDITION_FAMILIES) {
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:${family}:*`, 'COUNT', 5000);
      cursor = next;
      if (batch.length === 0) continue;
      const pipeline = redis.pipeline();
      for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', '0');
      for (const [, bytes] of (await pipeline.exec()) ?? []) total += Number(bytes ?? 0);
    } while (cursor !== '0');
  }
  return total;
}

/** Redis's `used_memory`. */
export async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
}
