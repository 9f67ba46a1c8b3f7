/**
 * The README's commands as a person types them: each one run as a process on the test Redis,
 * each documented error checked for its one line, its exit code (2 usage, 1 failure) and the
 * absence of a stack trace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/queue/define.js';
import { freePort } from '../../src/store/private-redis.js';
import { type CliResult, runCli } from '../support/cli.js';
import { SAMPLE_PUBLICATION, TEST_SECRET } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';

const STACK = /^\s+at /m;

/** A usage error or failure: exactly one line on stderr, nothing on stdout, no stack. */
function expectOneLine(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^gazette: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stdout).toBe('');
}

describe('gazette, the command line', () => {
  const redis = testRedis('cli-basics');
  let dir: string;
  let env: Record<string, string>;
  const gazette = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-cli-'));
    env = {
      GAZETTE_ENV: 'test',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      SECRET: TEST_SECRET,
      GAZETTE_CONFIG: SAMPLE_PUBLICATION,
      MAIL_TRANSPORT: `outbox:${path.join(dir, 'outbox')}`,
      TMPDIR: dir,
    };
  });
  afterAll(async () => {
    await redis.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  describe('help and version', () => {
    it('bare `gazette` prints the help (it starts nothing) and exits 0', async () => {
      const r = await gazette();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage: gazette \[options\] \[command\]/);
      for (const command of ['start', 'worker', 'api', 'collect', 'import', 'send', 'status', 'demo', 'readers'])
        expect(r.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      expect(r.stderr).toBe('');
    });

    it('-v and --version print the package version', async () => {
      for (const flag of ['-v', '--version']) {
        const r = await gazette(flag);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe('0.1.0\n');
      }
    });

    it("a command's help marks its required options", async () => {
      const r = await gazette('send', '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/--list <id> \(required\)/);
      expect(r.stdout).not.toMatch(/--at <iso-time> \(required\)/);
    });
  });

  describe('usage errors: one line, exit code 2', () => {
    it.each([
      [['bogus'], /unknown command 'bogus'; see `gazette --help`/],
      [['stats'], /unknown command 'stats' \(Did you mean status\?\)/],
      [['status', '--bogus'], /unknown option '--bogus'; see `gazette status --help`/],
      [['send'], /required option '--list <id>' not specified; see `gazette send --help`/],
      [['import'], /missing required argument 'path'/],
      [['import', '/missing/path'], /cannot import \/missing\/path: no such file or directory/],
      [['send', '--list', 'nope'], /--list: unknown list "nope" \(known: korea-daily\)/],
      [['send', '--list', 'korea-daily', '--at', 'yesterday'], /--at: not a date: yesterday/],
      [['collect', '--source', 'nope'], /unknown source "nope"/],
      [['editions', 'show', 'nope'], /unknown edition "nope"/],
    ])('gazette %s', async (args, pattern) => {
      expectOneLine(await gazette(...args), 2, pattern);
    });

    it('`send --list nope` leaves no job behind, failed or otherwise', async () => {
      await gazette('send', '--list', 'nope');
      for (const name of QUEUES) {
        const queue = new Queue(name, { connection: redis.connect(), prefix: redis.prefix });
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
        expect(counts, name).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
        await queue.close();
      }
    });
  });

  describe('failures: one line, exit code 1', () => {
    it('Redis down', async () => {
      const r = await runCli(['status'], { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      expectOneLine(r, 1, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+.*set REDIS_URL/);
    });
  });

  describe('settings', () => {
    it('a bad setting names the variable, one line per problem, exit code 2', async () => {
      const r = await runCli(['status'], { ...env, MAIL_TRANSPORT: 'carrier-pigeon', PORT: 'x' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^gazette: invalid configuration\n/);
      expect(r.stderr).toMatch(/^ {2}MAIL_TRANSPORT: must be smtp:\/\/…, smtps:\/\/… or outbox:DIR$/m);
      expect(r.stderr).toMatch(/^ {2}PORT: /m);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(3);
      expect(r.stderr).not.toMatch(STACK);
    });
  });
});
