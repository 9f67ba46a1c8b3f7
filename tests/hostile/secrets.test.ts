/**
 * After a full run (collect, readers subscribing and confirming over HTTP, an edition sent over
 * SMTP with AUTH and DKIM), no secret is anywhere in Redis or the logs: not the SMTP password,
 * any line of the DKIM private key, the token key, nor any link token issued during the run.
 * And every BullMQ job's data is small (≤ 2 KB) and holds ids, never addresses.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import { loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import { type App, buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { loadPublication } from '../../src/publication.js';
import { SAMPLE_PUBLICATION, seedSample } from '../support/gazette.js';
import { dumpNamespace, testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const AT = new Date('2026-11-24T01:00:00Z');
const distinctive = (label: string) => `${label}${randomBytes(18).toString('base64url')}`;
const SMTP_PASSWORD = distinctive('smtpPw');
const SECRET = distinctive('tokenKey-').padEnd(40, 'Q');
const ADMIN_TOKEN = distinctive('admin-').padEnd(32, 'Q');
const ADDRESS = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+/;

describe('secrets after a full run', () => {
  const redis = testRedis('hostile-secrets');
  let sink: SmtpSink;
  let gazette: Container;
  let app: App;
  let dir = '';
  let logs = '';
  let pem = '';

  beforeAll(async () => {
    sink = await startSmtpSink();
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-secrets-'));
    pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    await writeFile(path.join(dir, 'dkim.pem'), pem);
    const config = loadConfig({
      GAZETTE_ENV: 'test',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      MAIL_TRANSPORT: `smtp://gazette:${SMTP_PASSWORD}@${sink.host}:${sink.port}?ignoreTLS=true`,
      PUBLIC_URL: 'https://news.example',
      SECRET,
      ADMIN_TOKEN,
      DKIM_DOMAIN: 'news.example',
      DKIM_SELECTOR: 'gz1',
      DKIM_PRIVATE_KEY_FILE: path.join(dir, 'dkim.pem'),
      GAZETTE_CONFIG: SAMPLE_PUBLICATION,
    });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    const log = createLogger('debug', { destination });
    gazette = await createContainer(config, await loadPublication(config.publicationFile), log);
    app = await buildApp(gazette.services, log, { subscribePerIpPerMinute: 1000 });
    await app.ready();
    gazette.startWorkers();
  });
  afterAll(async () => {
    await app?.close();
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leave no password, key or token in Redis or the logs, and job data holds only small id payloads', async () => {
    await seedSample(gazette);
    // Readers subscribe and confirm over HTTP; the confirm links arrive by SMTP.
    const newcomers = ['newcomer-1@example.org', 'newcomer-2@example.org'];
    for (const email of newcomers) {
      const res = await app.inject({ method: 'POST', url: '/subscribe', payload: { email, list: 'korea-daily' } });
      expect(res.statusCode).toBe(202);
    }
    await sink.waitFor(newcomers.length, { timeoutMs: 20_000 });
    for (const m of sink.messages) {
      const token = /\/confirm\/([A-Za-z0-9_.-]+)/.exec(m.parsed.text ?? '')?.[1];
      expect(token).toBeDefined();
      const res = await app.inject({ method: 'GET', url: `/confirm/${token}` });
      expect(res.statusCode).toBe(200);
      const prefs = /\/preferences\/([A-Za-z0-9_.-]+)/.exec(res.body)?.[1];
      if (prefs) expect((await app.inject({ method: 'GET', url: `/preferences/${prefs}` })).statusCode).toBe(200);
    }
    const before = sink.messages.length;
    const run = await runEdition(gazette.services, 'korea-daily', AT);
    expect(run.status).toBe('dispatched');
    await sink.waitFor(before + 1, { timeoutMs: 20_000 });
    const digests = sink.messages.slice(before);
    expect(digests.some((m) => m.raw.includes('DKIM-Signature'))).toBe(true);

    // Every token issued in the run: in mail bodies, headers, and the pages served.
    const everything = sink.messages.map((m) => `${m.raw}\n${m.parsed.html || ''}\n${m.parsed.text ?? ''}`).join('\n');
    const tokens = new Set(
      [...everything.matchAll(/\/(?:confirm|preferences|unsubscribe)\/([A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,})/g)].map(
        (m) => m[1] as string,
      ),
    );
    expect(tokens.size).toBeGreaterThan(newcomers.length);

    const client = redis.connect();
    const dump = await dumpNamespace(client, redis.prefix);
    const keyLines = pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
    const needles: Array<[string, string]> = [
      ['SMTP password', SMTP_PASSWORD],
      ['token key', SECRET],
      ['admin token', ADMIN_TOKEN],
      ...keyLines.map((l, i): [string, string] => [`DKIM key line ${i + 1}`, l]),
      ...[...tokens].flatMap(
        (t): Array<[string, string]> => [
          ['token', t],
          ['token signature', t.split('.')[1] as string],
        ],
      ),
    ];
    const hits = (hay: string) => needles.filter(([, n]) => hay.includes(n)).map(([what]) => what);
    expect(logs.length).toBeGreaterThan(1000);
    expect(hits(dump), 'in Redis').toEqual([]);
    expect(hits(logs), 'in the logs').toEqual([]);

    // BullMQ job hashes: `<prefix>:<queue>:<id>` with a `data` field.
    let jobs = 0;
    let largest = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${redis.prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        if ((await client.type(key)) !== 'hash') continue;
        const data = await client.hget(key, 'data');
        if (data === null) continue;
        jobs += 1;
        largest = Math.max(largest, Buffer.byteLength(data));
        expect(Buffer.byteLength(data), key).toBeLessThanOrEqual(2048);
        expect(data, key).not.toMatch(ADDRESS);
      }
    } while (cursor !== '0');
    console.log(
      `secrets: ${needles.length} needles (password, token key, admin token, ${keyLines.length} DKIM lines, ${tokens.size} tokens) searched in ${dump.length} chars of Redis and ${logs.length} chars of logs: 0 found; ${jobs} job hashes, largest data ${largest} bytes, 0 addresses`,
    );
    expect(jobs).toBeGreaterThan(3);
  }, 120_000);
});
