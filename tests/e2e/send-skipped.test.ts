/**
 * A list's edition with no confirmed reader is recorded `skipped` with its reason, sends
 * nothing, and `gazette send` says so on a warning line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../src/container.js';
import { runCli } from '../support/cli.js';
import { gazetteEnv, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const redis = testRedis('send-skipped');
let sink: SmtpSink;
let gazette: Container;

beforeAll(async () => {
  sink = await startSmtpSink();
  gazette = await startGazette(redis, sink);
  const source = gazette.services.publication.sources[0];
  if (!source) throw new Error('sample source missing');
  await gazette.services.collector.collect(source); // briefings, but no reader at all
});
afterAll(async () => {
  await gazette?.close();
  await sink?.close();
  await redis.cleanup();
});

describe('an edition of a list with no confirmed reader', () => {
  it('is recorded skipped with its reason, and `gazette send` warns', async () => {
    const run = await runCli(
      ['send', '--list', 'korea-daily', '--at', '2026-11-24T01:00:00Z'],
      gazetteEnv(redis, sink),
      {
        timeoutMs: 60_000,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const warning = run.stderr.split('\n').find((l) => l.startsWith('warning: edition skipped'));
    expect(warning).toBe('warning: edition skipped, nothing sent: list "korea-daily" has no confirmed reader');
    expect(sink.messages).toHaveLength(0);

    const [editionId] = await gazette.services.editions.recent('korea-daily');
    expect(editionId).toBeDefined();
    const status = await gazette.services.editions.status(editionId ?? '');
    expect(status).toMatchObject({ state: 'skipped', skippedReason: 'list "korea-daily" has no confirmed reader' });
  });
});
