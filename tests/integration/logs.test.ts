/**
 * Logs as an operator reads them: during an edition, every line logged inside a job carries
 * its queue, job id and edition id, whichever service wrote it; no address or link token shows,
 * not even inside an SMTP error; and `LOG_FORMAT=pretty` gives people lines instead of JSON.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import { loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import { createLogger, scrub } from '../../src/logger.js';
import { loadPublication } from '../../src/publication.js';
import { spawnCli } from '../support/cli.js';
import { gazetteEnv, SAMPLE_PUBLICATION, seedSample, TEST_SECRET } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const READERS = [
  { email: 'ada@example.com', name: 'Ada', topics: [] },
  { email: 'gone@example.com', name: 'Gone', topics: [] },
  { email: 'linus@example.com', name: 'Linus', topics: ['trade'] },
];

interface Line {
  level: number;
  msg: string;
  event?: string;
  queue?: string;
  jobId?: string;
  job?: string;
  editionId?: string;
  [field: string]: unknown;
}

describe('logs', () => {
  const redis = testRedis('logs');
  let sink: SmtpSink;
  let gazette: Container;
  let raw = '';

  beforeAll(async () => {
    sink = await startSmtpSink();
    const config = loadConfig({
      GAZETTE_ENV: 'test',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      MAIL_TRANSPORT: `${sink.url}?ignoreTLS=true`,
      PUBLIC_URL: 'https://news.example',
      SECRET: TEST_SECRET,
      GAZETTE_CONFIG: SAMPLE_PUBLICATION,
    });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw += chunk.toString();
        done();
      },
    });
    const log = createLogger('debug', { destination });
    gazette = await createContainer(config, await loadPublication(config.publicationFile), log);
    await seedSample(gazette, READERS);
    sink.rejectRecipient('gone@example.com', 550, '5.1.1 <gone@example.com>: no such user here');
  });
  afterAll(async () => {
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('every line logged in a job of an edition carries queue, job id and edition id; no address, no token', async () => {
    gazette.startWorkers();
    const run = await runEdition(gazette.services, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    expect(run.status).toBe('dispatched');
    const editionId = run.status === 'skipped' ? '' : run.editionId;
    const lines = raw
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    const inJobs = lines.filter((l) => l.jobId !== undefined);
    // Lines from several services and jobs: the plan, the fan-out, batches, the bounce, the end.
    for (const event of ['edition.fanned-out', 'batch.sent', 'reader.bounced', 'edition.dispatched'])
      expect(
        inJobs.map((l) => l.event),
        event,
      ).toContain(event);
    for (const line of inJobs) {
      expect(line.queue, JSON.stringify(line)).toMatch(/^(editions|delivery)$/);
      expect(line.jobId, JSON.stringify(line)).toBeTruthy();
      expect(line.editionId, JSON.stringify(line)).toBe(editionId);
    }
    // The dispatcher and batch sender log through the root logger: the ids come from the job's context.
    expect(lines.filter((l) => l.event?.startsWith('batch.') || l.event?.startsWith('reader.'))).toEqual(
      expect.arrayContaining([expect.objectContaining({ queue: 'delivery', editionId })]),
    );
    expect(raw).not.toMatch(/@example\.com/);
    expect(raw).not.toMatch(/\/(unsubscribe|preferences)\/[A-Za-z0-9_-]{8,}/);
    // The bounce's line says why (the SMTP reply named the address; the line does not).
    expect(lines.find((l) => l.event === 'reader.bounced')).toMatchObject({ detail: expect.stringMatching(/5\.1\.1/) });
  }, 60_000);

  it('scrubs addresses and link tokens inside any string', () => {
    expect(scrub('550 <a.b+c@mail.example.org> unknown; see https://x.example/unsubscribe/abc.DEF_1-2')).toBe(
      '550 <[address]> unknown; see https://x.example/unsubscribe/[token]',
    );
  });

  it('LOG_FORMAT=pretty writes lines for people (pino-pretty), not JSON', async () => {
    const worker = spawnCli(['worker'], { ...gazetteEnv(redis, sink), LOG_FORMAT: 'pretty' });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no pretty line:\n${worker.stderr()}`)), 30_000);
        const check = () => {
          if (/INFO.*workers started/.test(worker.stderr())) {
            clearTimeout(timer);
            resolve();
          }
        };
        worker.child.stderr?.on('data', check);
        check();
      });
      expect(worker.stderr()).not.toMatch(/^\{"level"/m);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
