/**
 * Hostile header values: CR, LF, lone CR, U+2028/2029, NEL, NUL, DEL, ESC and other controls,
 * encoded-word tricks, `Bcc:`/`To:` payloads and 10 KB lines, placed in post titles (subjects),
 * list and sender names (a publication file), reader names and addresses (admin API, CSV
 * import, subscribe form). In the raw MIME the sink receives: no extra header field, no control
 * character in any decoded header, one RCPT per message, no crash (no 5xx, no thrown send).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import { readerEnvelope, readerLinks } from '../../src/delivery/message.js';
import { parsePublication } from '../../src/publication.js';
import { ADMIN, startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';
import { checkMessages, headerNames, hostileValues } from './support/headers.js';
import { briefing, store } from './support/kit.js';

const VALUES = hostileValues(160);
const TOPICS = ['china', 'trade', 'diplomacy', 'north-korea'];
const auth = { authorization: `Bearer ${ADMIN}` };
const csvCell = (v: string) => `"${v.replaceAll('"', '""')}"`;

describe('hostile header values', () => {
  const redis = testRedis('hostile-headers');
  let sink: SmtpSink;
  let t: TestApp;
  const totals = { inputs: 0, messages: 0, extraFields: 0, controlChars: 0, badRcpt: 0, crashes: 0, refused: 0 };
  const add = (f: ReturnType<typeof checkMessages>) => {
    totals.messages += f.messages;
    totals.extraFields += f.extraFields;
    totals.controlChars += f.controlChars;
    totals.badRcpt += f.badRcpt;
    if (f.examples.length) console.log('findings:', f.examples);
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink, {}, { subscribePerIpPerMinute: 1_000_000 });
    t.gazette.startWorkers();
  });

  afterAll(async () => {
    console.log(`header injection: ${JSON.stringify(totals)}`);
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('reader names (admin API, CSV) and post titles reach one edition without breaking a header', async () => {
    const viaApi = VALUES.slice(0, 80);
    for (const [i, name] of viaApi.entries()) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/readers',
        headers: auth,
        payload: {
          email: `api${i}@example.com`,
          name: name.slice(0, 100),
          list: 'korea-daily',
          topics: [TOPICS[i % 4]],
        },
      });
      if (r.statusCode >= 500) totals.crashes += 1;
      else if (r.statusCode >= 400) totals.refused += 1;
    }
    const viaCsv = VALUES.slice(80);
    const csv = ['email,name,topics', ...viaCsv.map((n, i) => `csv${i}@example.com,${csvCell(n)},`)].join('\n');
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/lists/korea-daily/import?confirmed=true',
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.statusCode).toBeLessThan(500);
    totals.inputs += viaApi.length + viaCsv.length;

    // Hostile titles: the first briefing of each topic set names the subject.
    const titles = VALUES.slice(0, 40);
    await store(
      t.gazette,
      titles.map((title, i) => briefing(i, [TOPICS[i % 4] as string], { title })),
      new Date('2026-11-20T00:00:00Z'),
    );
    totals.inputs += titles.length;
    const run = await runEdition(t.gazette.services, 'korea-daily', new Date('2026-11-21T01:00:00Z'));
    expect(['dispatched', 'incomplete']).toContain(run.status);
    const mails = sink.messages.filter((m) => m.parsed.headerLines.some((h) => h.key === 'list-id'));
    expect(mails.length).toBeGreaterThan(100);
    add(
      checkMessages(
        mails,
        headerNames((mails[0] as (typeof mails)[0]).raw).names.filter((n) => n !== 'dkim-signature'),
      ),
    );
    const subjects = new Set(mails.map((m) => m.parsed.subject));
    const dropped = run.status === 'skipped' ? 0 : (run.result.dropped?.length ?? 0);
    console.log(
      `edition: ${mails.length} digests, ${subjects.size} distinct subjects, ${dropped} hostile titles dropped as unrenderable cards, ${totals.refused} refused inputs`,
    );
  });

  it('reader names and addresses through the subscribe form: confirmation mail stays whole', async () => {
    sink.reset();
    const names = VALUES.slice(0, 60);
    const addresses = VALUES.slice(60, 100).map((v, i) => `x${i}${v.slice(0, 40)}@example.com`);
    for (const [i, name] of names.entries()) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/subscribe',
        headers: { accept: 'application/json' },
        payload: { email: `form${i}@example.com`, name: name.slice(0, 100), list: 'korea-daily' },
      });
      if (r.statusCode >= 500) totals.crashes += 1;
    }
    for (const email of addresses) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/subscribe',
        headers: { accept: 'application/json' },
        payload: { email: email.slice(0, 254), list: 'korea-daily' },
      });
      if (r.statusCode >= 500) totals.crashes += 1;
      else if (r.statusCode >= 400) totals.refused += 1;
    }
    const bad = VALUES.slice(100, 130).map((v, i) => `bad${i}${v.slice(0, 30)}@example.com`);
    const csv = ['email,name', ...bad.map((e) => `${csvCell(e)},x`)].join('\n');
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/lists/korea-daily/import',
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: csv,
    });
    if (r.statusCode >= 500) totals.crashes += 1;
    totals.inputs += names.length + addresses.length + bad.length;
    await t.gazette.services.subscriptions.drain();
    const mails = [...sink.messages];
    expect(mails.length).toBeGreaterThanOrEqual(names.length);
    add(
      checkMessages(
        mails,
        headerNames((mails[0] as (typeof mails)[0]).raw).names.filter((n) => n !== 'dkim-signature'),
      ),
    );
    console.log(`subscribe form: ${mails.length} confirmation mails`);
  });

  it('list and sender names (publication file) and subjects in every header Gazette sets', async () => {
    sink.reset();
    const s = t.gazette.services;
    const base = s.publication;
    const identity = {
      publicUrl: 'https://news.example',
      defaultFrom: 'gazette@news.example',
      unsubscribeAddress: 'u@news.example',
    };
    const reader = { id: 'rhostile', email: 'one@example.com', name: 'One', createdAt: '' };
    const edition = {
      id: 'korea-daily-20261201T220000Z',
      listId: 'korea-daily',
      since: '',
      cutoff: '',
      plannedAt: '',
      sections: [],
    };
    let sent = 0;
    for (const [i, v] of VALUES.entries()) {
      const raw = JSON.parse(JSON.stringify({ ...base, lists: base.lists }));
      raw.lists[0].name = v;
      raw.lists[0].from = { name: v, address: 'daily@koreapro.example' };
      let list: (typeof base.lists)[0];
      try {
        list = parsePublication(raw, 'hostile.json', process.cwd()).lists[0] as (typeof base.lists)[0];
      } catch {
        totals.refused += 1; // refused at load (line breaks): nothing reaches a header
        continue;
      }
      const links = readerLinks(identity, s.tokens, list, reader.id);
      const env = readerEnvelope(
        identity,
        list,
        edition,
        { ...reader, name: VALUES[(i + 7) % VALUES.length] as string },
        links,
      );
      try {
        await s.mailer.send({ ...env, subject: v, html: '<p>hi</p>', text: 'hi' });
        sent += 1;
      } catch (err) {
        totals.crashes += 1;
        console.log('send failed', (err as Error).message);
      }
    }
    totals.inputs += VALUES.length * 2;
    const mails = await sink.waitFor(sent);
    add(
      checkMessages(
        mails,
        headerNames((mails[0] as (typeof mails)[0]).raw).names.filter((n) => n !== 'dkim-signature'),
      ),
    );
    console.log(`publication file + subjects: ${sent} sent`);
    expect(totals.inputs).toBeGreaterThanOrEqual(500);
    expect({ ...totals, inputs: 0, messages: 0, refused: 0 }).toEqual({
      inputs: 0,
      messages: 0,
      refused: 0,
      extraFields: 0,
      controlChars: 0,
      badRcpt: 0,
      crashes: 0,
    });
  });
});
