/**
 * Editions in the admin API: list, preview and trigger a list's editions, and show, pause,
 * resume and cancel one — on the real app, queues, Redis and SMTP sink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEdition } from '../../src/cli/run-edition.js';
import { seedSample } from '../support/gazette.js';
import { ADMIN, startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const auth = { authorization: `Bearer ${ADMIN}` };
const WITH_NEWS = ['ada@example.com', 'linus@example.com', 'min-ji@example.com'];

describe('editions in the admin API', () => {
  const redis = testRedis('http-editions');
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink, { SEND_ATTEMPTS: '2', SEND_BACKOFF_MS: '50' });
    await seedSample(t.gazette);
    t.gazette.startWorkers();
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api${url}`, headers: auth, ...(payload ? { payload } : {}) });

  it('answers 401 on every edition route without the bearer token', async () => {
    const routes: Array<['GET' | 'POST', string]> = [
      ['GET', '/api/lists/korea-daily/editions'],
      ['POST', '/api/lists/korea-daily/editions'],
      ['GET', '/api/lists/korea-daily/preview'],
      ['GET', '/api/editions/x'],
      ['POST', '/api/editions/x/pause'],
      ['POST', '/api/editions/x/resume'],
      ['POST', '/api/editions/x/cancel'],
    ];
    for (const [method, url] of routes) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('previews the next edition as a reader would get it, and names a bad reader field', async () => {
    const html = await api('GET', '/lists/korea-daily/preview?reader=linus@example.com');
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('Linus');
    expect(decodeURIComponent(String(html.headers['x-gazette-subject']))).toContain('Korea Pro Daily');

    const text = await api('GET', '/lists/korea-daily/preview?format=text');
    expect(text.headers['content-type']).toContain('text/plain');
    expect(text.body).not.toContain('<');

    const unknown = await api('GET', '/lists/korea-daily/preview?reader=nobody@example.com');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: 'invalid-field', field: 'reader' });
    expect((await api('GET', '/lists/nope/preview')).statusCode).toBe(404);
  });

  it('triggers an edition that pauses on a refused sender, shows why, resumes it, and refuses a second resume', async () => {
    const s = t.gazette.services;
    sink.refuseAt('mail', { code: 553, message: '5.1.8 Sender address rejected' });
    const triggered = await api('POST', '/lists/korea-daily/editions');
    expect(triggered.statusCode).toBe(202);
    const id = triggered.json().edition.id as string;

    const paused = await followEdition(s, id);
    expect(paused.state).toBe('paused');
    const shown = await api('GET', `/editions/${id}`);
    expect(shown.json()).toMatchObject({ id, state: 'paused', control: 'paused', dispatched: 0 });
    expect(shown.json().pausedReason).toContain('553');

    const listed = await api('GET', '/lists/korea-daily/editions');
    expect(listed.json().editions.map((e: { id: string }) => e.id)).toContain(id);

    sink.reset();
    const resumed = await api('POST', `/editions/${id}/resume`);
    expect(resumed.statusCode, resumed.body).toBe(200);
    const done = await followEdition(s, id);
    expect(done).toMatchObject({ state: 'dispatched', dispatched: WITH_NEWS.length, pending: 0 });
    expect(sink.messages.flatMap((m) => m.to).sort()).toEqual(WITH_NEWS);

    const again = await api('POST', `/editions/${id}/resume`);
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toContain('only a paused or incomplete');
    expect((await api('POST', `/editions/${id}/cancel`)).statusCode).toBe(409);
    expect((await api('POST', '/editions/no-such-edition/pause')).statusCode).toBe(404);
    expect((await api('GET', '/editions/no-such-edition')).statusCode).toBe(404);
  });
});

const READERS = Array.from({ length: 40 }, (_, i) => ({ email: `r${i}@example.com`, name: `R ${i}`, topics: [] }));

describe('pausing a running edition through the admin API', () => {
  const redis = testRedis('http-editions-pause');
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink);
    await seedSample(t.gazette, READERS);
    t.gazette.startWorkers();
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('stops between readers with the reason given, and cancel settles the readers not yet sent', async () => {
    const s = t.gazette.services;
    sink.delay(300);
    const headers = auth;
    const triggered = await t.app.inject({ method: 'POST', url: '/api/lists/korea-daily/editions', headers });
    const id = triggered.json().edition.id as string;
    await sink.waitFor(1);
    const paused = await t.app.inject({
      method: 'POST',
      url: `/api/editions/${id}/pause`,
      headers,
      payload: { reason: 'checking a typo' },
    });
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ control: 'paused', pausedReason: 'checking a typo' });
    const settled = await followEdition(s, id);
    expect(settled.state).toBe('paused');
    expect(settled.pending).toBeGreaterThan(0);
    const sent = sink.messages.length;
    expect(sent).toBeLessThan(READERS.length);
    expect(settled.dispatched).toBe(sent);

    const cancelled = await t.app.inject({ method: 'POST', url: `/api/editions/${id}/cancel`, headers });
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', cancelled: READERS.length - sent, dispatched: sent });
    expect(sink.messages).toHaveLength(sent);
  });
});
