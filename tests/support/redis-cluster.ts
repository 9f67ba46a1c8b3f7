/**
 * A real 3-master Redis Cluster on loopback for one test file: three Debian `redis-server`s
 * with `--cluster-enabled yes`, each on free ports in its own temporary directory, joined by
 * `redis-cli --cluster create --cluster-replicas 0`, and ready once every node reports
 * `cluster_state:ok`. Never uses port 6379.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, type PrivateRedis, startPrivateRedis } from '../../src/store/private-redis.js';

const run = promisify(execFile);

export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`, Gazette's REDIS_URL for it. */
  readonly url: string;
  /** `redis://127.0.0.1:P` of each master, to talk to one node directly. */
  readonly nodeUrls: readonly string[];
  /** Stops every node and removes their directories. */
  stop(): Promise<void>;
}

/** Resolves when `check` does, polling every 100 ms; rejects with the last reason after `ms`. */
async function until(ms: number, check: () => Promise<string | null>): Promise<void> {
  const start = Date.now();
  let reason: string | null = 'not checked';
  while (Date.now() - start < ms) {
    reason = await check().catch((err: Error) => err.message);
    if (reason === null) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Redis Cluster not ready after ${ms} ms: ${reason}`);
}

export async function startRedisCluster(masters = 3, timeoutMs = 30_000): Promise<TestRedisCluster> {
  const nodes: PrivateRedis[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus needs a port of its own (by default port + 10000, which may not exist).
      const busPort = await freePort();
      nodes.push(
        await startPrivateRedis(15_000, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-port',
          String(busPort),
          '--cluster-node-timeout',
          '5000',
        ]),
      );
    }
    const addresses = nodes.map((n) => n.url.replace('redis://', ''));
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: timeoutMs,
    }).catch((err: NodeJS.ErrnoException & { stdout?: string }) => {
      throw err.code === 'ENOENT'
        ? new Error('redis-cli is not on PATH: install it (apt-get install -y redis-tools) to run the cluster test')
        : new Error(`redis-cli --cluster create failed: ${err.message}\n${err.stdout ?? ''}`);
    });
    const clients = nodes.map((n) => new Redis(n.url, { lazyConnect: true, maxRetriesPerRequest: 1 }));
    try {
      await until(timeoutMs, async () => {
        for (const [i, client] of clients.entries()) {
          const info = String(await client.call('CLUSTER', 'INFO'));
          if (!/cluster_state:ok/.test(info)) return `node ${addresses[i]} is not ok yet`;
          if (!/cluster_known_nodes:(\d+)/.test(info) || Number(/cluster_known_nodes:(\d+)/.exec(info)?.[1]) < masters)
            return `node ${addresses[i]} does not know every node yet`;
        }
        return null;
      });
    } finally {
      for (const client of clients) client.disconnect();
    }
    return { url: `redis+cluster://${addresses.join(',')}`, nodeUrls: nodes.map((n) => n.url), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
