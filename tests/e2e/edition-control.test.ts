/**
 * An edition that meets a refused sender pauses instead of bouncing anyone, and one whose SMTP
 * server stays down ends `incomplete`; in both cases a resume sends exactly the readers left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEdition, runEdition } from '../../src/cli/run-edition.js';
import type { Container } from '../../src/container.js';
import { seedSample, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const WITH_NEWS = ['ada@example.com', 'linus@example.com', 'min-ji@example.com'];

/** A Gazette with its own Redis prefix (so each case plans the sample briefings afresh). */
function fresh(name: string, env: Record<string, string> = {}, readers?: Parameters<typeof seedSample>[1]) {
  const redis = testRedis(name);
  const ctx = {} as { sink: SmtpSink; gazette: Container };
  beforeAll(async () => {
    ctx.sink = await startSmtpSink();
    ctx.gazette = await startGazette(redis, ctx.sink, { SEND_ATTEMPTS: '2', SEND_BACKOFF_MS: '50', ...env });
    await seedSample(ctx.gazette, readers);
    ctx.gazette.startWorkers();
  });
  afterAll(async () => {
    await ctx.gazette?.close();
    await ctx.sink?.close();
    await redis.cleanup();
  });
  return ctx;
}

describe('an edition whose sender is refused', () => {
  const ctx = fresh('edition-paused');
  it('a 553 at MAIL FROM pauses the edition, bounces nobody, and resume sends every reader once', async () => {
    const { sink, gazette } = ctx;
    const s = gazette.services;
    sink.refuseAt('mail', { code: 553, message: '5.1.8 Sender address rejected' });
    const run = await runEdition(s, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    if (run.status === 'skipped') throw new Error(run.reason);
    expect(run.status).toBe('paused');
    expect(run.result).toMatchObject({ bounced: 0, failed: 0, dispatched: 0, pending: WITH_NEWS.length });
    expect(run.result.pausedReason).toContain('553');
    for (const email of WITH_NEWS) {
      expect(await s.suppression.get(email), email).toBeNull();
      const reader = await s.readers.findByEmail(email);
      expect((await s.readers.subscription('korea-daily', reader?.id ?? ''))?.status).toBe('confirmed');
    }

    sink.reset();
    expect(await s.dispatcher.resume(run.editionId)).toMatchObject({ status: 'resumed', pending: WITH_NEWS.length });
    const done = await followEdition(s, run.editionId);
    expect(done).toMatchObject({ state: 'dispatched', dispatched: WITH_NEWS.length, pending: 0 });
    expect(sink.messages.flatMap((m) => m.to).sort()).toEqual(WITH_NEWS);
  });
});

describe('an edition whose SMTP server stays down', () => {
  const ctx = fresh('edition-incomplete');

  it('a server down past every attempt ends the edition incomplete; resume sends exactly the missing readers', async () => {
    const { sink, gazette } = ctx;
    const s = gazette.services;
    sink.reset();
    sink.failNext(1_000, { code: 421, message: '4.3.2 Service shutting down' });
    const run = await runEdition(s, 'korea-daily', new Date('2026-11-25T01:00:00Z'));
    if (run.status === 'skipped') throw new Error(run.reason);
    expect(run.status).toBe('incomplete');
    // 421 at DATA is temporary: nobody is failed or bounced; all are still pending.
    expect(run.result).toMatchObject({ dispatched: 0, failed: 0, bounced: 0 });
    expect(run.result.pending + run.result.dispatched).toBe(run.result.audience);
    expect(run.result.pending).toBeGreaterThan(0);

    sink.reset();
    await s.dispatcher.resume(run.editionId);
    const done = await followEdition(s, run.editionId);
    expect(done).toMatchObject({ state: 'dispatched', pending: 0, dispatched: run.result.audience });
    const to = sink.messages.flatMap((m) => m.to);
    expect(to.length).toBe(new Set(to).size);
    expect(to.length).toBe(run.result.audience);
  });
});

describe('a cancelled edition', () => {
  const ctx = fresh('edition-cancelled');

  it('cancel settles the readers not yet sent as cancelled', async () => {
    const { sink, gazette } = ctx;
    const s = gazette.services;
    sink.reset();
    sink.refuseAt('mail', { code: 554, message: '5.7.1 Sender blocked' });
    const run = await runEdition(s, 'korea-daily', new Date('2026-11-26T01:00:00Z'));
    if (run.status === 'skipped') throw new Error(run.reason);
    expect(run.status).toBe('paused');
    const cancelled = await s.dispatcher.cancel(run.editionId);
    expect(cancelled).toMatchObject({ state: 'cancelled', cancelled: run.result.pending, dispatched: 0 });
    await expect(s.dispatcher.resume(run.editionId)).rejects.toThrow(/only a paused or incomplete/);
  });
});

const many = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ email: `r${i}@example.com`, name: `R ${i}`, topics: [] as string[] }));

describe('the error budget: temporary failures in a row', () => {
  const ctx = fresh('budget-transient', { SEND_ATTEMPTS: '8', SEND_BACKOFF_MS: '20' }, many(80));

  it('pauses the edition after 50 consecutive temporary failures, fails nobody, and resume sends everyone once', async () => {
    const { sink, gazette } = ctx;
    const s = gazette.services;
    sink.failNext(100_000, { code: 421, message: '4.7.0 Try again later' });
    const run = await runEdition(s, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    if (run.status === 'skipped') throw new Error(run.reason);
    expect(run.status).toBe('paused');
    expect(run.result.pausedReason).toMatch(/^5\d consecutive temporary failures/);
    expect(run.result).toMatchObject({ dispatched: 0, failed: 0, bounced: 0, pending: 80 });

    sink.reset();
    await s.dispatcher.resume(run.editionId);
    const done = await followEdition(s, run.editionId);
    expect(done).toMatchObject({ state: 'dispatched', dispatched: 80, pending: 0 });
    const to = sink.messages.flatMap((m) => m.to);
    expect(new Set(to).size).toBe(80);
    expect(to).toHaveLength(80);
  });
});

describe('the error budget: bounces', () => {
  const ctx = fresh('budget-bounces', {}, many(400));

  it('pauses the edition once more than 5% of its first 1,000 readers bounced', async () => {
    const { sink, gazette } = ctx;
    const s = gazette.services;
    // 134 bad mailboxes among 400 readers: the 51st (> 5% of 1,000) pauses the edition.
    for (let i = 0; i < 400; i += 3) sink.rejectRecipient(`r${i}@example.com`, 550, '5.1.1 No such user');
    const run = await runEdition(s, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    if (run.status === 'skipped') throw new Error(run.reason);
    expect(run.status, JSON.stringify(run.result)).toBe('paused');
    expect(run.result.pausedReason).toContain('bounce rate over 5% of the first 1000 readers');
    expect(run.result.bounced).toBeGreaterThan(50);
    expect(run.result.pending).toBeGreaterThan(0);
    // Each bounce is one reader's: only those addresses are suppressed.
    expect(await s.suppression.get('r1@example.com')).toBeNull();
    expect(await s.suppression.get('r0@example.com')).not.toBeNull();
  });
});

describe("a list's own send rate", () => {
  // The list sends at most 10 a second, whatever MAIL_RATE allows (none here).
  const ctx = fresh('list-rate', {}, many(40));

  it('spreads the edition over time: 10 a window, so 40 messages take over 2 s', async () => {
    const { sink, gazette } = ctx;
    const s = gazette.services;
    const list = s.publication.lists[0];
    if (!list) throw new Error('no list');
    Object.assign(list, { rate: '10/s' });
    const run = await runEdition(s, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    if (run.status === 'skipped') throw new Error(run.reason);
    expect(run.result).toMatchObject({ state: 'dispatched', dispatched: 40 });
    const times = sink.messages.map((m) => m.receivedAt).sort((a, b) => a - b);
    let most = 0;
    for (let i = 0; i < times.length; i++) {
      const start = times[i] ?? 0;
      most = Math.max(most, times.filter((t) => t >= start && t < start + 1000).length);
    }
    // Fixed one-second windows: two windows' worth can meet across a boundary, never more.
    expect(most).toBeLessThanOrEqual(20);
    const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
    console.log(`40 messages at 10/s: ${span} ms, at most ${most} in any 1 s`);
    // 40 messages in windows of 10: four windows, so the first and last are over two seconds apart.
    expect(span).toBeGreaterThanOrEqual(2_000);
  });
});
