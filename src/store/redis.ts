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

/** What `boot` checks of a Redis before running against it (from INFO, which managed services allow). */
export interface RedisTraits {
  /** `maxmemory_policy`, e.g. `noeviction`; undefined when INFO does not say. */
  maxmemoryPolicy?: string;
  /** Whether the append-only file is on; undefined when INFO does not say. */
  aofEnabled?: boolean;
}

/** A field of an INFO answer (`name:value` lines). */
function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * Resolves when Redis answers PING within `timeoutMs` with its eviction policy and persistence;
 * rejects with a readable reason when it cannot be reached. An INFO that is refused (some managed
 * services rename it) leaves the traits unknown.
 */
export async function inspectRedis(url: string, timeoutMs = 1500): Promise<RedisTraits> {
  let traits: RedisTraits = {};
  await pingRedis(url, timeoutMs, async (client) => {
    const info = await client.info().catch(() => '');
    const aof = infoField(info, 'aof_enabled');
    const policy = infoField(info, 'maxmemory_policy');
    traits = { ...(policy ? { maxmemoryPolicy: policy } : {}), ...(aof ? { aofEnabled: aof === '1' } : {}) };
  });
  return traits;
}

/** Resolves when Redis answers PING within `timeoutMs`, else rejects with a readable reason. */
export async function pingRedis(
  url: string,
  timeoutMs = 1500,
  then: (client: Redis) => Promise<void> = async () => {},
): Promise<void> {
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
    await then(client);
  } catch (err) {
    throw cause ?? err;
  } finally {
    client.disconnect();
  }
}

export type { Redis };
