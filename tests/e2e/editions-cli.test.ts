/**
 * The README's edition commands as a person runs them, each as a process: `send` stopped by a
 * refused sender, `editions show|resume|pause|cancel`, `send --resume`, and `start` serving and
 * stopping. Each documented error is one line, with its exit code and no stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEdition } from '../../src/cli/run-edition.js';
import type { Container } from '../../src/container.js';
import { editionId } from '../../src/editions/edition.js';
import { expectOneLine, runCli, STACK, spawnCli } from '../support/cli.js';
import { gazetteEnv, seedSample, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const READERS = Array.from({ length: 40 }, (_, i) => ({ email: `r${i}@example.com`, name: `R ${i}`, topics: [] }));

/** Distinct recipients the sink accepted, and how many of them it got more than once. */
function recipients(sink: SmtpSink): { distinct: number; twice: number } {
  const seen = new Map<string, number>();
  for (const m of sink.messages) for (const to of m.to) seen.set(to, (seen.get(to) ?? 0) + 1);
  return { distinct: seen.size, twice: [...seen.values()].filter((n) => n > 1).length };
}

/** A Redis prefix, an SMTP sink and a container with the sample and 40 readers, for one describe. */
function editionsFixture(name: string, opts: { workers: boolean }) {
  const redis = testRedis(name);
  const t = {} as { sink: SmtpSink; gazette: Container; env: Record<string, string> };
  beforeAll(async () => {
    t.sink = await startSmtpSink();
    t.gazette = await startGazette(redis, t.sink);
    if (opts.workers) t.gazette.startWorkers();
    await seedSample(t.gazette, READERS);
    t.env = { ...gazetteEnv(redis, t.sink), LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await t.gazette?.close();
    await t.sink?.close();
    await redis.cleanup();
  });
  return { t, cli: (...args: string[]) => runCli(args, t.env, { timeoutMs: 60_000 }) };
}

// Each test runs several `gazette` processes, a few seconds each on two shared cores.
describe('gazette editions and send, as processes', { timeout: 120_000 }, () => {
  const { t, cli } = editionsFixture('editions-cli', { workers: true });

  let edition = '';

  it('send: a refused sender pauses the edition; the line says why and how to resume, exit 1', async () => {
    t.sink.refuseAt('mail', { code: 553, message: '5.7.1 Sender address rejected' });
    const r = await cli('send', '--list', 'korea-daily', '--at', '2026-11-24T01:00:00Z');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(STACK);
    const match =
      /^(\S+): paused, 40 readers: 0 dispatched, 0 skipped, 0 bounced, 0 failed; paused \((.*553.*)\): fix the cause, then `gazette editions resume \1`$/m.exec(
        r.stdout,
      );
    expect(match, r.stdout).not.toBeNull();
    edition = match?.[1] ?? '';
    expect(t.sink.messages).toHaveLength(0);
    const show = await cli('editions', 'show', edition, '--json');
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: edition, state: 'paused', audience: 40, bounced: 0 });
  });

  it('send --resume and editions resume: once the sender is accepted, every reader gets it once', async () => {
    t.sink.refuseAt('mail', null);
    const r = await cli('editions', 'resume', edition);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`the workers send it now; follow it with: gazette editions show ${edition}`);
    const status = await followEdition(t.gazette.services, edition, () => {}, AbortSignal.timeout(30_000));
    expect(status).toMatchObject({ state: 'dispatched', dispatched: 40, pending: 0 });
    expect(recipients(t.sink)).toEqual({ distinct: 40, twice: 0 });
    const show = await cli('editions', 'show', edition);
    expect(show.stdout.trim()).toBe(
      `${edition}: dispatched, 40 readers: 40 dispatched, 0 skipped, 0 bounced, 0 failed`,
    );
  });

  it('refuses to pause, resume or cancel a dispatched edition, and send --resume with nothing to resume', async () => {
    for (const verb of ['pause', 'resume', 'cancel'])
      expectOneLine(
        await cli('editions', verb, edition),
        2,
        new RegExp(
          `edition ${edition} is dispatched: (only a running edition can be paused|only a paused or incomplete edition can be resumed|nothing to cancel)$`,
        ),
      );
    expectOneLine(
      await cli('send', '--list', 'korea-daily', '--resume'),
      2,
      /--resume: list "korea-daily" has no paused or incomplete edition/,
    );
    expectOneLine(await cli('editions', 'cancel', 'nope'), 2, /unknown edition "nope" \(see gazette status\)/);
    expect(recipients(t.sink)).toEqual({ distinct: 40, twice: 0 });
  });

  it('start serves the HTTP app and the workers, and stops cleanly on SIGTERM', async () => {
    const start = spawnCli(['start'], { ...t.env, LOG_LEVEL: 'info' });
    try {
      const listening = await start.waitForLog((l) => l.event === 'http.listening', 60_000);
      await start.waitForLog((l) => l.event === 'workers.started', 60_000);
      const address = String(listening.address);
      const health = await fetch(`${address.replace('0.0.0.0', '127.0.0.1')}/healthz`);
      expect(health.status).toBe(200);
      start.child.kill('SIGTERM');
      const r = await start.exited(30_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(STACK);
      expect(start.logs().some((l) => l.event === 'shutdown.done')).toBe(true);
    } finally {
      await start.stop();
    }
  });
});

describe('gazette editions pause and cancel on a running edition', { timeout: 120_000 }, () => {
  const { t, cli } = editionsFixture('editions-cli-pause', { workers: false });

  it('editions pause stops a running edition between readers; cancel settles the rest as cancelled', async () => {
    t.sink.delay(2500);
    const send = spawnCli(['send', '--list', 'korea-daily', '--at', '2026-11-24T01:00:00Z'], t.env);
    try {
      await t.sink.waitFor(1, { timeoutMs: 30_000 });
      const id = editionId('korea-daily', new Date('2026-11-23T22:00:00Z'));
      const paused = await cli('editions', 'pause', id);
      expect(paused.code, paused.stderr).toBe(0);
      expect(paused.stdout).toMatch(new RegExp(`^${id}: (pausing|paused), 40 readers: .*\\(paused by an operator\\)`));
      const sent = await send.exited(60_000);
      expect(sent.code).toBe(1);
      expect(sent.stdout).toMatch(new RegExp(`^${id}: paused`, 'm'));
      const cancelled = await cli('editions', 'cancel', id);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      const status = await followEdition(t.gazette.services, id, () => {}, AbortSignal.timeout(30_000));
      expect(status.state).toBe('cancelled');
      // Every reader is in a final state: sent before the pause took hold, or cancelled.
      const { distinct, twice } = recipients(t.sink);
      expect(twice).toBe(0);
      expect(status.dispatched).toBe(distinct);
      expect(status.cancelled).toBe(40 - distinct);
      expect(status.cancelled).toBeGreaterThan(0);
      expect(status.pending).toBe(0);
    } finally {
      t.sink.delay(0);
      await send.stop();
    }
  });
});
