import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cookiesOf, csrfIn, startApp, type TestApp, tokenIn } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('double opt-in, preferences and abuse limits over HTTP', () => {
  const redis = testRedis('http-subscribe');
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink, {}, { subscribePerIpPerMinute: 10_000 });
  });
  beforeEach(() => sink.reset());
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  const subscribe = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/subscribe', payload: { list: 'korea-daily', ...payload } });

  it('serves a plain subscribe form with the list name, topics and a lang attribute', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/subscribe/korea-daily' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/<html lang="en">/);
    expect(res.body).toContain('Korea Pro Daily');
    expect(res.body).toContain('name="topics" value="china"');
    expect(res.body).not.toContain('<script');
    expect((await t.app.inject({ method: 'GET', url: '/subscribe/nope' })).statusCode).toBe(404);
  });

  it('confirms by a single-use link, sends a welcome email, and records consent with IP and user agent', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { ...FORM, 'user-agent': 'TestBrowser/1.0' },
      payload: 'list=korea-daily&email=Grace%40Example.com&name=Grace&topics=china&topics=north-korea',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Check your inbox');
    const [confirm] = await sink.waitFor(1);
    expect(confirm?.to).toEqual(['grace@example.com']);
    expect(confirm?.parsed.subject).toBe('Confirm your subscription to Korea Pro Daily');
    const s = t.gazette.services;
    const reader = await s.readers.findByEmail('grace@example.com');
    expect(await s.readers.subscription('korea-daily', reader?.id ?? '')).toMatchObject({
      status: 'pending',
      topics: ['china', 'north-korea'],
    });
    const token = tokenIn(confirm?.parsed.text, '/confirm/');
    const ok = await t.app.inject({ method: 'GET', url: `/confirm/${token}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('You are subscribed');
    const again = await t.app.inject({ method: 'GET', url: `/confirm/${token}` });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('Already confirmed');
    const [, welcome] = await sink.waitFor(2);
    expect(welcome?.parsed.subject).toBe('Welcome to Korea Pro Daily');
    const consent = await s.readers.consentHistory(reader?.id ?? '');
    expect(consent.map((c) => [c.status, c.source])).toEqual([
      ['pending', 'form'],
      ['confirmed', 'confirm-link'],
    ]);
    expect(consent[0]).toMatchObject({ ip: '127.0.0.1', ua: 'TestBrowser/1.0' });
  });

  it('answers the same for known, confirmed and new addresses', async () => {
    const first = await subscribe({ email: 'grace@example.com' });
    const fresh = await subscribe({ email: 'someone-new@example.com' });
    expect(first.statusCode).toBe(202);
    expect(fresh.statusCode).toBe(202);
    expect(first.body).toBe(fresh.body);
  });

  it('sends one confirmation email for 200 subscribe requests for one address, and answers 429 with Retry-After', async () => {
    const answers = [];
    for (let i = 0; i < 200; i++) answers.push((await subscribe({ email: 'flood@example.com' })).statusCode);
    await t.gazette.services.subscriptions.drain();
    expect(sink.messages.filter((m) => m.to.includes('flood@example.com'))).toHaveLength(1);
    expect(answers.filter((c) => c === 202).length).toBeGreaterThanOrEqual(1);
    expect(answers.filter((c) => c !== 202 && c !== 429)).toEqual([]);
    const limited = await subscribe({ email: 'flood@example.com' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('rate-limits one client IP', async () => {
    const strict = await startApp(redis, sink, {}, { subscribePerIpPerMinute: 3 });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) {
        const res = await strict.app.inject({
          method: 'POST',
          url: '/subscribe',
          remoteAddress: '203.0.113.9',
          payload: { list: 'korea-daily', email: `ip${i}@example.com` },
        });
        codes.push(res.statusCode);
        if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(codes).toEqual([202, 202, 202, 429, 429]);
    } finally {
      await strict.close();
    }
  });

  it('names the field of bad input, refuses bodies over 16 KB with 413, and never shows a stack', async () => {
    const bad = await subscribe({ email: 'not-an-address' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'email' });
    const missing = await t.app.inject({ method: 'POST', url: '/subscribe', payload: { list: 'korea-daily' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ field: 'email' });
    const topic = await subscribe({ email: 'x@example.com', topics: ['mars'] });
    expect(topic.json()).toMatchObject({ field: 'topics' });
    const big = await subscribe({ email: 'x@example.com', name: 'x'.repeat(20_000) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ message: 'The request body is too large (at most 16 KB).' });
    const broken = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(broken.statusCode).toBe(400);
    for (const res of [bad, missing, topic, big, broken]) expect(res.body).not.toMatch(/at .*\.ts:\d+|node_modules/);
  });

  it('saves preferences with a CSRF token from the page, and refuses a post without one', async () => {
    const s = t.gazette.services;
    const reader = await s.readers.findByEmail('grace@example.com');
    const token = s.tokens.issue(reader?.id ?? '', 'korea-daily', 'preferences', 3600);
    const page = await t.app.inject({ method: 'GET', url: `/preferences/${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/value="china" checked/);
    const cookie = cookiesOf(page.headers['set-cookie']);
    const forged = await t.app.inject({
      method: 'POST',
      url: `/preferences/${token}`,
      headers: FORM,
      payload: 'topics=trade&subscribed=yes',
    });
    expect(forged.statusCode).toBe(403);
    const saved = await t.app.inject({
      method: 'POST',
      url: `/preferences/${token}`,
      headers: { ...FORM, cookie },
      payload: `_csrf=${encodeURIComponent(csrfIn(page.body))}&topics=trade&subscribed=yes`,
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.body).toContain('Saved.');
    expect(await s.readers.subscription('korea-daily', reader?.id ?? '')).toMatchObject({
      status: 'confirmed',
      topics: ['trade'],
    });
    expect((await s.readers.consentHistory(reader?.id ?? '')).at(-1)).toMatchObject({ source: 'preferences' });
  });
});
