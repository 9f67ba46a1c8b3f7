import { Cluster, type RedisOptions, Redis as SingleRedis } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';

/**
 * A connection to Gazette's Redis: one server, or a Redis Cluster (`redis+cluster://` URLs).
 * Both take the same commands; on a cluster every key Gazette and BullMQ use carries the
 * prefix's hash tag, so all of them live in one slot and multi-key scripts work.
 */
export type Redis = SingleRedis | Cluster;

/**
 * Redis connections. Workers need `maxRetriesPerRequest: null` (BullMQ blocks on commands);
 * request-path producers fail fast instead (`enableOfflineQueue: false`).
 */
export type RedisRole = 'worker' | 'producer';

export function createRedis(url: string, role: RedisRole): Redis {
  const options = {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
  } satisfies RedisOptions;
  const target = parseRedisUrl(url);
  if (target.kind === 'single') return new SingleRedis(url, { ...options, lazyConnect: false });
  return new Cluster(target.nodes, {
    enableOfflineQueue: options.enableOfflineQueue,
    redisOptions: { ...options, ...clusterAuth(target) },
  });
}

/** Credentials and TLS of a cluster URL, for every node the client talks to. */
function clusterAuth(target: Extract<ReturnType<typeof parseRedisUrl>, { kind: 'cluster' }>): RedisOptions {
  return {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
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
    // On a cluster, every master: whichever owns Gazette's slot now (or after a failover) must hold up.
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    const infos = await Promise.all(nodes.map((node) => node.info().catch(() => '')));
    const policies = infos.map((info) => infoField(info, 'maxmemory_policy')).filter((p) => p !== undefined);
    const aofs = infos.map((info) => infoField(info, 'aof_enabled')).filter((a) => a !== undefined);
    const policy = policies.find((p) => p !== 'noeviction') ?? policies[0];
    traits = {
      ...(policy ? { maxmemoryPolicy: policy } : {}),
      ...(aofs.length ? { aofEnabled: aofs.every((a) => a === '1') } : {}),
    };
  });
  return traits;
}

/** Resolves when Redis answers PING within `timeoutMs`, else rejects with a readable reason. */
export async function pingRedis(
  url: string,
  timeoutMs = 1500,
  then: (client: Redis) => Promise<void> = async () => {},
): Promise<void> {
  const once = {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  } satisfies RedisOptions;
  const target = parseRedisUrl(url);
  const client =
    target.kind === 'single'
      ? new SingleRedis(url, once)
      : new Cluster(target.nodes, {
          lazyConnect: true,
          enableOfflineQueue: false,
          clusterRetryStrategy: () => null,
          redisOptions: { ...once, ...clusterAuth(target) },
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
    throw clusterReason(cause ?? err);
  } finally {
    client.disconnect();
  }
}

/** ioredis says only "Failed to refresh slots cache." when no seed gives a slot map: say why. */
function clusterReason(err: unknown): unknown {
  const last = (err as { lastNodeError?: unknown }).lastNodeError;
  if (!(err instanceof Error) || err.name !== 'ClusterAllFailedError') return err;
  const why = last instanceof Error ? last.message : 'none answered';
  return new Error(`no seed node answered as a Redis Cluster member: ${why}`);
}
