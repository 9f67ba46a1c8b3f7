import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, jobs } from '../../jobs/index.js';
import type { Container } from '../../src/container.js';
import { applySchedulers } from '../../src/queue/schedulers.js';
import { SAMPLE_PUBLICATION, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';
import { startWordPressServer, type WordPressServer } from '../support/wordpress-server.js';

/** Wait for a job to fail once (an event, not a sleep). */
function failedOnce(events: QueueEvents, jobId: string): Promise<string> {
  return new Promise((resolve) => {
    const onFailed = ({ jobId: id, failedReason }: { jobId: string; failedReason: string }) => {
      if (id !== jobId) return;
      events.off('failed', onFailed);
      resolve(failedReason);
    };
    events.on('failed', onFailed);
  });
}

describe('the collect job', () => {
  const redis = testRedis('collect-job');
  let wp: WordPressServer;
  let sink: SmtpSink;
  let dir: string;
  let gazette: Container;
  let events: QueueEvents;

  beforeAll(async () => {
    wp = await startWordPressServer({ posts: 5 });
    sink = await startSmtpSink();
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-collect-job-'));
    const publication = JSON.parse(await readFile(SAMPLE_PUBLICATION, 'utf8'));
    publication.sources = [{ id: 'site', type: 'wordpress', url: wp.origin, allowPrivate: true, everySeconds: 600 }];
    await writeFile(path.join(dir, 'gazette.json'), JSON.stringify(publication));
    gazette = await startGazette(redis, sink, { GAZETTE_CONFIG: path.join(dir, 'gazette.json') });
    events = new QueueEvents('collect', { connection: redis.connect(), prefix: redis.prefix });
    await events.waitUntilReady();
    gazette.startWorkers();
  });
  afterAll(async () => {
    await events?.close();
    await gazette?.close();
    await wp?.close();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
  });

  it('collects through the queue and returns the counts', async () => {
    const job = await gazette.services.producer.add(collect, { sourceId: 'site', requestedAt: 'first' });
    expect(await job.waitUntilFinished(events, 20_000)).toMatchObject({ source: 'site', new: 5 });
  });

  it('fails for good, without retrying, when the site refuses (401)', async () => {
    wp.behaviour = { ...wp.behaviour, fail: { status: 401, code: 'rest_not_logged_in', message: 'Sorry.' } };
    const payload = { sourceId: 'site', requestedAt: 'refused' };
    const failed = failedOnce(events, collect.jobId(payload));
    const job = await gazette.services.producer.add(collect, payload);
    const reason = await failed;
    expect(reason).toMatch(/WP_UNAUTHORIZED/);
    const stored = await gazette.services.producer.queue('collect').getJob(job.id ?? '');
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(1);
  });

  it('backs off and retries when the site is down (503)', async () => {
    wp.behaviour = { ...wp.behaviour, fail: { status: 503, code: 'maintenance', message: 'Briefly unavailable.' } };
    const payload = { sourceId: 'site', requestedAt: 'down' };
    const retried = new Promise<void>((resolve) => {
      const onDelayed = ({ jobId }: { jobId: string }) => {
        if (jobId !== collect.jobId(payload)) return;
        events.off('delayed', onDelayed);
        resolve();
      };
      events.on('delayed', onDelayed);
    });
    const job = await gazette.services.producer.add(collect, payload);
    await retried;
    const stored = await gazette.services.producer.queue('collect').getJob(job.id ?? '');
    expect(await stored?.getState()).toBe('delayed');
    expect(stored?.attemptsMade).toBe(1);
    expect(stored?.failedReason).toMatch(/HTTP 503/);
  });

  it('schedules a collection per source with an interval, once however often it is applied', async () => {
    const defs = { planEdition: jobs['plan-edition'], collect: jobs.collect };
    await applySchedulers(gazette.services.producer, gazette.services.publication, defs);
    await applySchedulers(gazette.services.producer, gazette.services.publication, defs);
    const schedulers = await gazette.services.producer.queue('collect').getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every])).toEqual([['collect-site', 600_000]]);
    const editions = await gazette.services.producer.queue('editions').getJobSchedulers();
    expect(editions.map((s) => [s.key, s.pattern, s.tz])).toEqual([['edition-korea-daily', '0 7 * * *', 'Asia/Seoul']]);
  });
});
