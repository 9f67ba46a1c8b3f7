/**
 * `gazette send` as a person runs it: it follows the edition until every reader is final and
 * says how it ended; Ctrl-C leaves the edition to the workers and says how to follow it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEdition } from '../../src/cli/run-edition.js';
import type { Container } from '../../src/container.js';
import { runCli, spawnCli } from '../support/cli.js';
import { gazetteEnv, seedSample, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const READERS = Array.from({ length: 60 }, (_, i) => ({ email: `r${i}@example.com`, name: `R ${i}`, topics: [] }));

describe('gazette send', () => {
  const redis = testRedis('send-cli');
  let sink: SmtpSink;
  let gazette: Container;

  beforeAll(async () => {
    sink = await startSmtpSink();
    gazette = await startGazette(redis, sink);
    await seedSample(gazette, READERS);
  });
  afterAll(async () => {
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('on Ctrl-C leaves the edition running, says how to follow it, and the workers finish it: everyone once', async () => {
    // The edition is slow (the server answers each message after 300 ms), so Ctrl-C comes mid-way.
    sink.delay(300);
    const send = spawnCli(['send', '--list', 'korea-daily', '--at', '2026-11-24T01:00:00Z'], gazetteEnv(redis, sink));
    try {
      await sink.waitFor(1, { timeoutMs: 30_000 });
      send.child.kill('SIGINT');
      const r = await send.exited(30_000);
      expect(r.code, r.stderr).toBe(0);
      const id = /left (\S+) running/.exec(r.stdout)?.[1];
      expect(r.stdout).toMatch(/follow it with: gazette editions show \S+/);
      expect(id).toBeTruthy();
      // The edition is not over, and another worker (this test's) carries it to its end.
      expect(sink.messages.length).toBeLessThan(READERS.length);
      gazette.startWorkers();
      const done = await followEdition(gazette.services, id ?? '');
      expect(done).toMatchObject({ state: 'dispatched', dispatched: READERS.length, pending: 0 });
      const to = sink.messages.flatMap((m) => m.to);
      expect(to).toHaveLength(READERS.length);
      expect(new Set(to).size).toBe(READERS.length);

      // Followed to its end, `send` reports how it ended, in one line; the slot is not sent twice.
      sink.delay(0);
      const again = await runCli(
        ['send', '--list', 'korea-daily', '--at', '2026-11-24T01:00:00Z'],
        gazetteEnv(redis, sink),
      );
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`${id}: dispatched, ${READERS.length} readers`);
      expect(again.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(sink.messages).toHaveLength(READERS.length);
    } finally {
      await send.stop();
    }
  }, 120_000);
});
