/**
 * `gazette demo` as a newcomer runs it: a child process against the test Redis, writing to a
 * temporary outbox. Then without any Redis: a clear one-line error when redis-server is not on
 * PATH either, and a private redis-server when it is.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_READERS } from '../../src/cli/demo.js';
import { freePort } from '../../src/store/private-redis.js';
import { pingRedis } from '../../src/store/redis.js';
import { type CliResult, runCli, spawnCli } from '../support/cli.js';
import { TEST_SECRET } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';

const TITLE_1 = 'Korea and China discuss latter’s export restrictions signaling diplomatic thaw';
const TITLE_2 = 'ROK-Shandong meeting signals Seoul’s intent to improve ties with China';
/** Grace follows only North Korea, which neither sample briefing is about: she gets no email. */
const WITH_NEWS = SAMPLE_READERS.filter((r) => r.email !== 'grace@example.com').map((r) => r.email);

const DEMO_TIMEOUT = 60_000;

function demoEnv(redisUrl: string, prefix: string, outbox: string): Record<string, string> {
  return {
    GAZETTE_ENV: 'test',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    SECRET: TEST_SECRET,
    MAIL_TRANSPORT: `outbox:${outbox}`,
  };
}

/** The path printed after `label` on stdout. */
function printedPath(result: CliResult, label: string): string {
  const line = result.stdout.split('\n').find((l) => l.startsWith(label));
  if (!line) throw new Error(`stdout has no "${label}" line:\n${result.stdout}`);
  return line.slice(label.length).trim();
}

async function emlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.eml')).map((f) => path.join(dir, f));
}

/** A header's value as written, unfolded; undefined when absent. */
function header(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line
    ?.slice(line.indexOf(':') + 1)
    .replace(/\r?\n\s+/g, ' ')
    .trim();
}

/** A Redis URL where nothing listens (a port just freed by the OS, never 6379). */
async function closedRedisUrl(): Promise<string> {
  return `redis://127.0.0.1:${await freePort()}`;
}

describe('gazette demo', () => {
  const redis = testRedis('demo');
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'gazette-demo-test-'));
  });

  afterAll(async () => {
    await redis.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  describe('against a running Redis', () => {
    let outbox: string;
    let first: CliResult;
    const emailDir = () => printedPath(first, 'Emails (.eml, one per reader):');

    beforeAll(async () => {
      outbox = path.join(tmp, 'outbox');
      first = await runCli(['demo'], demoEnv(redis.url, redis.prefix, outbox), { timeoutMs: DEMO_TIMEOUT });
    }, DEMO_TIMEOUT);

    it('exits 0 and names the outbox folder and the preview, which exist', () => {
      expect(first.code, first.stderr).toBe(0);
      expect(path.dirname(emailDir())).toBe(outbox);
      expect(existsSync(emailDir())).toBe(true);
      const preview = printedPath(first, 'HTML preview of the whole edition:');
      expect(path.dirname(preview)).toBe(outbox);
      expect(preview).toMatch(/preview-korea-daily-\d{8}T\d{6}Z\.html$/);
      expect(existsSync(preview)).toBe(true);
    });

    it('writes one parseable email per reader with news, with both parts and unsubscribe headers', async () => {
      const files = await emlFiles(emailDir());
      expect(files).toHaveLength(3);
      const recipients: string[] = [];
      for (const file of files) {
        const mail = await simpleParser(await readFile(file));
        expect(mail.html, file).toBeTruthy();
        expect(mail.text, file).toBeTruthy();
        expect(header(mail, 'List-Unsubscribe'), file).toMatch(/^<https?:\/\/\S+\/unsubscribe\/\S+>, <mailto:\S+>$/);
        expect(header(mail, 'List-Unsubscribe-Post'), file).toBe('List-Unsubscribe=One-Click');
        recipients.push(...(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address ?? '') : []));
      }
      expect(recipients.sort()).toEqual([...WITH_NEWS].sort());
      // Named by address, so a person finds a reader's copy.
      expect(files.map((f) => path.basename(f)).sort()).toEqual(
        WITH_NEWS.map((e) => `${e.replace(/[@.]/g, '-')}.eml`).sort(),
      );
    });

    it('says which reader was skipped, and why', () => {
      expect(first.stdout).toContain(
        'Skipped Grace (grace@example.com, follows north-korea): nothing new in the topics they follow',
      );
      expect(first.stdout).not.toMatch(/Skipped (Ada|Linus|Min-ji)/);
    });

    it('prints the settings line that points other commands at its data: `status` then sees its edition', async () => {
      const line = first.stdout.split('\n').find((l) => l.trim().startsWith('export '));
      expect(line, first.stdout).toBeDefined();
      expect(line).not.toContain(TEST_SECRET);
      const settings = Object.fromEntries(
        [...(line ?? '').matchAll(/([A-Z_]+)=('([^']*)'|(\S+))/g)].map((m) => [m[1], m[3] ?? m[4]]),
      );
      expect(settings).toMatchObject({ REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, GAZETTE_ENV: 'test' });
      const status = await runCli(['status', '--json'], { SECRET: TEST_SECRET, ...settings });
      expect(status.code, status.stderr).toBe(0);
      const report = JSON.parse(status.stdout) as { lists: Array<{ id: string; last: { id: string } | null }> };
      expect(report.lists[0]?.last?.id).toBe(path.basename(emailDir()));
    });

    it('previews the whole edition with both sample briefings', async () => {
      const html = await readFile(printedPath(first, 'HTML preview of the whole edition:'), 'utf8');
      expect(html).toContain(TITLE_1);
      expect(html).toContain(TITLE_2);
    });

    it('prints a sample reader’s preferences URL that `gazette api`, started as it says, serves', async () => {
      const url = new URL(printedPath(first, 'Preferences page of Ada (ada@example.com):'));
      expect(url.pathname).toMatch(/^\/preferences\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(first.stdout).toContain('npm run gazette -- api    with the settings below');
      expect(first.stdout).toContain('npm run demo -- --serve');
      const port = await freePort();
      const api = spawnCli(['api'], {
        ...demoEnv(redis.url, redis.prefix, outbox),
        PORT: String(port),
        LOG_LEVEL: 'info',
      });
      try {
        // The api applies the schedules too (compose runs only api + workers): one per list.
        const applied = await api.waitForLog((l) => l.event === 'schedulers.applied', 30_000);
        expect(applied.schedulers).toContain('edition-korea-daily');
        await api.waitForLog((l) => l.event === 'http.listening', 30_000);
        const res = await fetch(`http://127.0.0.1:${port}${url.pathname}`);
        const html = await res.text();
        expect(res.status, html).toBe(200);
        expect(html).toContain('Your preferences');
        expect(html).toContain('Receive Korea Pro Daily');
        // Ada follows every topic: all boxes are checked.
        expect(html.match(/name="topics\.korea-daily" value="[a-z-]+" checked/g)).toHaveLength(5);
      } finally {
        await api.stop();
      }
    }, 60_000);

    it(
      'sends nothing twice when run again',
      async () => {
        const again = await runCli(['demo'], demoEnv(redis.url, redis.prefix, outbox), { timeoutMs: DEMO_TIMEOUT });
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toMatch(/already planned and sent before: nothing sent twice/);
        expect(again.stdout).toContain('Collected from sample: 0 new, 0 updated, 2 unchanged, 0 quarantined');
        expect(await emlFiles(emailDir())).toHaveLength(3);
      },
      DEMO_TIMEOUT,
    );
  });

  describe('without a Redis at REDIS_URL', () => {
    it(
      'fails with one clear line when redis-server is not on PATH either',
      async () => {
        // PATH holds only `node`: no redis-server to fall back on.
        const bin = path.join(tmp, 'bin-node-only');
        await mkdir(bin);
        await symlink(process.execPath, path.join(bin, 'node'));
        const result = await runCli(
          ['demo'],
          { ...demoEnv(await closedRedisUrl(), redis.prefix, path.join(tmp, 'unused-outbox')), PATH: bin },
          { timeoutMs: DEMO_TIMEOUT },
        );
        expect(result.code).not.toBe(0);
        expect(result.code).not.toBeNull();
        const lines = result.stderr.trim().split('\n');
        expect(lines, result.stderr).toHaveLength(1);
        expect(lines[0]).toContain('REDIS_URL');
        expect(lines[0]).toContain('redis-server');
        expect(result.stderr).not.toMatch(/^\s+at /m);
        expect(existsSync(path.join(tmp, 'unused-outbox'))).toBe(false);
      },
      DEMO_TIMEOUT,
    );

    it(
      'starts a private redis-server from PATH and runs the whole demo on it',
      async () => {
        const outbox = path.join(tmp, 'private-outbox');
        const result = await runCli(['demo'], demoEnv(await closedRedisUrl(), redis.prefix, outbox), {
          timeoutMs: DEMO_TIMEOUT,
        });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain('started a private redis-server');
        expect(result.stdout).toContain('Collected from sample: 2 new');
        expect(await emlFiles(printedPath(result, 'Emails (.eml, one per reader):'))).toHaveLength(3);
        // A private Redis is gone after the demo: only `--serve` can open the links, and only it is offered.
        expect(result.stdout).toContain('npm run demo -- --serve');
        expect(result.stdout).not.toContain('npm run gazette -- api');
        expect(result.stdout).not.toContain('export ');
        // Run again on a new private Redis: everything is sent again, so the earlier emails go first.
        const again = await runCli(['demo'], demoEnv(await closedRedisUrl(), redis.prefix, outbox), {
          timeoutMs: DEMO_TIMEOUT,
        });
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toContain(
          `Outbox: removed 3 email(s) and the previews of an earlier demo run from ${outbox}`,
        );
        expect(await emlFiles(printedPath(again, 'Emails (.eml, one per reader):'))).toHaveLength(3);
      },
      DEMO_TIMEOUT,
    );

    it(
      '--serve keeps the app running on the private Redis: the printed preferences URL opens; SIGINT stops both',
      async () => {
        const port = await freePort();
        const demo = spawnCli(['demo', '--serve'], {
          ...demoEnv(await closedRedisUrl(), redis.prefix, path.join(tmp, 'serve-outbox')),
          PORT: String(port),
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          LOG_LEVEL: 'info',
        });
        try {
          await demo.waitForLog((l) => l.event === 'http.listening', DEMO_TIMEOUT);
          const stdout = demo.stdout();
          const line = stdout.split('\n').find((l) => l.startsWith('Preferences page of Ada'));
          const url = line?.slice(line.indexOf('http'));
          expect(url, stdout).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/preferences/`));
          const res = await fetch(url ?? '');
          expect(res.status).toBe(200);
          expect(await res.text()).toContain('Your preferences');
          const privateUrl = /started a private redis-server at (redis:\/\/\S+)/.exec(stdout)?.[1] ?? '';
          await pingRedis(privateUrl);
          demo.child.kill('SIGINT');
          const result = await demo.exited(30_000);
          expect(result.code, result.stderr).toBe(0);
          await expect(pingRedis(privateUrl)).rejects.toThrow();
        } finally {
          await demo.stop();
        }
      },
      DEMO_TIMEOUT * 2,
    );
  });
});
