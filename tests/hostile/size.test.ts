/**
 * Oversized bodies over a real socket: a 50 MB Content-Length on every POST route is answered
 * 413 at once, without the server reading the body (the client stops well short of 50 MB).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSample } from '../support/gazette.js';
import { ADMIN, startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const DECLARED = 50 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

interface Answer {
  status: number;
  sent: number;
  ms: number;
  closed: boolean;
}

/** Sends a request head declaring 50 MB, then body chunks until the server answers; never more than 50 MB. */
function postHuge(port: number, path: string, type: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let sent = 0;
    let answer = '';
    let status = 0;
    const finish = (closed: boolean) => {
      socket.destroy();
      resolve({ status, sent, ms: Math.round(performance.now() - started), closed });
    };
    const pump = () => {
      while (status === 0 && sent < DECLARED) {
        sent += CHUNK.length;
        if (!socket.write(CHUNK)) return void socket.once('drain', pump);
      }
    };
    socket.on('connect', () => {
      const extra = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${type}\r\nContent-Length: ${DECLARED}\r\n${extra}\r\n`,
      );
      pump();
    });
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (m && status === 0) status = Number(m[1]);
      if (status && answer.includes('\r\n\r\n')) finish(false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(true);
      else reject(err);
    });
    socket.on('close', () => finish(true));
  });
}

describe('50 MB bodies', () => {
  const redis = testRedis('hostile-size');
  let sink: SmtpSink;
  let t: TestApp;
  let port = 0;
  let ids: Map<string, string>;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink);
    ids = await seedSample(t.gazette);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(address).port);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('get 413 on every POST route before the body is read', async () => {
    const reader = ids.get('linus@example.com') ?? '';
    const prefs = t.gazette.services.tokens.issue(reader, 'korea-daily', 'preferences', 3600);
    const unsub = t.gazette.services.tokens.issue(reader, 'korea-daily', 'unsubscribe', 3600);
    const auth = { Authorization: `Bearer ${ADMIN}` };
    const cases: Array<[string, string, Record<string, string>?]> = [
      ['/subscribe', 'application/x-www-form-urlencoded'],
      ['/subscribe', 'application/json'],
      ['/subscribe', 'multipart/form-data; boundary=xyz'],
      [`/preferences/${prefs}`, 'application/x-www-form-urlencoded'],
      [`/unsubscribe/${unsub}`, 'application/x-www-form-urlencoded'],
      ['/api/readers', 'application/json', auth],
      ['/api/suppression', 'application/json', auth],
      ['/api/lists/korea-daily/import', 'text/csv', auth],
      ['/api/lists/korea-daily/import', 'multipart/form-data; boundary=xyz', auth],
    ];
    for (const [path, type, headers] of cases) {
      const a = await postHuge(port, path, type, headers);
      console.log(
        `size: 50 MB declared to ${path.replace(/[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]+/, ':token')} (${type.split(';')[0]}) → ${a.status || 'no answer'} in ${a.ms} ms, ${(a.sent / 1024 / 1024).toFixed(1)} MB written${a.closed ? ', connection closed' : ''}`,
      );
      expect(a.status, path).toBe(413);
      expect(a.ms, path).toBeLessThan(5_000);
      expect(a.sent, path).toBeLessThan(DECLARED / 2);
    }
    // The server is still healthy afterwards.
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  }, 120_000);
});
