/**
 * The private redis-server the demo and the tests start: with the append-only file on, a
 * restart keeps the same address and every write acknowledged before it.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from '../../src/store/private-redis.js';

describe('a private redis-server with the append-only file on', () => {
  let server: PrivateRedis | undefined;
  afterAll(() => server?.stop());

  it('restarts on the same port and directory, with its data', async () => {
    server = await startPrivateRedis(15_000, [], { appendOnly: true });
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      await client.set('kept', 'before the restart');
      await server.restart();
      // The same client reconnects by itself: same address, and the write survived.
      expect(await client.get('kept')).toBe('before the restart');
      expect(await client.config('GET', 'dir')).toEqual(['dir', server.dir]);
    } finally {
      client.disconnect();
    }
  });

  it('keeps nothing on disk by default', async () => {
    const plain = await startPrivateRedis();
    const client = new Redis(plain.url, { maxRetriesPerRequest: null });
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    } finally {
      client.disconnect();
      await plain.stop();
    }
  });
});
