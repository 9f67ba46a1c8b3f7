import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { gazetteEnv } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const ROWS = 100_000;

describe('gazette readers', () => {
  const redis = testRedis('readers-cli');
  let sink: SmtpSink;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    sink = await startSmtpSink();
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-readers-'));
    env = { ...gazetteEnv(redis, sink), LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
  });

  it('imports 100,000 rows in bounded memory, reports each bad row by line, and a re-import changes nothing', async () => {
    const lines = ['email,name,topics'];
    const badLines: number[] = [];
    for (let i = 0; i < ROWS; i++) {
      const bad = i % 100 === 99;
      if (bad) badLines.push(i + 2);
      lines.push(
        bad ? `broken-${i},"Bad, Row",china` : `reader${i}@example.com,Reader ${i},${i % 2 ? 'china;trade' : ''}`,
      );
    }
    const file = path.join(dir, 'readers.csv');
    await writeFile(file, `${lines.join('\n')}\n`);
    const args = ['readers', 'import', file, '--list', 'korea-daily', '--confirmed', '--consent-note', 'signup sheet'];
    // Bounded memory: with V8's old space capped (so garbage is collected, not left to pile up),
    // 100,000 rows peak within 100 MB of a 3-row import (of bad rows, so it changes nothing). An import that kept its rows would die
    // of heap exhaustion or show the growth here.
    const heapCapped = { ...env, NODE_OPTIONS: '--max-old-space-size=160' };
    const small = path.join(dir, 'small.csv');
    await writeFile(small, 'email,name,topics\nnot-an-address-1,,\nnot-an-address-2,,\nnot-an-address-3,,\n');
    const baseline = await runCli(['readers', 'import', small, '--list', 'korea-daily'], heapCapped);
    expect(baseline.code, baseline.stderr).toBe(0);
    const floor = Number(/peak memory (\d+) MB/.exec(baseline.stdout)?.[1]);
    const first = await runCli(args, heapCapped, { timeoutMs: 240_000 });
    expect(first.code, first.stderr).toBe(0);
    const reported = [...first.stdout.matchAll(/^line (\d+): email: not a valid address$/gm)].map((m) => Number(m[1]));
    expect(reported).toEqual(badLines);
    expect(first.stdout).toContain(`${ROWS} rows: ${ROWS - 1000} created, 0 updated, 0 unchanged, 0 suppressed`);
    const peak = Number(/peak memory (\d+) MB/.exec(first.stdout)?.[1]);
    console.log(`import of ${ROWS} rows: peak memory ${peak} MB (3 rows: ${floor} MB)`);
    expect(floor).toBeGreaterThan(0);
    expect(peak - floor).toBeLessThan(100);
    const second = await runCli(args, env, { timeoutMs: 240_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`${ROWS} rows: 0 created, 0 updated, ${ROWS - 1000} unchanged`);
  }, 600_000);

  it('adds, shows, lists, exports, unsubscribes and erases one reader', async () => {
    const add = await runCli(
      ['readers', 'add', 'Quinn@Example.com', '--list', 'korea-daily', '--topics', 'china;trade', '--name', 'Quinn'],
      env,
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/quinn@example\.com: confirmed on korea-daily \(china, trade\)/);
    const show = await runCli(['readers', 'show', 'quinn@example.com'], env);
    expect(JSON.parse(show.stdout)).toMatchObject({ reader: { email: 'quinn@example.com', name: 'Quinn' } });
    const list = await runCli(['readers', 'list', '--list', 'korea-daily', '--limit', '3'], env);
    expect(list.stdout).toMatch(/^99001 readers: 99001 confirmed/m);
    const out = path.join(dir, 'export.csv');
    expect((await runCli(['readers', 'export', '--list', 'korea-daily', '--out', out], env)).code).toBe(0);
    expect((await readFile(out, 'utf8')).split('\n').filter(Boolean)).toHaveLength(99002);
    const unsub = await runCli(['readers', 'unsubscribe', 'quinn@example.com'], env);
    expect(unsub.stdout).toContain('unsubscribed from korea-daily');
    const erase = await runCli(['readers', 'remove', 'quinn@example.com', '--erase'], env);
    expect(erase.code, erase.stderr).toBe(0);
    const missing = await runCli(['readers', 'show', 'quinn@example.com'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no reader with address');
    const bad = await runCli(['readers', 'add', 'nope', '--list', 'korea-daily'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('gazette: not a valid email address: nope\n');
  }, 120_000);
});
