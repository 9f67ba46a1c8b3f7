/**
 * `gazette send --list ID --to ADDRESS`, the CLI as a child process against the SMTP sink: a
 * test copy of the edition that would go out now, to one address, that changes nothing in
 * Redis (no edition, no ledger, no render, no reader) and whose links change no reader.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { gazetteEnv, seedSample } from '../support/gazette.js';
import { startApp, type TestApp, tokenIn } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp.js';

/** A header as it was written (mailparser folds List-* headers into an object). */
function headerLine(message: SinkMessage | undefined, name: string): string {
  return message?.parsed.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n\s+/g, ' ') ?? '';
}

/** Every key of the namespace with its serialized value: any write shows up as a difference. */
async function snapshot(client: Redis, prefix: string): Promise<Map<string, string>> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const all = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) all.set(key, (await client.dumpBuffer(key))?.toString('hex') ?? '');
  } while (cursor !== '0');
  return all;
}

describe('gazette send --to (a test copy)', () => {
  const redis = testRedis('test-copy');
  let sink: SmtpSink;
  let t: TestApp;
  let env: Record<string, string>;
  let client: Redis;
  let readerIds: Map<string, string>;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink);
    readerIds = await seedSample(t.gazette);
    env = { ...gazetteEnv(redis, sink), LOG_LEVEL: 'warn' };
    client = redis.connect();
  });
  beforeEach(() => sink.reset());
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('sends one "[Test]" copy of the next edition to a reader, changing no key in Redis', async () => {
    const before = await snapshot(client, redis.prefix);
    expect(before.size).toBeGreaterThan(0);
    const res = await runCli(['send', '--list', 'korea-daily', '--to', 'Ada@Example.com'], env, { timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^test copy of korea-daily-\S+ sent to ada@example\.com: \[Test\] /m);
    const [copy] = await sink.waitFor(1);
    expect(sink.messages).toHaveLength(1);
    expect(copy?.to).toEqual(['ada@example.com']);
    expect(copy?.parsed.subject).toMatch(/^\[Test\] /);
    expect(copy?.parsed.messageId).toMatch(/^<test\.korea-daily-/);
    // The same mailer and headers as an edition: list headers, one-click, a text part with the briefings.
    expect(headerLine(copy, 'list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(headerLine(copy, 'list-id')).toContain('korea-daily.koreapro.example');
    expect(copy?.parsed.text).toMatch(/Korea/);
    expect(await snapshot(client, redis.prefix)).toEqual(before);
  }, 90_000);

  it('needs no subscription: an address that is no reader gets it, and no reader is created', async () => {
    const before = await snapshot(client, redis.prefix);
    const res = await runCli(['send', '--list', 'korea-daily', '--to', 'editor@koreapro.example'], env, {
      timeoutMs: 60_000,
    });
    expect(res.code, res.stderr).toBe(0);
    const [copy] = await sink.waitFor(1);
    expect(copy?.to).toEqual(['editor@koreapro.example']);
    expect(await t.gazette.services.readers.findByEmail('editor@koreapro.example')).toBeNull();
    expect(await snapshot(client, redis.prefix)).toEqual(before);
  }, 90_000);

  it('has links that change nobody: one-click POST, the unsubscribe and preferences pages, the mailto: token', async () => {
    const s = t.gazette.services;
    const ada = readerIds.get('ada@example.com') ?? '';
    const res = await runCli(['send', '--list', 'korea-daily', '--to', 'ada@example.com'], env, { timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(0);
    const [copy] = await sink.waitFor(1);
    const header = headerLine(copy, 'list-unsubscribe');
    const token = tokenIn(header, '/unsubscribe/');
    expect(tokenIn(copy?.parsed.text, '/unsubscribe/')).toBe(token);
    const before = await snapshot(client, redis.prefix);

    const page = await t.app.inject({ method: 'GET', url: `/unsubscribe/${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('test copy');
    const post = await t.app.inject({
      method: 'POST',
      url: `/unsubscribe/${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(post.statusCode).toBe(200);
    expect(post.body).toContain('nobody unsubscribed');
    const prefs = await t.app.inject({
      method: 'GET',
      url: `/preferences/${tokenIn(copy?.parsed.text, '/preferences/')}`,
    });
    expect(prefs.statusCode).toBe(200);
    expect(prefs.body).toContain('This link came from a test copy');
    const mailto = /mailto:[^?]+\?subject=([^>,\s]+)/.exec(header)?.[1] ?? '';
    const viaMail = await runCli(['readers', 'unsubscribe', decodeURIComponent(mailto)], env);
    expect(viaMail.code, viaMail.stderr).toBe(0);
    expect(viaMail.stdout).toContain('nobody unsubscribed');

    expect((await s.readers.subscription('korea-daily', ada))?.status).toBe('confirmed');
    expect(await snapshot(client, redis.prefix)).toEqual(before);
  }, 90_000);

  it('refuses a suppressed address and a bad one, sending nothing', async () => {
    await t.gazette.services.suppression.add('gone@example.com', 'test');
    const suppressed = await runCli(['send', '--list', 'korea-daily', '--to', 'gone@example.com'], env);
    expect(suppressed.code).toBe(2);
    expect(suppressed.stderr).toContain('suppression list');
    const bad = await runCli(['send', '--list', 'korea-daily', '--to', 'not-an-address'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--to: not a valid email address');
    expect(sink.messages).toHaveLength(0);
  }, 90_000);
});
