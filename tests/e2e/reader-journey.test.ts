/**
 * The reader's whole journey in a real headless Chromium, against the real app on a real port,
 * a real Redis and the SMTP sink: subscribe form → confirmation email → confirm link →
 * preferences (topics saved) → an edition with only those topics → unsubscribe button → the
 * next edition skips the reader. Each page is saved as a phone-width screenshot in
 * tests/screenshots/.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import { freePort } from '../../src/store/private-redis.js';
import { SCREENSHOTS, startBrowser, type TestBrowser } from '../support/browser.js';
import { seedSample } from '../support/gazette.js';
import { startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp.js';

const READER = 'journey@example.com';
/** Another confirmed reader following everything: the editions are sent, to them at least. */
const OTHER = 'other@example.com';
const TITLE_1 = 'Korea and China discuss latter’s export restrictions signaling diplomatic thaw';
const TITLE_2 = 'ROK-Shandong meeting signals Seoul’s intent to improve ties with China';
const TITLE_3 = 'Seoul and Tokyo hold summit to restore diplomatic hotline';
// 07:00 in Seoul on 24 Nov 2026 (the list's first edition, from its `since`), then the next
// 07:00 in Seoul after this run: an edition carries what was collected since the one before.
const FIRST_AT = new Date('2026-11-24T01:00:00Z');
const SECOND_AT = new Date(Math.ceil((Date.now() - 3_600_000) / 86_400_000) * 86_400_000 + 3_600_000);
/** A phone: what most readers open these pages on. */
const PHONE = { width: 390, height: 844 };

/** A briefing published between the two editions, in the Diplomacy topic the reader keeps. */
const LATER_POST = {
  id: 2299001,
  date_gmt: new Date(Date.now() - 60_000).toISOString().slice(0, 19),
  modified_gmt: new Date(Date.now() - 60_000).toISOString().slice(0, 19),
  link: 'https://koreapro.org/2026/11/seoul-tokyo-summit/',
  title: { rendered: TITLE_3 },
  content: {
    rendered: '<p>Leaders agreed a diplomatic hotline at the bilateral summit.</p>',
  },
};

function links(mail: SinkMessage | undefined, pathPrefix: string): string {
  const match = new RegExp(`https?://[^\\s"<>]+${pathPrefix}[A-Za-z0-9_.-]+`).exec(String(mail?.parsed.text ?? ''));
  if (!match) throw new Error(`no ${pathPrefix} link in:\n${mail?.parsed.text}`);
  return match[0];
}

describe('a reader’s whole journey in a browser', () => {
  const redis = testRedis('journey');
  let sink: SmtpSink;
  let t: TestApp;
  let browser: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let briefingsDir: string;

  const shot = async (name: string) => {
    await page.screenshot({ path: path.join(SCREENSHOTS, `journey-${name}.png`), fullPage: true });
  };
  const mailsTo = (address: string) => sink.messages.filter((m) => m.to.includes(address));

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    briefingsDir = await mkdtemp(path.join(tmpdir(), 'gazette-journey-'));
    sink = await startSmtpSink();
    // The links in the emails must point at this app, so the browser opens them as written.
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startApp(
      redis,
      sink,
      { PUBLIC_URL: base, ALLOW_HTTP_PUBLIC_URL: 'true' },
      { subscribePerIpPerMinute: 1000 },
    );
    await t.app.listen({ port, host: '127.0.0.1' });
    t.gazette.startWorkers();
    await seedSample(t.gazette, [{ email: OTHER, name: 'Other', topics: [] }]);
    browser = await startBrowser();
    context = await browser.browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, locale: 'en-GB' });
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    await sink?.close();
    await redis.cleanup();
    if (briefingsDir) await rm(briefingsDir, { recursive: true, force: true });
  });

  it('subscribes from the form and receives one confirmation email with a link', async () => {
    await page.goto(`${base}/subscribe/korea-daily`);
    await expect(page.title()).resolves.toContain('Korea Pro Daily');
    await page.getByLabel('Email address').fill(READER);
    await page.getByLabel('Name (optional)').fill('Jo');
    await page.getByLabel('China').check();
    await page.getByLabel('North Korea').check();
    await shot('1-subscribe');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Check your inbox');
    await shot('2-check-inbox');

    await sink.waitFor(1);
    const [confirm, ...more] = mailsTo(READER);
    expect(more).toHaveLength(0);
    expect(confirm?.parsed.subject).toBe('Confirm your subscription to Korea Pro Daily');
    expect(links(confirm, '/confirm/')).toMatch(new RegExp(`^${base}/confirm/`));
  });

  it('confirms from the email’s link, then chooses topics on the preferences page and saves them', async () => {
    const confirm = mailsTo(READER)[0];
    await page.goto(links(confirm, '/confirm/'));
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are subscribed');
    await shot('3-confirmed');
    await sink.waitFor(2);
    expect(mailsTo(READER).map((m) => m.parsed.subject)).toEqual([
      'Confirm your subscription to Korea Pro Daily',
      'Welcome to Korea Pro Daily',
    ]);

    await page.getByRole('link', { name: 'Choose your topics' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your preferences');
    // What was chosen at subscribe time is what the page shows.
    await expect(page.getByLabel('China').isChecked()).resolves.toBe(true);
    await expect(page.getByLabel('North Korea').isChecked()).resolves.toBe(true);
    await expect(page.getByLabel('Diplomacy').isChecked()).resolves.toBe(false);
    await shot('4-preferences');

    await page.getByLabel('China').uncheck();
    await page.getByLabel('North Korea').uncheck();
    await page.getByLabel('Diplomacy').check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Saved');
    await expect(page.getByLabel('Diplomacy').isChecked()).resolves.toBe(true);
    await expect(page.getByLabel('China').isChecked()).resolves.toBe(false);
    await shot('5-preferences-saved');

    // A reload shows what is stored, not what the form last held.
    await page.reload();
    await expect(page.getByLabel('Diplomacy').isChecked()).resolves.toBe(true);
    await expect(page.getByLabel('China').isChecked()).resolves.toBe(false);
  });

  it('sends the next edition with only the chosen topics', async () => {
    const run = await runEdition(t.gazette.services, 'korea-daily', FIRST_AT);
    expect(run.status).toBe('dispatched');
    const digest = mailsTo(READER)[2];
    expect(digest, 'the reader got the edition').toBeDefined();
    const html = String(digest?.parsed.html);
    const text = String(digest?.parsed.text);
    expect(html).toContain(TITLE_1);
    expect(text).toContain(TITLE_1);
    expect(html).toMatch(/>\s*Diplomacy\s*</);
    // Not in Diplomacy: left out, and no section for topics the reader dropped.
    expect(html).not.toContain(TITLE_2);
    expect(text).not.toContain(TITLE_2);
    expect(html).not.toMatch(/>\s*China\s*</);
    expect(html).not.toContain('Trade &amp; Economy');
    // The reader who follows everything got both briefings.
    expect(String(mailsTo(OTHER)[0]?.parsed.html)).toContain(TITLE_2);
  });

  it('unsubscribes with the button of the page the email links to, and the next edition skips the reader', async () => {
    const digest = mailsTo(READER)[2];
    await page.goto(links(digest, '/unsubscribe/'));
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Unsubscribe from Korea Pro Daily?',
    );
    await shot('6-unsubscribe');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are unsubscribed');
    await shot('7-unsubscribed');

    // A new briefing in the reader's own topic, then the next day's edition.
    await writeFile(path.join(briefingsDir, 'later.json'), JSON.stringify(LATER_POST));
    const collected = await t.gazette.services.collector.collectFiles('later', briefingsDir);
    expect(collected.new).toBe(1);
    const before = mailsTo(READER).length;
    const run = await runEdition(t.gazette.services, 'korea-daily', SECOND_AT);
    expect(run.status).toBe('dispatched');
    expect(
      mailsTo(OTHER)
        .map((m) => String(m.parsed.html))
        .some((h) => h.includes(TITLE_3)),
    ).toBe(true);
    expect(mailsTo(READER)).toHaveLength(before);
  });
});
