/**
 * Per-file access to the run's shared test Redis (started by `global-setup.ts`).
 * Each call gets its own key prefix so files never see each other's keys.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** A key namespace on the shared test Redis, with the clients opened in it. */
export interface TestRedis {
  /** `redis://127.0.0.1:PORT` of the shared test server. */
  readonly url: string;
  /** Unique key prefix with a hash tag, e.g. `{t-queue-1a2b3c4d}`; use it for keys and BullMQ `prefix`. */
  readonly prefix: string;
  /** Opens a client (`maxRetriesPerRequest: null`, as BullMQ workers need); closed by `cleanup()`. */
  connect(): Redis;
  /** Deletes every key starting with `prefix` (SCAN, not KEYS) and quits the clients from `connect()`. */
  cleanup(): Promise<void>;
}

/**
 * Creates a fresh namespace on the test Redis.
 * @param name - short label put in the prefix, to tell namespaces apart when debugging
 * @example
 * const redis = testRedis('ledger');
 * afterAll(() => redis.cleanup());
 * const client = redis.connect();
 */
export function testRedis(name: string): TestRedis {
  const url = inject('redisUrl');
  const prefix = `{t-${name}-${randomBytes(4).toString('hex')}}`;
  const clients = new Set<Redis>();

  function connect(): Redis {
    const client = new Redis(url, { maxRetriesPerRequest: null });
    clients.add(client);
    return client;
  }

  async function cleanup(): Promise<void> {
    const admin = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
    try {
      await admin.connect();
      // Escape glob characters in the prefix (the hash tag's braces are literal).
      const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await admin.unlink(...keys);
      } while (cursor !== '0');
    } finally {
      await Promise.allSettled([admin, ...clients].map((c) => quit(c)));
      clients.clear();
    }
  }

  return { url, prefix, connect, cleanup };
}

/** Quits politely when connected, otherwise just drops the connection; resolves once the client has ended. */
async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'wait') return client.disconnect();
  const ended = once(client, 'end');
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
  await ended;
}

/** Every key under `prefix` and every value in it, as text (all Redis types Gazette and BullMQ use). */
export async function dumpNamespace(client: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await client.type(key);
      if (type === 'string') parts.push((await client.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await client.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await client.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await client.zrange(key, '0', '-1')));
      else if (type === 'stream') parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
      else parts.push(`(${type})`);
    }
  } while (cursor !== '0');
  return parts.join('\n');
}
