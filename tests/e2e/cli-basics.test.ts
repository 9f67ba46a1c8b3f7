/**
 * The README's commands as a person types them: each one run as a process on the test Redis,
 * each documented error checked for its one line, its exit code (2 usage, 1 failure) and the
 * absence of a stack trace.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/queue/define.js';
import { keys } from '../../src/store/keys.js';
import { freePort } from '../../src/store/private-redis.js';
import { type CliResult, expectOneLine, runCli, STACK } from '../support/cli.js';
import { ROOT, SAMPLE_PUBLICATION, TEST_SECRET } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';

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

  describe('a run from the command line, human and --json', () => {
    /** No pino line slipped into a command's output, on either stream. */
    const noLogLines = (r: CliResult) => {
      expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\{"level":/m);
      expect(r.stderr).not.toMatch(/SECRET|\r/);
    };

    it('collect: counts per source, or a JSON array of them', async () => {
      const human = await gazette('collect');
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toBe('sample: 2 new, 0 updated, 0 unchanged, 0 quarantined\n');
      noLogLines(human);
      const json = await gazette('collect', '--json');
      expect(JSON.parse(json.stdout)).toEqual([{ source: 'sample', new: 0, updated: 0, unchanged: 2, quarantined: 0 }]);
    });

    it('import: unreadable documents are quarantined and counted; quarantine lists them, --json too', async () => {
      const docs = path.join(dir, 'posts');
      await mkdir(docs);
      await writeFile(path.join(docs, 'broken.json'), '{"id": 7, "title": ');
      const r = await gazette('import', docs, '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ new: 0, quarantined: 1 });
      noLogLines(r);
      const human = await gazette('import', docs);
      expect(human.stdout).toMatch(
        /^0 new, 0 updated, 0 unchanged, 1 quarantined\nSee them with: gazette quarantine\n$/,
      );
      const list = await gazette('quarantine', 'list', '--json');
      expect(list.code, list.stderr).toBe(0);
      const entries = JSON.parse(list.stdout) as Array<{ id: string; source: string; reason: string }>;
      expect(entries.length).toBeGreaterThanOrEqual(1);
      expect(entries[0]).toMatchObject({ source: 'import' });
      const text = await gazette('quarantine');
      expect(text.stdout).toContain(entries[0]?.id);
      expectOneLine(await gazette('quarantine', 'retry'), 2, /give quarantine ids, or --all/);
      expectOneLine(await gazette('quarantine', 'list', '--limit', 'x'), 2, /--limit: not a positive whole number: x/);
    });

    it('readers import and list, human and --json', async () => {
      const csv = path.join(dir, 'readers.csv');
      await writeFile(
        csv,
        'email,name,topics\nada@example.com,Ada,\nlinus@example.com,Linus,trade\nnot-an-address,Bad,\n',
      );
      const r = await gazette('readers', 'import', csv, '--list', 'korea-daily', '--confirmed', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ rows: 3, created: 2, bad: [{ line: 4 }] });
      noLogLines(r);
      const list = await gazette('readers', 'list', '--list', 'korea-daily', '--json');
      const parsed = JSON.parse(list.stdout) as { readers: Array<{ email: string }>; counts: { confirmed: number } };
      expect(parsed.readers.map((x) => x.email).sort()).toEqual(['ada@example.com', 'linus@example.com']);
      expect(parsed.counts.confirmed).toBe(2);
      const human = await gazette('readers', 'list', '--list', 'korea-daily');
      expect(human.stdout).toMatch(/^ada@example\.com\tconfirmed\tall\tAda$/m);
      expect(human.stdout).toMatch(/^2 readers: 2 confirmed/m);
      expectOneLine(
        await gazette('readers', 'list', '--list', 'nope'),
        2,
        /unknown list "nope" \(known: korea-daily\)/,
      );
      expectOneLine(
        await gazette('readers', 'import', path.join(dir, 'none.csv'), '--list', 'korea-daily'),
        2,
        /cannot read .*none\.csv: ENOENT/,
      );
      expectOneLine(await gazette('readers', 'show', 'zed@example.com'), 2, /no reader with address zed@example\.com/);
    });

    it('send --json: the outcome of the edition, one JSON document on stdout', async () => {
      const r = await runCli(['send', '--list', 'korea-daily', '--at', '2026-11-24T01:00:00Z', '--json'], env, {
        timeoutMs: 60_000,
      });
      expect(r.code, r.stderr).toBe(0);
      noLogLines(r);
      const outcome = JSON.parse(r.stdout) as { editionId: string; status: string; dispatched: number };
      expect(outcome).toMatchObject({ status: 'dispatched', dispatched: 2, audience: 2 });
      const eml = await readdir(path.join(dir, 'outbox', outcome.editionId));
      expect(eml.sort()).toEqual(['ada-example-com.eml', 'linus-example-com.eml']);
      const show = await gazette('editions', 'show', outcome.editionId);
      expect(show.stdout).toMatch(new RegExp(`^${outcome.editionId}: dispatched, 2 readers: 2 dispatched`));
    }, 90_000);

    it('status --json matches the edition just sent; the table says the same', async () => {
      const id = (await lastEdition()) ?? '';
      const show = JSON.parse((await gazette('editions', 'show', id, '--json')).stdout) as Record<string, unknown>;
      const r = await gazette('status', '--json');
      expect(r.code, r.stderr).toBe(0);
      noLogLines(r);
      const report = JSON.parse(r.stdout) as {
        lists: Array<{ id: string; last: Record<string, unknown>; next: { slot: string; slotLocal: string } }>;
        queues: Record<string, { failed: number; waiting: number }>;
        readers?: unknown;
        failedJobs: unknown[];
        attention: unknown[];
        quarantine: number;
        suppressed: number;
        briefings: number;
      };
      const list = report.lists[0];
      expect(list?.last).toMatchObject({
        ...show,
        slot: '2026-11-23T22:00:00.000Z',
        slotLocal: '2026-11-24 07:00 Asia/Seoul',
      });
      expect(list?.last).toMatchObject({ state: 'dispatched', audience: 2, dispatched: 2, failed: 0, bounced: 0 });
      expect(new Date(list?.next.slot ?? 0).getTime()).toBeGreaterThan(Date.now());
      expect(list?.next.slotLocal).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} Asia\/Seoul$/);
      expect(report).toMatchObject({ briefings: 2, quarantine: 1, suppressed: 0, failedJobs: [], attention: [] });
      expect(report.lists[0]).toMatchObject({ readers: { confirmed: 2, total: 2 } });
      for (const q of Object.values(report.queues)) expect(q).toMatchObject({ failed: 0, waiting: 0 });
      const human = await gazette('status');
      expect(human.stdout).toContain(
        `  last:    ${id} at 2026-11-24 07:00 Asia/Seoul: dispatched, 2 readers: 2 dispatched, 0 skipped`,
      );
      expect(human.stdout).toMatch(/^ {2}readers: 2 \(2 confirmed, 0 pending, 0 unsubscribed, 0 bounced\)$/m);
      expect(human.stdout).toContain('Briefings: 2; quarantine: 1 documents; suppression list: 0 addresses');
    });

    it('preview writes beside the outbox, never into the working directory, and prints where', async () => {
      const edition = (await lastEdition()) ?? '';
      const r = await gazette('preview', '--list', 'korea-daily', '--edition', edition);
      expect(r.code, r.stderr).toBe(0);
      const file = r.stdout.trim().split('\n').at(-1) ?? '';
      expect(path.dirname(file)).toBe(path.join(dir, 'outbox'));
      expect(existsSync(file)).toBe(true);
      expect(existsSync(path.join(ROOT, 'preview.html'))).toBe(false);
      const out = path.join(dir, 'mine.html');
      const chosen = await gazette(
        'preview',
        '--list',
        'korea-daily',
        '--reader',
        'linus@example.com',
        '--edition',
        edition,
        '--out',
        out,
      );
      expect(chosen.stdout.trim().split('\n').at(-1)).toBe(out);
      expectOneLine(
        await gazette('preview', '--list', 'korea-daily', '--reader', 'zed@example.com'),
        2,
        /no reader with address/,
      );
      expectOneLine(
        await gazette('preview', '--list', 'korea-daily', '--edition', 'nope'),
        2,
        /unknown edition "nope"/,
      );
      // A place that cannot hold a file is refused at once, not waited on.
      const r2 = await gazette(
        'preview',
        '--list',
        'korea-daily',
        '--edition',
        edition,
        '--out',
        '/proc/gazette/x.html',
      );
      expect(r2.code, r2.stderr).not.toBe(0);
      expect(r2.stderr).toMatch(/^gazette: .*\/proc\/gazette/m);
      expect(r2.stderr).not.toMatch(STACK);
    });
  });

  /** The newest edition of the sample list, as `editions` keeps them. */
  async function lastEdition(): Promise<string | undefined> {
    const client = redis.connect();
    return (await client.zrevrange(keys(redis.prefix).listEditions('korea-daily'), 0, 0))[0];
  }
});
