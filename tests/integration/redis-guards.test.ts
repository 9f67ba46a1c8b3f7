/**
 * Production guards on the Redis at start: one that evicts keys is refused with a clear line;
 * one without the append-only file gets a warning in production.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from '../../src/store/private-redis.js';
import { runCli } from '../support/cli.js';
import { gazetteEnv } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const redis = testRedis('redis-guards');
let sink: SmtpSink;
let evicting: PrivateRedis;
let durable: PrivateRedis;

beforeAll(async () => {
  sink = await startSmtpSink();
  [evicting, durable] = await Promise.all([
    startPrivateRedis(15_000, ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']),
    startPrivateRedis(15_000, [], { appendOnly: true }),
  ]);
}, 30_000);
afterAll(async () => {
  await Promise.allSettled([evicting?.stop(), durable?.stop(), sink?.close()]);
  await redis.cleanup();
});

/** `gazette status` in production against `url`. */
function statusAgainst(url: string) {
  return runCli(['status'], { ...gazetteEnv(redis, sink), GAZETTE_ENV: 'production', REDIS_URL: url });
}

describe('gazette against a Redis', () => {
  it('refuses one whose maxmemory-policy evicts keys, saying what to set, and writes nothing', async () => {
    const run = await statusAgainst(evicting.url);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `gazette: Redis at ${evicting.url} has maxmemory-policy allkeys-lru: it would evict queued jobs and ` +
        'delivery records under memory pressure; set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction)',
    );
    const client = new Redis(evicting.url);
    try {
      expect(await client.dbsize()).toBe(0);
    } finally {
      client.disconnect();
    }
  });

  it('warns in production when the append-only file is off, and not when it is on', async () => {
    const off = await statusAgainst(redis.url);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toContain('"event":"redis.aof-off"');
    const on = await statusAgainst(durable.url);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).not.toContain('redis.aof-off');
  });
});
