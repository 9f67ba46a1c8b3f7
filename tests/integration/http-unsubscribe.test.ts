import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import { Tokens } from '../../src/subscriptions/tokens.js';
import { seedSample, TEST_SECRET } from '../support/gazette.js';
import { startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const AT = new Date('2026-11-24T01:00:00Z');
const NEW_KEY = 'a-brand-new-signing-key-after-rotation-0001';

/** A token with one bit of its payload or signature flipped, or cut short, kept in base64url. */
function mutate(token: string, i: number): string {
  const [payload = '', signature = ''] = token.split('.');
  const kind = i % 3;
  if (kind === 2) return token.slice(0, 1 + (i % (token.length - 1)));
  const part = Buffer.from(kind === 0 ? payload : signature, 'base64url');
  const bit = (i * 7919) % (part.length * 8);
  part[bit >> 3] = (part[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  const changed = part.toString('base64url');
  return kind === 0 ? `${changed}.${signature}` : `${payload}.${changed}`;
}

/** Same signature over another reader's or list's claims. */
function swapClaim(token: string, field: 'r' | 'l', value: string): string {
  const [payload = '', signature = ''] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims[field] = value;
  return `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

describe('RFC 8058 one-click unsubscribe and signed links', () => {
  const redis = testRedis('http-unsub');
  let sink: SmtpSink;
  let t: TestApp;
  let ids: Map<string, string>;
  const old = new Tokens(TEST_SECRET);

  beforeAll(async () => {
    sink = await startSmtpSink();
    // Rotated: the new key signs, the old one (TEST_SECRET, id k1) still verifies.
    t = await startApp(redis, sink, { SECRET: `k2:${NEW_KEY},k1:${TEST_SECRET}` });
    t.gazette.startWorkers();
    ids = await seedSample(t.gazette);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  const status = async (email: string) =>
    (await t.gazette.services.readers.subscription('korea-daily', ids.get(email) ?? ''))?.status;

  it('shows one button on GET and changes nothing, 100 times', async () => {
    const token = t.gazette.services.tokens.issue(ids.get('ada@example.com') ?? '', 'korea-daily', 'unsubscribe', 3600);
    for (let i = 0; i < 100; i++) {
      const res = await t.app.inject({ method: 'GET', url: `/unsubscribe/${token}` });
      expect(res.statusCode).toBe(200);
      if (i === 0) expect(res.body.match(/<button/g)).toHaveLength(1);
    }
    expect(await status('ada@example.com')).toBe('confirmed');
  });

  it('unsubscribes with a cookie-less urlencoded POST; 10 repeats all answer 200 with the same state, none redirects', async () => {
    const token = t.gazette.services.tokens.issue(ids.get('ada@example.com') ?? '', 'korea-daily', 'unsubscribe', 3600);
    const answers = [];
    for (let i = 0; i < 10; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/unsubscribe/${token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      answers.push([res.statusCode, res.headers.location, res.body]);
      expect(await status('ada@example.com')).toBe('unsubscribed');
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]?.[0]).toBe(200);
    expect(answers[0]?.[1]).toBeUndefined();
    const history = await t.gazette.services.readers.consentHistory(ids.get('ada@example.com') ?? '');
    expect(history.filter((h) => h.status === 'unsubscribed')).toHaveLength(1);
  });

  it('unsubscribes with a multipart/form-data POST over a real socket, with a link signed by the previous key', async () => {
    const token = old.issue(ids.get('linus@example.com') ?? '', 'korea-daily', 'unsubscribe', 365 * 86400);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const res = await fetch(`${address}/unsubscribe/${token}`, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await status('linus@example.com')).toBe('unsubscribed');
  });

  it('refuses 1,000 mutated tokens with one 4xx page and no 5xx, and changes nothing', async () => {
    const s = t.gazette.services;
    const reader = ids.get('min-ji@example.com') ?? '';
    const valid = s.tokens.issue(reader, 'korea-daily', 'unsubscribe', 3600);
    const retired = new Tokens([{ id: 'k0', key: 'a-retired-key-that-was-removed-from-the-ring' }]);
    const candidates: string[] = [];
    for (let i = 0; candidates.length < 940; i++) candidates.push(mutate(valid, i));
    for (let i = 0; i < 10; i++) {
      candidates.push(swapClaim(valid, 'r', ids.get('ada@example.com') ?? ''));
      candidates.push(swapClaim(valid, 'l', 'other-list'));
      candidates.push(s.tokens.issue(reader, 'korea-daily', 'preferences', 3600));
      candidates.push(s.tokens.issue(reader, 'korea-daily', 'confirm', 3600));
      candidates.push(s.tokens.issue(reader, 'korea-daily', 'unsubscribe', 60, Date.now() - 3600_000 * (i + 1)));
      candidates.push(retired.issue(reader, 'korea-daily', 'unsubscribe', 3600));
    }
    expect(candidates).toHaveLength(1000);
    const bodies = new Set<string>();
    const codes = new Map<number, number>();
    for (const [i, token] of candidates.entries()) {
      const res = await t.app.inject({
        method: i % 2 ? 'POST' : 'GET',
        url: `/unsubscribe/${token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1);
      bodies.add(res.body);
    }
    expect([...codes]).toEqual([[400, 1000]]);
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toContain('This link is not valid');
    expect(await status('min-ji@example.com')).toBe('confirmed');
  });

  it('skips unsubscribed readers at the very next send', async () => {
    sink.reset();
    const run = await runEdition(t.gazette.services, 'korea-daily', AT);
    expect(run.status).toBe('dispatched');
    const to = sink.messages.flatMap((m) => m.to);
    expect(to).toContain('min-ji@example.com');
    expect(to).not.toContain('ada@example.com');
    expect(to).not.toContain('linus@example.com');
  });

  it('serves the sent edition in the web archive without reader links, with an index and an Atom feed', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/archive/korea-daily/korea-daily-20261123T220000Z' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Korea and China discuss');
    expect(page.body).not.toMatch(/\/unsubscribe\/|\/preferences\//);
    expect(page.body).toContain('https://news.example/subscribe/korea-daily');
    // The whole edition, untrimmed; `?topics=` (a digest's "more on the web" link) shows one topic set.
    const sections = (html: string) => [...html.matchAll(/<h2 id="topic-([a-z0-9-]+)"/g)].map((m) => m[1]);
    expect(sections(page.body).length).toBeGreaterThan(1);
    const china = await t.app.inject({
      method: 'GET',
      url: '/archive/korea-daily/korea-daily-20261123T220000Z?topics=china,mars',
    });
    expect(china.statusCode).toBe(200);
    expect(sections(china.body)).toEqual(['china']);
    const index = await t.app.inject({ method: 'GET', url: '/archive/korea-daily' });
    expect(index.body).toContain('/archive/korea-daily/korea-daily-20261123T220000Z');
    const feed = await t.app.inject({ method: 'GET', url: '/archive/korea-daily/feed.xml' });
    expect(feed.headers['content-type']).toMatch(/application\/atom\+xml/);
    expect(feed.body).toContain('<feed');
    expect(feed.body).toContain('https://news.example/archive/korea-daily/korea-daily-20261123T220000Z');
    for (const url of [
      '/archive/nope',
      '/archive/korea-daily/korea-daily-20200101T000000Z',
      '/archive/nope/feed.xml',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.body).toContain('<html lang="en">');
    }
  });
});
