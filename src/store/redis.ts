import { Redis } from 'ioredis';

/**
 * Redis connections. Workers need `maxRetriesPerRequest: null` (BullMQ blocks on commands);
 * request-path producers fail fast instead (`enableOfflineQueue: false`).
 */
export type RedisRole = 'worker' | 'producer';

export function createRedis(url: string, role: RedisRole): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    lazyConnect: false,
  });
}

/** Resolves when Redis answers PING within `timeoutMs`, else rejects with a readable reason. */
export async function pingRedis(url: string, timeoutMs = 1500): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  let cause: Error | undefined;
  client.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw cause ?? err;
  } finally {
    client.disconnect();
  }
}

export type { Redis };
