import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import { seedSample } from '../support/gazette.js';
import { ADMIN, startApp, type TestApp } from '../support/http.js';
import { dumpNamespace as dump, testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const auth = { authorization: `Bearer ${ADMIN}` };

describe('the admin API', () => {
  const redis = testRedis('http-admin');
  let sink: SmtpSink;
  let t: TestApp;
  let ids: Map<string, string>;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink);
    t.gazette.startWorkers();
    ids = await seedSample(t.gazette);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api${url}`, headers: auth, ...(payload ? { payload } : {}) });

  it('answers 401 without the bearer token, or with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: ADMIN }]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/lists', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('creates, reads, updates, searches and pages readers; lists with counts by status', async () => {
    const created = await api('POST', '/readers', {
      email: 'Hedy@Example.com',
      name: 'Hedy',
      list: 'korea-daily',
      topics: ['china'],
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().reader.id as string;
    expect((await api('POST', '/readers', { email: 'nope', list: 'korea-daily' })).json()).toMatchObject({
      field: 'email',
    });
    const patched = await api('PATCH', `/readers/${id}`, {
      list: 'korea-daily',
      topics: ['trade'],
      status: 'unsubscribed',
    });
    expect(patched.json()).toMatchObject({ status: 'unsubscribed', topics: ['trade'] });
    const detail = (await api('GET', `/readers/${id}`)).json();
    expect(detail.reader.email).toBe('hedy@example.com');
    expect(detail.consent.map((c: { source: string }) => c.source)).toEqual(['admin', 'admin']);
    expect((await api('GET', `/readers/${id}/consent`)).json().consent).toHaveLength(2);
    expect((await api('GET', '/readers?q=HEDY')).json().readers).toEqual([{ email: 'hedy@example.com', id }]);
    const lists = (await api('GET', '/lists')).json().lists;
    expect(lists[0]).toMatchObject({ id: 'korea-daily', readers: { confirmed: 4, unsubscribed: 1, total: 5 } });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await api('GET', `/lists/korea-daily/readers?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.readers.map((r: { reader: { email: string } }) => r.reader.email));
      cursor = page.next;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect((await api('GET', '/lists/nope/readers')).statusCode).toBe(404);
  });

  it('manages the suppression list', async () => {
    expect((await api('POST', '/suppression', { email: 'blocked@example.com', reason: 'complaint' })).statusCode).toBe(
      201,
    );
    const page = (await api('GET', '/suppression')).json();
    expect(page.entries.some((e: { reason: string }) => e.reason === 'complaint')).toBe(true);
    expect(JSON.stringify(page)).not.toContain('blocked@example.com');
    expect((await api('DELETE', '/suppression/blocked@example.com')).statusCode).toBe(204);
    expect((await api('DELETE', '/suppression/blocked@example.com')).statusCode).toBe(404);
  });

  it('imports and exports CSV', async () => {
    const csv = 'email,name,topics\nivy@example.com,Ivy,china;trade\nbroken,Nope,\njoan@example.com,,mars\n';
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/lists/korea-daily/import?confirmed=true',
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.json()).toMatchObject({ rows: 3, created: 1, bad: [{ line: 3 }, { line: 4 }] });
    const out = await api('GET', '/lists/korea-daily/export');
    expect(out.headers['content-type']).toMatch(/text\/csv/);
    expect(out.body.split('\n')[0]).toBe('email,name,status,topics,updated_at');
    expect(out.body).toMatch(/^ivy@example\.com,Ivy,confirmed,china;trade,/m);
    // The import's own limit, and the 413 says which.
    const huge = await t.app.inject({
      method: 'POST',
      url: '/api/lists/korea-daily/import',
      headers: { ...auth, 'content-type': 'text/csv', accept: 'application/json' },
      payload: `email\n${'x'.repeat(17 * 1024 * 1024)}\n`,
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ message: 'The request body is too large (at most 16 MB).' });
  });

  it('erases a reader: no key or value holds the address, and a re-import is skipped as suppressed', async () => {
    const run = await runEdition(t.gazette.services, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    expect(run.status).toBe('dispatched');
    const client = redis.connect();
    expect(await dump(client, redis.prefix)).toContain('ada@example.com');
    expect((await api('DELETE', `/readers/${ids.get('ada@example.com')}?erase=true`)).statusCode).toBe(204);
    expect(await dump(client, redis.prefix)).not.toContain('ada@example.com');
    expect((await api('GET', `/readers/${ids.get('ada@example.com')}`)).statusCode).toBe(404);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/lists/korea-daily/import?confirmed=true',
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: 'email\nada@example.com\n',
    });
    expect(again.json()).toMatchObject({ rows: 1, suppressed: 1, created: 0 });
    sink.reset();
    const sub = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: { list: 'korea-daily', email: 'ada@example.com' },
    });
    expect(sub.statusCode).toBe(202);
    await t.gazette.services.subscriptions.drain();
    expect(sink.messages).toHaveLength(0);
    expect(await dump(client, redis.prefix)).not.toContain('ada@example.com');
  });
});
