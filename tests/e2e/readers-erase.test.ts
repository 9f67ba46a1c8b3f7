/**
 * Erasure through the CLI, as the "must show" has it: after `gazette readers remove
 * --erase`, no key or value of the namespace holds the address (an edition was sent to it and it
 * went through the subscribe flow first), and a re-import of the address is skipped as suppressed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import { runCli } from '../support/cli.js';
import { gazetteEnv, seedSample } from '../support/gazette.js';
import { startApp, type TestApp, tokenIn } from '../support/http.js';
import { dumpNamespace, testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const ADDRESS = 'erase-me@example.com';

describe('gazette readers remove --erase', () => {
  const redis = testRedis('readers-erase');
  let sink: SmtpSink;
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    sink = await startSmtpSink();
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-erase-'));
    t = await startApp(redis, sink);
    t.gazette.startWorkers();
    await seedSample(t.gazette);
    env = { ...gazetteEnv(redis, sink), LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
  });

  it('leaves the address in no key or value, and a re-import skips it as suppressed', async () => {
    // Subscribe and confirm over HTTP (consent, throttles, nonce), then receive an edition (ledger, audience).
    const sub = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: { list: 'korea-daily', email: ADDRESS.toUpperCase(), name: 'Erase Me' },
    });
    expect(sub.statusCode).toBe(202);
    const [confirm] = await sink.waitFor(1);
    const ok = await t.app.inject({ method: 'GET', url: `/confirm/${tokenIn(confirm?.parsed.text, '/confirm/')}` });
    expect(ok.statusCode).toBe(200);
    await t.gazette.services.subscriptions.drain();
    const run = await runEdition(t.gazette.services, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    expect(run.status).toBe('dispatched');
    expect(
      sink.messages.some((m) => m.to.includes(ADDRESS) && !/^(Confirm|Welcome)/.test(m.parsed.subject ?? '')),
    ).toBe(true);
    const client = redis.connect();
    expect((await dumpNamespace(client, redis.prefix)).toLowerCase()).toContain(ADDRESS);

    const erase = await runCli(['readers', 'remove', ADDRESS, '--erase'], env);
    expect(erase.code, erase.stderr).toBe(0);
    expect(erase.stdout).toContain('erased');
    const after = (await dumpNamespace(client, redis.prefix)).toLowerCase();
    expect(after).not.toContain(ADDRESS);
    expect(after).not.toContain('erase me');

    const file = path.join(dir, 'again.csv');
    await writeFile(file, `email,name,topics\n${ADDRESS},Erase Me,\n`);
    const again = await runCli(['readers', 'import', file, '--list', 'korea-daily', '--confirmed'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('1 rows: 0 created, 0 updated, 0 unchanged, 1 suppressed');
    expect(await t.gazette.services.readers.findByEmail(ADDRESS)).toBeNull();
    expect((await dumpNamespace(client, redis.prefix)).toLowerCase()).not.toContain(ADDRESS);
  }, 120_000);
});
