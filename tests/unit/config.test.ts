import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration from the environment', () => {
  it('has working defaults for development: Redis on localhost, the outbox, the sample publication', () => {
    const c = loadConfig({ GAZETTE_ENV: 'development' });
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.mail.transport).toEqual({ kind: 'outbox', dir: 'outbox' });
    expect(c.publicationFile).toBe('sample/gazette.json');
    expect(c.mail.unsubscribeAddress).toBe('unsubscribe@localhost');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads an SMTP transport', () => {
    expect(
      loadConfig({ GAZETTE_ENV: 'development', MAIL_TRANSPORT: 'smtp://mail.example:2525' }).mail.transport,
    ).toEqual({
      kind: 'smtp',
      url: 'smtp://mail.example:2525',
    });
  });

  it('names every bad variable on its own line', () => {
    const lines = problems({ REDIS_URL: 'http://nope', PORT: 'eighty', MAIL_TRANSPORT: 'pigeon', LOG_LEVEL: 'loud' });
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('REDIS_URL:'))).toBeDefined();
    expect(lines.find((l) => l.startsWith('PORT:'))).toBeDefined();
    expect(lines.find((l) => l.startsWith('MAIL_TRANSPORT:'))).toMatch(/smtp:\/\/…, smtps:\/\/… or outbox:DIR/);
    expect(lines.find((l) => l.startsWith('LOG_LEVEL:'))).toBeDefined();
  });

  it('requires a SECRET outside development, and never echoes a secret back', () => {
    expect(problems({})).toEqual([
      expect.stringMatching(/^SECRET: is required when GAZETTE_ENV=production \(set SECRET/),
    ]);
    const short = problems({ GAZETTE_ENV: 'production', SECRET: 'hunter2-hunter2' });
    expect(short).toHaveLength(1);
    expect(short[0]).toMatch(/^SECRET: /);
    expect(short.join('\n')).not.toContain('hunter2');
  });

  it('composes digests on the fast path unless MAIL_COMPOSE says sendMail, and names a bad value', () => {
    expect(loadConfig({ GAZETTE_ENV: 'development' }).mail.compose).toBe('fast');
    expect(loadConfig({ GAZETTE_ENV: 'development', MAIL_COMPOSE: 'sendMail' }).mail.compose).toBe('sendMail');
    expect(problems({ GAZETTE_ENV: 'development', MAIL_COMPOSE: 'slow' })[0]).toMatch(/MAIL_COMPOSE/);
  });

  it('wants all three DKIM settings or none', () => {
    expect(problems({ GAZETTE_ENV: 'development', DKIM_DOMAIN: 'example.com' })[0]).toMatch(
      /DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE/,
    );
  });

  it('reads DKIM_ALGORITHM (rsa-sha256 by default, ed25519-sha256, or both) with one selector and key file each', () => {
    const dkim = {
      GAZETTE_ENV: 'development',
      DKIM_DOMAIN: 'example.com',
      DKIM_SELECTOR: 'gz',
      DKIM_PRIVATE_KEY_FILE: 'k.pem',
    };
    expect(loadConfig(dkim).mail.dkim).toEqual({
      domainName: 'example.com',
      keys: [{ algorithm: 'rsa-sha256', keySelector: 'gz', privateKeyFile: 'k.pem' }],
    });
    expect(loadConfig({ ...dkim, DKIM_ALGORITHM: 'ed25519-sha256' }).mail.dkim?.keys[0]?.algorithm).toBe(
      'ed25519-sha256',
    );
    const dual = {
      ...dkim,
      DKIM_ALGORITHM: 'rsa-sha256, ed25519-sha256',
      DKIM_SELECTOR: 'rsa,ed',
      DKIM_PRIVATE_KEY_FILE: 'r.pem,e.pem',
    };
    expect(loadConfig(dual).mail.dkim?.keys).toEqual([
      { algorithm: 'rsa-sha256', keySelector: 'rsa', privateKeyFile: 'r.pem' },
      { algorithm: 'ed25519-sha256', keySelector: 'ed', privateKeyFile: 'e.pem' },
    ]);
    expect(problems({ ...dkim, DKIM_ALGORITHM: 'rsa-sha1' })[0]).toMatch(/DKIM_ALGORITHM/);
    expect(problems({ ...dual, DKIM_PRIVATE_KEY_FILE: 'r.pem' })[0]).toMatch(
      /DKIM_PRIVATE_KEY_FILE.*2 comma-separated/,
    );
    expect(problems({ ...dual, DKIM_SELECTOR: 'gz,gz' })[0]).toMatch(/DKIM_SELECTOR/);
  });

  it('uses defaults for unset variables only', () => {
    const dev = { GAZETTE_ENV: 'development' };
    expect(loadConfig(dev, { REDIS_PREFIX: '{demo}' }).redisPrefix).toBe('{demo}');
    expect(loadConfig({ ...dev, REDIS_PREFIX: '{mine}' }, { REDIS_PREFIX: '{demo}' }).redisPrefix).toBe('{mine}');
  });

  it('reads a key ring from SECRET or SECRETS, and TRUST_PROXY', () => {
    const key = (c: string) => c.repeat(32);
    const single = loadConfig({ GAZETTE_ENV: 'test', SECRET: key('a') });
    expect(single.secrets).toEqual([{ id: 'k1', key: key('a') }]);
    const ring = loadConfig({ GAZETTE_ENV: 'test', SECRET: `k2:${key('b')},k1:${key('a')}`, TRUST_PROXY: '1' });
    expect(ring.secrets.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(ring.secret).toBe(key('b'));
    expect(ring.trustProxy).toBe(1);
    const list = loadConfig({ GAZETTE_ENV: 'test', SECRETS: `new:${key('c')},old:${key('a')}`, TRUST_PROXY: 'true' });
    expect(list.secrets.map((k) => k.id)).toEqual(['new', 'old']);
    expect(list.trustProxy).toBe(true);
    const bad = problems({ GAZETTE_ENV: 'test', SECRETS: `a:${key('a')},b:short-key` });
    expect(bad).toEqual([expect.stringMatching(/^SECRETS: every key must be at least 32 characters/)]);
    expect(bad.join('\n')).not.toContain('short-key');
    expect(problems({ GAZETTE_ENV: 'test', SECRETS: 'no-ids-here-no-ids-here-no-ids-here' })[0]).toMatch(/^SECRETS: /);
  });
});
