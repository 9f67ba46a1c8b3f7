/**
 * `gazette import` on a folder of good and bad documents, then `gazette quarantine` and
 * `gazette status`, all as child processes; the stored briefings are read back through a container.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefingId } from '../../src/briefings/briefing.js';
import type { Container } from '../../src/container.js';
import { type CliResult, runCli } from '../support/cli.js';
import { ROOT, startGazette, TEST_SECRET } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const SEED_TITLE = 'Korea and China discuss latter’s export restrictions signaling diplomatic thaw';

/** A minimal WordPress post that parses. */
function post(id: number, title: string | undefined, fields: Record<string, unknown> = {}) {
  return {
    id,
    date_gmt: '2026-11-20T09:00:00',
    modified_gmt: '2026-11-20T09:30:00',
    status: 'publish',
    link: `https://koreapro.example/2026/11/${id}/`,
    ...(title === undefined ? {} : { title: { rendered: title } }),
    content: { rendered: '<p>Seoul and Beijing met again.</p><h2>Why it matters</h2><p>Trade.</p>' },
    ...fields,
  };
}

/** Bytes that look random but are the same on every run (so the test is too). */
function noise(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** `gazette quarantine` lines: `<at>  <id>  <source>  <origin>` then `  <code>: <reason>`. */
function parseQuarantine(stdout: string): { origin: string; code: string; reason: string }[] {
  const lines = stdout.trimEnd().split('\n');
  const entries = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = /^\S+ {2}[0-9a-f]{16} {2}import {2}(.+)$/.exec(lines[i] ?? '');
    const detail = /^ {2}([A-Z_]+): (.+)$/.exec(lines[i + 1] ?? '');
    if (!head?.[1] || !detail?.[1] || !detail[2]) throw new Error(`unexpected quarantine output:\n${stdout}`);
    entries.push({ origin: head[1], code: detail[1], reason: detail[2] });
  }
  return entries;
}

describe('importing a folder with bad documents', () => {
  const redis = testRedis('quarantine');
  let dir: string;
  let outbox: string;
  let sink: SmtpSink;
  let gazette: Container;
  let env: Record<string, string>;
  let firstImport: CliResult;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-import-'));
    outbox = await mkdtemp(path.join(tmpdir(), 'gazette-import-outbox-'));
    await copyFile(path.join(ROOT, 'sample/briefings/000_2154cd5311bbae3c.txt'), path.join(dir, '01-seed.txt'));
    await writeFile(path.join(dir, '02-oops.html'), '<html>oops</html>');
    await writeFile(path.join(dir, '03-noise.bin'), noise(512));
    await writeFile(path.join(dir, '04-untitled.json'), JSON.stringify(post(9001, undefined)));
    await writeFile(
      path.join(dir, '05-array.json'),
      JSON.stringify([post(9002, 'Seoul and Beijing agree on a hotline'), post(9003, 'No link here', { link: 'n/a' })]),
    );
    env = {
      GAZETTE_ENV: 'test',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      SECRET: TEST_SECRET,
      GAZETTE_CONFIG: 'sample/gazette.json',
      MAIL_TRANSPORT: `outbox:${outbox}`,
      LOG_LEVEL: 'info',
    };
    sink = await startSmtpSink();
    gazette = await startGazette(redis, sink);
    firstImport = await runCli(['import', dir], env);
  });

  afterAll(async () => {
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
    await rm(dir, { recursive: true, force: true });
    await rm(outbox, { recursive: true, force: true });
  });

  it('imports the good posts and counts the bad ones as quarantined', () => {
    expect(firstImport.code, firstImport.stderr).toBe(0);
    expect(firstImport.stdout).toContain('2 new, 0 updated, 0 unchanged, 4 quarantined');
    expect(firstImport.stdout).toContain('See them with: gazette quarantine');
  });

  it('stores the good posts as briefings', async () => {
    const seed = await gazette.services.briefings.get(briefingId('import', '2202126'));
    expect(seed).toMatchObject({ source: 'import', title: SEED_TITLE, published: true });
    const fromArray = await gazette.services.briefings.get(briefingId('import', '9002'));
    expect(fromArray).toMatchObject({ title: 'Seoul and Beijing agree on a hotline', lead: expect.any(String) });
    expect(await gazette.services.briefings.get(briefingId('import', '9001'))).toBeNull();
    expect(await gazette.services.briefings.get(briefingId('import', '9003'))).toBeNull();
    expect(await gazette.services.briefings.count()).toBe(2);
  });

  it('lists every bad document with its file and a readable reason', async () => {
    const result = await runCli(['quarantine'], env);
    expect(result.code, result.stderr).toBe(0);
    const entries = parseQuarantine(result.stdout);
    const byOrigin = new Map(entries.map((e) => [path.relative(dir, e.origin), e]));
    expect([...byOrigin.keys()].sort()).toEqual([
      '02-oops.html',
      '03-noise.bin',
      '04-untitled.json',
      '05-array.json#1',
    ]);
    expect(byOrigin.get('02-oops.html')).toMatchObject({ code: 'DOCUMENT_UNREADABLE', reason: /not JSON/ });
    expect(byOrigin.get('03-noise.bin')).toMatchObject({ code: 'DOCUMENT_UNREADABLE', reason: /not JSON/ });
    expect(byOrigin.get('04-untitled.json')).toMatchObject({
      code: 'DOCUMENT_INVALID',
      reason: 'missing field "title.rendered"',
    });
    expect(byOrigin.get('05-array.json#1')).toMatchObject({ code: 'DOCUMENT_INVALID', reason: /"link"/ });
  });

  it('reports the good ones unchanged on a second import and keeps one quarantine entry per document', async () => {
    const again = await runCli(['import', dir], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 new, 0 updated, 2 unchanged, 4 quarantined');
    const listed = await runCli(['quarantine'], env);
    expect(parseQuarantine(listed.stdout)).toHaveLength(4);
    expect(await gazette.services.quarantine.list(100)).toHaveLength(4);
    expect(await gazette.services.briefings.count()).toBe(2);
    // Met by both imports: each entry counts 2.
    expect((await gazette.services.quarantine.list(100)).map((d) => d.times)).toEqual([2, 2, 2, 2]);
  });

  it('counts every meeting of a document, also when runs quarantine it at the same moment', async () => {
    const q = gazette.services.quarantine;
    const entry = { source: 'race', origin: 'race.json', documentId: '77', code: 'PARSE', reason: 'r', excerpt: '"x"' };
    const added = await Promise.all(Array.from({ length: 20 }, () => q.add(entry)));
    expect(added.map((d) => d.times).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const stored = (await q.list(100)).find((d) => d.source === 'race');
    expect(stored).toMatchObject({ ...entry, times: 20 });
    expect(await q.remove(stored?.id ?? '')).toBe(true);
  });

  it('shows queue counts and the quarantine size in status', async () => {
    const result = await runCli(['status'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ {2}queue +waiting +active +delayed +children +completed +failed$/m);
    for (const queue of ['collect', 'editions', 'delivery']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${queue} +0 +0 +0 +0 +0 +0$`, 'm'));
    }
    expect(result.stdout).toMatch(/^ {2}last: +no editions yet$/m);
    expect(result.stdout).toContain('Briefings: 2; quarantine: 4 documents; suppression list: 0 addresses');
  });

  it('retries quarantined documents after a fix: the fixed one is read, the others stay with their reasons', async () => {
    await writeFile(path.join(dir, '04-untitled.json'), JSON.stringify(post(9001, 'Fixed at last')));
    const retried = await runCli(['quarantine', 'retry', '--all'], env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout.trim()).toBe('4 retried: 1 now read, 3 still quarantined');
    expect((await gazette.services.briefings.get(briefingId('import', '9001')))?.title).toBe('Fixed at last');
    const left = await gazette.services.quarantine.list(100);
    expect(left.map((d) => path.basename(d.origin)).sort()).toEqual([
      '02-oops.html',
      '03-noise.bin',
      '05-array.json#1',
    ]);
  });

  it('refuses to retry an id that is not in the quarantine', async () => {
    const result = await runCli(['quarantine', 'retry', 'ffffffffffffffff'], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('gazette: not in the quarantine: ffffffffffffffff');
  });
});
