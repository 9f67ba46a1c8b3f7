/**
 * The preferences page of a reader on several lists: any of their preference links shows every
 * list they are on (topics and status) and saves them all, CSRF-protected; lists they are not
 * on are neither shown nor writable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeThreeListPublication as threeLists } from '../support/gazette.js';
import { cookiesOf, csrfIn, startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The checked checkboxes of a rendered page, as `name=value`. */
function checked(html: string): string[] {
  return [...html.matchAll(/<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>/g)].map(
    (m) => `${m[1]}=${m[2]}`,
  );
}

function statusOf(html: string, listId: string): string | undefined {
  return new RegExp(`data-list="${listId}" data-status="([a-z]+)"`).exec(html)?.[1];
}

describe('preferences of a reader on several lists', () => {
  const redis = testRedis('http-preferences');
  let sink: SmtpSink;
  let t: TestApp;
  let dir: string;
  let readerId: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-prefs-'));
    t = await startApp(redis, sink, { GAZETTE_CONFIG: await threeLists(dir) });
    const s = t.gazette.services;
    const reader = await s.readers.upsert('multi@example.com', 'Multi');
    readerId = reader.id;
    const consent = { source: 'test' };
    await s.readers.setSubscription('korea-daily', readerId, { status: 'confirmed', topics: ['china'], consent });
    await s.readers.setSubscription('korea-weekly', readerId, {
      status: 'unsubscribed',
      topics: ['diplomacy'],
      consent,
    });
    // Someone else is on Alerts; this reader is not.
    const other = await s.readers.upsert('other@example.com');
    await s.readers.setSubscription('korea-alerts', other.id, { status: 'confirmed', topics: [], consent });
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
  });

  const tokenFor = (listId: string) => t.gazette.services.tokens.issue(readerId, listId, 'preferences', 3600);
  const open = async (token: string) => {
    const page = await t.app.inject({ method: 'GET', url: `/preferences/${token}` });
    expect(page.statusCode, page.body).toBe(200);
    return { page, cookie: cookiesOf(page.headers['set-cookie']), csrf: csrfIn(page.body) };
  };

  it('shows every list the reader is on, with its topics and status, from the link of either list', async () => {
    for (const listId of ['korea-daily', 'korea-weekly']) {
      const { page } = await open(tokenFor(listId));
      expect(page.body).toContain('Korea Pro Daily');
      expect(page.body).toContain('Korea Pro Weekly');
      expect(page.body).not.toContain('Korea Pro Alerts');
      expect(statusOf(page.body, 'korea-daily')).toBe('confirmed');
      expect(statusOf(page.body, 'korea-weekly')).toBe('unsubscribed');
      expect(page.body).toContain('Unsubscribed: nothing is sent');
      expect(checked(page.body).sort()).toEqual(
        ['subscribed.korea-daily=yes', 'topics.korea-daily=china', 'topics.korea-weekly=diplomacy'].sort(),
      );
      // Weekly offers three topics, Daily five: each list shows its own.
      expect(page.body.match(/name="topics\.korea-weekly"/g)).toHaveLength(3);
      expect(page.body.match(/name="topics\.korea-daily"/g)).toHaveLength(5);
      expect(page.body.match(/href="\/unsubscribe\//g)).toHaveLength(2);
    }
  });

  it('refuses a post without the CSRF token and changes nothing', async () => {
    const { cookie } = await open(tokenFor('korea-daily'));
    const forged = await t.app.inject({
      method: 'POST',
      url: `/preferences/${tokenFor('korea-daily')}`,
      headers: { ...FORM, cookie },
      payload: 'lists=korea-weekly&topics.korea-weekly=china&subscribed.korea-weekly=yes',
    });
    expect(forged.statusCode).toBe(403);
    expect((await t.gazette.services.readers.subscription('korea-weekly', readerId))?.status).toBe('unsubscribed');
  });

  it('saves topics and status of every list in one post, and the page shows what is stored', async () => {
    const s = t.gazette.services;
    const token = tokenFor('korea-daily');
    const { cookie, csrf } = await open(token);
    const consentBefore = (await s.readers.consentHistory(readerId)).length;
    const saved = await t.app.inject({
      method: 'POST',
      url: `/preferences/${token}`,
      headers: { ...FORM, cookie },
      payload: [
        `_csrf=${encodeURIComponent(csrf)}`,
        'lists=korea-daily',
        'lists=korea-weekly',
        'topics.korea-daily=trade',
        'subscribed.korea-daily=yes',
        'topics.korea-weekly=china',
        'topics.korea-weekly=north-korea',
        'subscribed.korea-weekly=yes',
      ].join('&'),
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.body).toContain('Saved.');
    expect(await s.readers.subscription('korea-daily', readerId)).toMatchObject({
      status: 'confirmed',
      topics: ['trade'],
    });
    expect(await s.readers.subscription('korea-weekly', readerId)).toMatchObject({
      status: 'confirmed',
      topics: ['china', 'north-korea'],
    });
    expect(statusOf(saved.body, 'korea-weekly')).toBe('confirmed');
    expect(checked(saved.body)).toEqual(
      expect.arrayContaining(['topics.korea-daily=trade', 'topics.korea-weekly=china', 'subscribed.korea-weekly=yes']),
    );
    const consent = (await s.readers.consentHistory(readerId)).slice(consentBefore);
    expect(consent.map((c) => [c.list, c.status, c.source])).toEqual([
      ['korea-daily', 'confirmed', 'preferences'],
      ['korea-weekly', 'confirmed', 'preferences'],
    ]);
    expect(await s.readers.subscription('korea-alerts', readerId)).toBeNull();
  });

  it('leaves one list and keeps the other; an unchanged list records no consent entry', async () => {
    const s = t.gazette.services;
    const token = tokenFor('korea-weekly');
    const { cookie, csrf } = await open(token);
    const consentBefore = (await s.readers.consentHistory(readerId)).length;
    const res = await t.app.inject({
      method: 'POST',
      url: `/preferences/${token}`,
      headers: { ...FORM, cookie },
      // Daily: every box unchecked (only its `lists` entry is sent). Weekly: as it is.
      payload: `_csrf=${encodeURIComponent(csrf)}&lists=korea-daily&lists=korea-weekly&topics.korea-weekly=china&topics.korea-weekly=north-korea&subscribed.korea-weekly=yes`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await s.readers.subscription('korea-daily', readerId)).toMatchObject({ status: 'unsubscribed', topics: [] });
    expect((await s.readers.subscription('korea-weekly', readerId))?.status).toBe('confirmed');
    const consent = (await s.readers.consentHistory(readerId)).slice(consentBefore);
    expect(consent.map((c) => [c.list, c.status])).toEqual([['korea-daily', 'unsubscribed']]);
  });

  it('refuses a list the reader is not on, and a topic a list does not offer, writing nothing', async () => {
    const s = t.gazette.services;
    const token = tokenFor('korea-daily');
    const { cookie, csrf } = await open(token);
    const post = (payload: string) =>
      t.app.inject({
        method: 'POST',
        url: `/preferences/${token}`,
        headers: { ...FORM, cookie, accept: 'application/json' },
        payload: `_csrf=${encodeURIComponent(csrf)}&${payload}`,
      });
    const consentBefore = (await s.readers.consentHistory(readerId)).length;
    const alien = await post(
      'lists=korea-weekly&subscribed.korea-weekly=yes&lists=korea-alerts&subscribed.korea-alerts=yes',
    );
    expect(alien.statusCode).toBe(400);
    expect(alien.json()).toMatchObject({ field: 'lists' });
    expect(await s.readers.subscription('korea-alerts', readerId)).toBeNull();
    const topic = await post('lists=korea-weekly&topics.korea-weekly=trade&subscribed.korea-weekly=yes');
    expect(topic.statusCode).toBe(400);
    expect(topic.json()).toMatchObject({ field: 'topics' });
    expect((await s.readers.consentHistory(readerId)).length).toBe(consentBefore);
  });
});
