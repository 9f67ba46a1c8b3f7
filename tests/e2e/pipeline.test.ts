import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import type { Container } from '../../src/container.js';
import type { Source } from '../../src/publication.js';
import { Tokens } from '../../src/subscriptions/tokens.js';
import { seedSample, startGazette, TEST_SECRET } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

// 07:00 in Seoul on 24 Nov 2026 is 22:00 UTC the day before.
const AT = new Date('2026-11-24T01:00:00Z');
const EDITION = 'korea-daily-20261123T220000Z';
const TITLE_1 = 'Korea and China discuss latter’s export restrictions signaling diplomatic thaw';
const TITLE_2 = 'ROK-Shandong meeting signals Seoul’s intent to improve ties with China';

function header(mail: ParsedMail, name: string): string {
  const value = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line ?? '';
  return value
    .slice(value.indexOf(':') + 1)
    .replace(/\r?\n\s+/g, ' ')
    .trim();
}

describe('the whole pipeline on the sample briefings, over SMTP', () => {
  const redis = testRedis('e2e');
  let sink: SmtpSink;
  let gazette: Container;
  let readerIds: Map<string, string>;
  const mailTo = (email: string) => sink.messages.find((m) => m.to.includes(email))?.parsed;

  beforeAll(async () => {
    sink = await startSmtpSink();
    gazette = await startGazette(redis, sink);
    gazette.startWorkers();
    readerIds = await seedSample(gazette);
    expect(await gazette.services.briefings.count()).toBe(2);
  });

  afterAll(async () => {
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('sends each reader one digest of the topics they follow, and none to a reader with no news', async () => {
    const run = await runEdition(gazette.services, 'korea-daily', AT);
    expect(run).toMatchObject({ status: 'dispatched', editionId: EDITION, planned: 'planned' });
    expect(sink.messages.flatMap((m) => m.to).sort()).toEqual([
      'ada@example.com',
      'linus@example.com',
      'min-ji@example.com',
    ]);

    const ada = mailTo('ada@example.com');
    expect(ada?.html).toContain(TITLE_1);
    expect(ada?.html).toContain(TITLE_2);
    expect(ada?.html).toMatch(/>\s*China\s*</);
    // A briefing in several of the reader's topics is shown once, under the best-scoring of them.
    expect(String(ada?.text).split(TITLE_1)).toHaveLength(2);
    expect(String(ada?.text).split(TITLE_2)).toHaveLength(2);

    const minji = mailTo('min-ji@example.com');
    expect(minji?.html).toContain(TITLE_1);
    expect(minji?.html).not.toContain(TITLE_2);
    expect(minji?.text).toContain(TITLE_1);
    expect(minji?.text).not.toContain(TITLE_2);
    expect(minji?.html).not.toContain('Trade &amp; Economy');

    const linus = mailTo('linus@example.com');
    expect(linus?.html).toContain('Trade &amp; Economy');
    expect(linus?.html).not.toMatch(/>\s*Diplomacy\s*</);

    expect(run.status === 'dispatched' && run.result).toMatchObject({
      dispatched: 3,
      skipped: 1,
      failed: 0,
      bounced: 0,
      renders: 3,
    });
  });

  it('gives every digest both parts, the card contents, a preheader and the list’s postal address', () => {
    for (const m of sink.messages) {
      const mail = m.parsed;
      expect(mail.html).toBeTruthy();
      expect(mail.text).toBeTruthy();
      expect(mail.html).toContain('Why it matters');
      expect(mail.html).toContain('Read more');
      expect(mail.html).toContain('Seoul 04519');
      expect(mail.text).toContain('Seoul 04519');
      expect(mail.html).toContain(`https://news.example/archive/korea-daily/${EDITION}`);
      expect(Buffer.byteLength(String(mail.html))).toBeLessThan(102 * 1024);
    }
    const ada = mailTo('ada@example.com');
    // The text part is wrapped at 78 columns: look for the sentences with the wrapping undone.
    const adaText = String(ada?.text).replace(/\s+/g, ' ');
    expect(adaText).toContain(
      'In bilateral consultations between South Korea and China on Aug. 29, Beijing clarified its stance',
    );
    expect(adaText).toContain('Diplomatic relations between South Korea and China hit a stumbling block');
    expect(ada?.html).toContain('Hello Ada');
  });

  it('sets the list headers and a stable Message-ID per edition and reader', () => {
    const ada = mailTo('ada@example.com');
    if (!ada) throw new Error('no mail for Ada');
    const adaId = readerIds.get('ada@example.com');
    expect(ada.messageId).toBe(`<${EDITION}.${adaId}@koreapro.example>`);
    expect(header(ada, 'List-ID')).toBe('"Korea Pro Daily" <korea-daily.koreapro.example>');
    expect(header(ada, 'List-Unsubscribe')).toMatch(
      /^<https:\/\/news\.example\/unsubscribe\/[\w-]+\.[\w-]+>, <mailto:unsubscribe@/,
    );
    expect(header(ada, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(header(ada, 'Precedence')).toBe('bulk');
    expect(ada.from?.value[0]?.address).toBe('daily@koreapro.example');
  });

  it('puts signed tokens in the links that verify for that reader and purpose', () => {
    const tokens = new Tokens(TEST_SECRET);
    for (const m of sink.messages) {
      const readerId = readerIds.get(m.to[0] ?? '');
      const html = String(m.parsed.html);
      const unsub = /https:\/\/news\.example\/unsubscribe\/([\w-]+\.[\w-]+)/.exec(html)?.[1];
      const prefs = /https:\/\/news\.example\/preferences\/([\w-]+\.[\w-]+)/.exec(html)?.[1];
      expect(unsub && tokens.verify(unsub, 'unsubscribe')).toMatchObject({ r: readerId, l: 'korea-daily' });
      expect(prefs && tokens.verify(prefs, 'preferences')).toMatchObject({ r: readerId, l: 'korea-daily' });
      const headerToken = /unsubscribe\/([\w-]+\.[\w-]+)>/.exec(header(m.parsed, 'List-Unsubscribe'))?.[1];
      expect(headerToken && tokens.verify(headerToken, 'unsubscribe').r).toBe(readerId);
    }
  });

  it('plans and sends the same slot once when triggered again', async () => {
    const before = sink.messages.length;
    const again = await runEdition(gazette.services, 'korea-daily', new Date(AT.getTime() + 60_000));
    expect(again).toMatchObject({ status: 'dispatched', editionId: EDITION, planned: 'existing' });
    expect(sink.messages.length).toBe(before);
    const collected = await gazette.services.collector.collect(gazette.services.publication.sources[0] as Source);
    expect(collected).toMatchObject({ new: 0, updated: 0, unchanged: 2 });
  });
});

describe('delivery failures', () => {
  const redis = testRedis('e2e-fail');
  let sink: SmtpSink;
  let gazette: Container;

  beforeAll(async () => {
    sink = await startSmtpSink();
    gazette = await startGazette(redis, sink);
    gazette.startWorkers();
    await seedSample(gazette);
  });

  afterAll(async () => {
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('retries a transient failure without sending anyone twice, and suppresses a hard bounce', async () => {
    sink.rejectRecipient('linus@example.com', 550, 'No such user');
    sink.failNext(1, { code: 451, message: 'Try again later' });
    const run = await runEdition(gazette.services, 'korea-daily', AT);
    expect(run.status === 'dispatched' && run.result).toMatchObject({ dispatched: 2, bounced: 1, skipped: 1 });
    const recipients = sink.messages.flatMap((m) => m.to).sort();
    expect(recipients).toEqual(['ada@example.com', 'min-ji@example.com']);
    expect(await gazette.services.suppression.get('linus@example.com')).toMatchObject({
      reason: expect.stringContaining('550'),
    });
    const linus = await gazette.services.readers.findByEmail('linus@example.com');
    expect((await gazette.services.readers.subscription('korea-daily', linus?.id ?? ''))?.status).toBe('bounced');
  });
});
