/**
 * The headers of the subscription flow's emails, read from the raw MIME the SMTP sink received:
 * a confirmation is not a list message (no List-*, no one-click, no Precedence), a welcome is
 * (a working one-click); both are Auto-Submitted, have a Message-ID, and are DKIM-signed by
 * the same mailer as editions.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dkimVerify } from 'mailauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApp, type TestApp, tokenIn } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp.js';

/** Header names of the message as written (lower case), in order. */
function headerNames(m: SinkMessage | undefined): string[] {
  return m?.parsed.headerLines.map((h) => h.key) ?? [];
}

function headerLine(m: SinkMessage | undefined, name: string): string {
  return m?.parsed.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n\s+/g, ' ') ?? '';
}

describe('confirmation and welcome emails: headers and DKIM', () => {
  const redis = testRedis('transactional-mail');
  let sink: SmtpSink;
  let t: TestApp;
  let dir: string;
  let verify: (raw: Buffer) => Promise<{ result: string; signed: string[]; domain: string }>;

  beforeAll(async () => {
    sink = await startSmtpSink();
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-transactional-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = path.join(dir, 'dkim.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const dns = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const resolver = async (name: string) => {
      if (name === 'gz._domainkey.koreapro.example') return [[`v=DKIM1; k=rsa; p=${dns}`]];
      throw Object.assign(new Error(`no TXT for ${name}`), { code: 'ENOTFOUND' });
    };
    verify = async (raw) => {
      const { results } = await dkimVerify(raw, { resolver });
      const r = results[0] as (typeof results)[number] & { signingHeaders?: { keys: string }; signingDomain?: string };
      return {
        result: r?.status.result ?? 'none',
        signed: r?.signingHeaders?.keys.toLowerCase().split(': ') ?? [],
        domain: r?.signingDomain ?? '',
      };
    };
    t = await startApp(
      redis,
      sink,
      { DKIM_DOMAIN: 'koreapro.example', DKIM_SELECTOR: 'gz', DKIM_PRIVATE_KEY_FILE: keyFile },
      { subscribePerIpPerMinute: 1000 },
    );
  });
  beforeEach(() => sink.reset());
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
  });

  it('a confirmation to a new address: no List-* headers or Precedence, Auto-Submitted, a Message-ID, DKIM pass', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: { list: 'korea-daily', email: 'never-subscribed@example.com' },
    });
    expect(res.statusCode).toBe(202);
    const [confirm] = await sink.waitFor(1);
    expect(confirm?.parsed.subject).toBe('Confirm your subscription to Korea Pro Daily');
    const names = headerNames(confirm);
    for (const absent of ['list-unsubscribe', 'list-unsubscribe-post', 'list-id', 'precedence']) {
      expect(names, absent).not.toContain(absent);
    }
    expect(headerLine(confirm, 'auto-submitted')).toBe('Auto-Submitted: auto-generated');
    expect(confirm?.parsed.messageId).toMatch(
      /^<confirm\.korea-daily\.r[A-Za-z0-9]+\.[A-Za-z0-9_-]+@koreapro\.example>$/,
    );
    const dkim = await verify(confirm?.raw ?? Buffer.alloc(0));
    expect(dkim).toMatchObject({ result: 'pass', domain: 'koreapro.example' });
    expect(dkim.signed).toEqual(expect.arrayContaining(['from', 'subject', 'message-id', 'auto-submitted']));
  });

  it('a welcome after confirming: list headers with a working one-click, Auto-Submitted, no Precedence, DKIM pass', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: { list: 'korea-daily', email: 'welcome-me@example.com' },
    });
    const [confirm] = await sink.waitFor(1);
    const ok = await t.app.inject({ method: 'GET', url: `/confirm/${tokenIn(confirm?.parsed.text, '/confirm/')}` });
    expect(ok.statusCode).toBe(200);
    const [, welcome] = await sink.waitFor(2);
    expect(welcome?.parsed.subject).toBe('Welcome to Korea Pro Daily');
    expect(headerLine(welcome, 'list-id')).toContain('<korea-daily.koreapro.example>');
    expect(headerLine(welcome, 'list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const unsubscribe = headerLine(welcome, 'list-unsubscribe');
    expect(unsubscribe).toMatch(/<https:\/\/news\.example\/unsubscribe\/[^>]+>/);
    expect(unsubscribe).toMatch(/<mailto:unsubscribe@/);
    expect(headerLine(welcome, 'auto-submitted')).toBe('Auto-Submitted: auto-generated');
    expect(headerNames(welcome)).not.toContain('precedence');
    expect(welcome?.parsed.messageId).toMatch(/^<welcome\.korea-daily\.r[A-Za-z0-9]+\.[0-9a-f]+@koreapro\.example>$/);
    expect(welcome?.parsed.messageId).not.toBe(confirm?.parsed.messageId);
    const dkim = await verify(welcome?.raw ?? Buffer.alloc(0));
    expect(dkim).toMatchObject({ result: 'pass', domain: 'koreapro.example' });
    expect(dkim.signed).toEqual(
      expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post', 'list-id', 'auto-submitted']),
    );

    const s = t.gazette.services;
    const reader = await s.readers.findByEmail('welcome-me@example.com');
    expect((await s.readers.subscription('korea-daily', reader?.id ?? ''))?.status).toBe('confirmed');
    const post = await t.app.inject({
      method: 'POST',
      url: `/unsubscribe/${tokenIn(unsubscribe, '/unsubscribe/')}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(post.statusCode).toBe(200);
    expect((await s.readers.subscription('korea-daily', reader?.id ?? ''))?.status).toBe('unsubscribed');
  });
});
