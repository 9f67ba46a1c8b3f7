/**
 * The preferences page of a reader on two lists, in a real headless Chromium against the real
 * app on a real port: both lists shown with their status, topics of each changed, one list
 * left, saved in one form (its CSRF cookie and token as a browser sends them), and a reload
 * shows what is stored. Screenshots in tests/screenshots/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/store/private-redis.js';
import { SCREENSHOTS, startBrowser, type TestBrowser } from '../support/browser.js';
import { writeThreeListPublication } from '../support/gazette.js';
import { startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

describe('preferences of two lists in a browser', () => {
  const redis = testRedis('prefs-browser');
  let sink: SmtpSink;
  let t: TestApp;
  let browser: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let dir: string;
  let readerId: string;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-prefs-browser-'));
    sink = await startSmtpSink();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startApp(redis, sink, {
      PUBLIC_URL: base,
      ALLOW_HTTP_PUBLIC_URL: 'true',
      GAZETTE_CONFIG: await writeThreeListPublication(dir),
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    const s = t.gazette.services;
    readerId = (await s.readers.upsert('two-lists@example.com', 'Two')).id;
    const consent = { source: 'test' };
    await s.readers.setSubscription('korea-daily', readerId, { status: 'confirmed', topics: ['china'], consent });
    await s.readers.setSubscription('korea-weekly', readerId, { status: 'confirmed', topics: [], consent });
    browser = await startBrowser();
    context = await browser.browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB' });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    await sink?.close();
    await redis.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('changes topics on both lists, leaves one, saves once, and a reload shows what is stored', async () => {
    const s = t.gazette.services;
    const token = s.tokens.issue(readerId, 'korea-weekly', 'preferences', 3600);
    await page.goto(`${base}/preferences/${token}`);
    const daily = page.getByRole('region', { name: 'Korea Pro Daily' });
    const weekly = page.getByRole('region', { name: 'Korea Pro Weekly' });
    await expect(page.getByRole('region').count()).resolves.toBe(2);
    await expect(daily.getByText('Subscribed', { exact: true }).count()).resolves.toBe(1);
    await expect(daily.getByLabel('China').isChecked()).resolves.toBe(true);
    await expect(daily.getByLabel('Trade & Economy').isChecked()).resolves.toBe(false);
    // Weekly follows everything (none chosen): all its three topics ticked.
    await expect(weekly.getByRole('checkbox', { checked: true }).count()).resolves.toBe(4);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'preferences-two-lists.png'), fullPage: true });

    await daily.getByLabel('China').uncheck();
    await daily.getByLabel('Trade & Economy').check();
    await weekly.getByLabel('China').uncheck();
    await weekly.getByLabel('Receive Korea Pro Weekly').uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Saved');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'preferences-two-lists-saved.png'), fullPage: true });

    expect(await s.readers.subscription('korea-daily', readerId)).toMatchObject({
      status: 'confirmed',
      topics: ['trade'],
    });
    expect(await s.readers.subscription('korea-weekly', readerId)).toMatchObject({
      status: 'unsubscribed',
      topics: ['diplomacy', 'north-korea'],
    });
    await page.reload();
    await expect(weekly.getByText('Unsubscribed: nothing is sent').count()).resolves.toBe(1);
    await expect(weekly.getByLabel('Receive Korea Pro Weekly').isChecked()).resolves.toBe(false);
    await expect(daily.getByLabel('Trade & Economy').isChecked()).resolves.toBe(true);
    await expect(daily.getByLabel('China').isChecked()).resolves.toBe(false);
  }, 60_000);
});
