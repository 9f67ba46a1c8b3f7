/**
 * SIGTERM on `gazette worker`: it stops taking jobs, lets the send-batch in flight finish (so no
 * reader is left half-sent), closes everything and exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planEdition } from '../../jobs/index.js';
import type { Container } from '../../src/container.js';
import { type RunningCli, spawnCli } from '../support/cli.js';
import { gazetteEnv, seedSample, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const AT = '2026-11-24T01:00:00.000Z';
const EDITION = 'korea-daily-20261123T220000Z';
/** The sample readers with news in the sample briefings (Grace follows only North Korea). */
const WITH_NEWS = ['ada@example.com', 'linus@example.com', 'min-ji@example.com'];

/** Polls `probe` until it returns a value other than undefined; rejects after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('gazette worker on SIGTERM', () => {
  const redis = testRedis('shutdown');
  let sink: SmtpSink;
  let gazette: Container;
  let worker: RunningCli | undefined;
  const readerIds = new Map<string, string>();

  beforeAll(async () => {
    sink = await startSmtpSink();
    // The container seeds data and reads state; it runs no workers: the child process does.
    gazette = await startGazette(redis, sink);
    for (const [email, id] of await seedSample(gazette)) readerIds.set(email, id);
  });

  afterAll(async () => {
    await worker?.stop();
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('finishes the batch in flight, then exits 0', async () => {
    sink.delay(1500);
    await gazette.services.producer.add(planEdition, { listId: 'korea-daily', at: AT });

    worker = spawnCli(['worker'], gazetteEnv(redis, sink));
    const w = worker;

    // In flight: a reader is claimed in the ledger (`sending`) right before the SMTP send,
    // and the sink holds every message 1.5 s before accepting it.
    const ids = [...readerIds.values()];
    await until('a reader claimed for sending', async () => {
      if (w.child.exitCode !== null) throw new Error(`worker exited early:\n${w.stderr()}`);
      const entries = await Promise.all(ids.map((id) => gazette.services.ledger.entry(EDITION, id)));
      return entries.some((e) => e?.startsWith('sending ')) ? true : undefined;
    });
    const acceptedAtSigterm = sink.messages.length;
    w.child.kill('SIGTERM');

    const result = await w.exited(20_000);
    expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
    // The signal really came mid-batch: not every message had been accepted yet.
    expect(acceptedAtSigterm).toBeLessThan(WITH_NEWS.length);

    // The batch in flight finished: one message per reader with news, none twice.
    expect(sink.messages.flatMap((m) => m.to).sort()).toEqual(WITH_NEWS);
    for (const [email, id] of readerIds) {
      const entry = await gazette.services.ledger.entry(EDITION, id);
      expect(entry, email).not.toBeNull();
      expect(entry, email).not.toMatch(/^sending/);
      expect(entry, email).toMatch(WITH_NEWS.includes(email) ? /^dispatched / : /^skipped /);
    }

    // Logged in order: the signal, the batch completing during the drain, then the end.
    const events = w.logs().map((l) => l.event);
    const shutdown = events.indexOf('shutdown');
    const sent = events.indexOf('batch.sent');
    const done = events.indexOf('shutdown.done');
    expect(events).toContain('workers.started');
    expect(shutdown).toBeGreaterThanOrEqual(0);
    expect(sent).toBeGreaterThan(shutdown);
    expect(done).toBeGreaterThan(sent);
    expect(w.logs().find((l) => l.event === 'shutdown')).toMatchObject({ signal: 'SIGTERM' });
  });
});

describe('gazette worker on SIGTERM in the middle of a large batch', () => {
  const redis = testRedis('shutdown-large');
  let sink: SmtpSink;
  let gazette: Container;
  const workers: RunningCli[] = [];
  const emails = Array.from({ length: 12 }, (_, i) => `reader${i}@example.com`);

  beforeAll(async () => {
    sink = await startSmtpSink();
    gazette = await startGazette(redis, sink);
    await seedSample(
      gazette,
      emails.map((email) => ({ email, name: '', topics: [] })),
    );
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('stops between readers, exits 0 at once, and a new worker sends the rest: everyone once', async () => {
    sink.delay(1500);
    await gazette.services.producer.add(planEdition, { listId: 'korea-daily', at: AT });
    const first = spawnCli(['worker'], gazetteEnv(redis, sink));
    workers.push(first);
    const sending = await until('readers claimed for sending', async () => {
      if (first.child.exitCode !== null) throw new Error(`worker exited early:\n${first.stderr()}`);
      const ledger = await redis.connect().hgetall(`${redis.prefix}:edition:${EDITION}:ledger`);
      const claimed = Object.values(ledger).filter((v) => v.startsWith('sending ')).length;
      return claimed >= 5 ? claimed : undefined;
    });
    first.child.kill('SIGTERM');
    const result = await first.exited(10_000);
    expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
    // Only the sends in flight went out; nobody is left half-sent.
    expect(sink.messages.length).toBe(sending);
    const ledger = await redis.connect().hgetall(`${redis.prefix}:edition:${EDITION}:ledger`);
    expect(Object.values(ledger).filter((v) => v.startsWith('sending '))).toEqual([]);
    expect(Object.values(ledger).filter((v) => v.startsWith('dispatched '))).toHaveLength(sending);

    sink.delay(0);
    workers.push(spawnCli(['worker'], gazetteEnv(redis, sink)));
    await sink.waitFor(emails.length, { timeoutMs: 25_000 });
    const status = await until(
      'the edition dispatched',
      async () => {
        const st = await gazette.services.editions.status(EDITION);
        return st?.state === 'dispatched' ? st : undefined;
      },
      25_000,
    );
    expect(status).toMatchObject({ dispatched: emails.length, failed: 0 });
    expect(sink.messages.flatMap((m) => m.to).sort()).toEqual([...emails].sort());
  }, 60_000);
});
