/**
 * What operators look at: `/metrics` after a real edition (its counts equal what the SMTP sink
 * received), `/readyz` (Redis stopped and restarted, a wedged queue), and the queue dashboard
 * behind the admin token, rendered in a real Chromium.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../jobs/index.js';
import { runEdition } from '../../src/cli/run-edition.js';
import { freePort } from '../../src/store/private-redis.js';
import { SCREENSHOTS, startBrowser } from '../support/browser.js';
import { seedSample } from '../support/gazette.js';
import { ADMIN, startApp, type TestApp } from '../support/http.js';
import { type TestRedis, testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

/** `name{labels} value` → value, for one exact sample line of an exposition. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{${labels}} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('/metrics and the dashboard after an edition', () => {
  const redis = testRedis('http-ops');
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink);
    await seedSample(t.gazette);
    t.gazette.startWorkers();
    // One hard bounce, so that the bounce counter and the suppression size move too.
    sink.rejectRecipient('min-ji@example.com', 550, '5.1.1 No such user');
    const run = await runEdition(t.gazette.services, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    if (run.status === 'skipped') throw new Error(run.reason);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it("counts what the sink received, by list, outcome and reason, with BullMQ's export in the same response", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    const list = 'list="korea-daily"';
    expect(sample(text, 'gazette_emails_total', `${list},outcome="dispatched",reason=""`)).toBe(sink.messages.length);
    expect(sink.messages.length).toBe(2);
    expect(sample(text, 'gazette_emails_total', `${list},outcome="bounced",reason="5.1.1"`)).toBe(1);
    expect(sample(text, 'gazette_emails_total', `${list},outcome="skipped",reason="no-news"`)).toBe(1);
    expect(sample(text, 'gazette_readers_suppressed', '')).toBe(1);
    expect(sample(text, 'gazette_briefings_collected_total', 'source="sample",kind="new"')).toBe(2);
    expect(sample(text, 'gazette_editions', `${list},state="dispatched"`)).toBe(1);
    expect(sample(text, 'gazette_editions', `${list},state="paused"`)).toBe(0);
    const lastEdition = sample(text, 'gazette_last_edition_success_timestamp_seconds', list) ?? 0;
    expect(Math.abs(lastEdition - Date.now() / 1000)).toBeLessThan(120);
    expect(sample(text, 'gazette_last_collection_success_timestamp_seconds', 'source="sample"')).toBeGreaterThan(0);
    // Every job of the edition was timed: plan, dispatch, add-batches, finish; and the batch.
    expect(sample(text, 'gazette_job_duration_seconds_count', 'queue="editions"')).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'gazette_job_duration_seconds_count', 'queue="delivery"')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gazette_job_duration_seconds_bucket', 'queue="delivery",le="+Inf"')).toBe(
      sample(text, 'gazette_job_duration_seconds_count', 'queue="delivery"'),
    );
    expect(sample(text, 'bullmq_job_count', 'queue="delivery", state="completed"')).toBeGreaterThanOrEqual(1);
    // One HELP and TYPE per metric name, or Prometheus rejects the whole scrape.
    const help = text.split('\n').filter((l) => l.startsWith('# HELP '));
    expect(new Set(help.map((l) => l.split(' ')[2])).size).toBe(help.length);
    expect(text).not.toContain('@example.com');
  });

  it('answers 401 on every dashboard route without the admin token', async () => {
    for (const url of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/js/main.js']) {
      for (const headers of [{}, { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` }]) {
        const res = await t.app.inject({ method: 'GET', url, headers });
        expect(res.statusCode, url).toBe(401);
      }
    }
    const retry = await t.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/delivery/retry/failed' });
    expect(retry.statusCode).toBe(401);
  });

  it('shows the queues with the token; job data carries ids, never addresses or tokens', async () => {
    const headers = { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` };
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues?activeQueue=delivery&status=completed&page=1',
      headers,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { queues: Array<{ name: string; jobs: Array<{ data: unknown }> }> };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['collect', 'delivery', 'editions']);
    const delivery = body.queues.find((q) => q.name === 'delivery');
    expect(delivery?.jobs.length).toBeGreaterThan(0);
    expect(res.body).not.toContain('@');
    expect(res.body).not.toMatch(/unsubscribe\/|preferences\//);
  });

  it('renders in a real Chromium with the token, and saves a screenshot', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const b = await startBrowser();
    try {
      const context = await b.browser.newContext({ httpCredentials: { username: 'admin', password: ADMIN } });
      const page = await context.newPage();
      expect((await page.goto(`${address}/admin/queues`))?.status()).toBe(200);
      await page.getByText('delivery').first().waitFor({ timeout: 15_000 });
      // A queue's completed jobs: the edition's send batch is listed, by name and id.
      await page.goto(`${address}/admin/queues/queue/delivery?status=completed`);
      await page.getByText('send-batch').first().waitFor({ timeout: 15_000 });
      await mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
    } finally {
      await b.close();
    }
  }, 60_000);
});

/** A redis-server of this test's own on a fixed port, so that it can be stopped and started again. */
async function ownRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  for (let i = 0; i < 100 && !out.includes('Ready to accept connections'); i++)
    await new Promise((r) => setTimeout(r, 50));
  return child;
}

describe('/readyz', () => {
  let port: number;
  let server: ChildProcess;
  let sink: SmtpSink;
  let t: TestApp;
  let workers: Worker[];

  beforeAll(async () => {
    port = await freePort();
    server = await ownRedis(port);
    sink = await startSmtpSink();
    const redis: TestRedis = {
      url: `redis://127.0.0.1:${port}`,
      prefix: '{readyz}',
      connect: () => {
        throw new Error('unused');
      },
      cleanup: async () => {},
    };
    t = await startApp(redis, sink, {}, { ops: { wedgedMs: 500 } });
    workers = t.gazette.startWorkers();
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    server?.kill('SIGKILL');
  });

  const ready = async () => (await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode;
  const until = async (status: number, ms: number) => {
    const start = Date.now();
    while (Date.now() - start < ms) {
      if ((await ready()) === status) return Date.now() - start;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`/readyz did not answer ${status} within ${ms} ms`);
  };

  it('is ready with idle workers; fails within seconds when Redis stops, and recovers when it restarts', async () => {
    await until(200, 10_000);
    const body = (await t.app.inject({ method: 'GET', url: '/readyz' })).json();
    expect(body).toMatchObject({ status: 'ready', redis: 'ok', wedged: [] });
    expect(body.workers).toMatchObject({ collect: 1, editions: 1, delivery: 1 });

    server.kill('SIGKILL');
    await once(server, 'exit');
    const down = await until(503, 10_000);
    console.log(`/readyz failed ${down} ms after Redis stopped`);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json().status).toBe('not-ready');

    server = await ownRedis(port);
    const up = await until(200, 20_000);
    console.log(`/readyz recovered ${up} ms after Redis restarted`);
  }, 60_000);

  it('fails when a queue has jobs waiting and nothing active for longer than the limit', async () => {
    const collectWorker = workers.find((w) => w.name === 'collect');
    await collectWorker?.pause();
    await new Promise((r) => setTimeout(r, 500));
    await t.gazette.services.producer.add(collect, { sourceId: 'sample', requestedAt: 'wedge-test' });
    await ready(); // first sight of the waiting job starts the clock
    await new Promise((r) => setTimeout(r, 800));
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json().wedged).toEqual(['collect']);
    collectWorker?.resume();
    await until(200, 10_000);
  }, 30_000);
});

describe('the dashboard in read-only mode', () => {
  const redis = testRedis('http-ops-ro');
  let sink: SmtpSink;
  let t: TestApp;
  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink, { DASHBOARD_READ_ONLY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('marks every queue read-only, so the UI offers no retry, clean or promote', async () => {
    const headers = { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` };
    const res = await t.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers });
    const queues = (res.json() as { queues: Array<{ name: string; readOnlyMode: boolean }> }).queues;
    expect(queues).toHaveLength(3);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
  });
});
