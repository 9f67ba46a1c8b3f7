import { describe, expect, it } from 'vitest';
import { type ConfigError, loadConfig } from '../../src/config.js';
import { hashTag, parseRedisUrl, redactRedisUrl } from '../../src/store/redis-url.js';

const dev = { GAZETTE_ENV: 'development' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...dev, ...env });
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('REDIS_URL', () => {
  it('is one Redis for redis:// and rediss://', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6380/2' });
    expect(parseRedisUrl('rediss://:pw@cache.example:6380').kind).toBe('single');
  });

  it('is a Redis Cluster through its seed nodes for redis+cluster://, with credentials and TLS', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://gazette:p%40ss@redis.example/')).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'redis.example', port: 6379 }],
      username: 'gazette',
      password: 'p@ss',
      tls: true,
    });
  });

  it('refuses what it cannot use, with the reason and without the password', () => {
    expect(() => parseRedisUrl('redis+cluster://h1:7000/3')).toThrow(/only database 0/);
    expect(() => parseRedisUrl('redis+cluster://h1:7000,:bad')).toThrow(/not host:port/);
    expect(() => parseRedisUrl('http://h1')).toThrow(/must be redis:\/\//);
    const lines = problems({ REDIS_URL: 'redis+cluster://:hunter2@h1:7000,h2:x' });
    expect(lines).toEqual([expect.stringMatching(/^REDIS_URL: lists a seed node that is not host:port/)]);
    expect(lines.join('')).not.toContain('hunter2');
  });

  it('needs a prefix with a hash tag on a cluster, so every key hashes to one slot', () => {
    expect(problems({ REDIS_URL: 'redis+cluster://h1:7000', REDIS_PREFIX: 'gazette' })).toEqual([
      expect.stringMatching(/^REDIS_PREFIX: must carry a hash tag such as \{gazette\}/),
    ]);
    expect(problems({ REDIS_URL: 'redis+cluster://h1:7000', REDIS_PREFIX: '{}gazette' })).toHaveLength(1);
    expect(problems({ REDIS_URL: 'redis+cluster://h1:7000' })).toEqual([]);
    expect(loadConfig({ ...dev, REDIS_URL: 'redis+cluster://h1:7000' }).redisUrl).toBe('redis+cluster://h1:7000');
    // One Redis does not care.
    expect(problems({ REDIS_PREFIX: 'gazette' })).toEqual([]);
  });

  it('reads hash tags as Redis Cluster does: the first {…} that is not empty', () => {
    expect(hashTag('{gazette}')).toBe('gazette');
    expect(hashTag('app-{g}-x')).toBe('g');
    expect(hashTag('{}{g}')).toBeUndefined();
    expect(hashTag('gazette')).toBeUndefined();
  });

  it('hides passwords in messages, also of several seeds', () => {
    expect(redactRedisUrl('redis+cluster://u:secret@h1:7000,h2:7000')).toBe('redis+cluster://u:***@h1:7000,h2:7000');
    expect(redactRedisUrl('redis://:secret@h1:6379/0')).toBe('redis://:***@h1:6379/0');
    expect(redactRedisUrl('redis://h1:6379')).toBe('redis://h1:6379');
  });
});
