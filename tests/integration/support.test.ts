import { createTransport } from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

describe('testRedis', () => {
  const redis = testRedis('support');
  const other = testRedis('support-other');
  afterAll(() => other.cleanup());

  it('answers PING on the provided URL, never the default port', async () => {
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(redis.url).not.toContain(':6379');
    expect(await redis.connect().ping()).toBe('PONG');
  });

  it('gives every call its own hash-tagged prefix', () => {
    expect(redis.prefix).toMatch(/^\{t-support-[0-9a-f]+\}$/);
    expect(other.prefix).not.toBe(redis.prefix);
  });

  it('cleanup removes only keys under its prefix and quits its clients', async () => {
    const client = redis.connect();
    const outsider = other.connect();
    await client.set(`${redis.prefix}:a`, '1');
    await client.hset(`${redis.prefix}:b`, 'f', 'v');
    await outsider.set(`${other.prefix}:kept`, '1');

    await redis.cleanup();

    expect(client.status).not.toBe('ready');
    expect(await outsider.exists(`${redis.prefix}:a`, `${redis.prefix}:b`)).toBe(0);
    expect(await outsider.get(`${other.prefix}:kept`)).toBe('1');
  });
});

describe('startSmtpSink', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterEach(() => sink.reset());
  afterAll(() => sink.close());

  /** One transport per send: a failed connection must not leak into the next test. */
  function send(to: string | string[], subject = 'Hello') {
    const transport = createTransport({ host: sink.host, port: sink.port, ignoreTLS: true });
    return transport
      .sendMail({ from: 'desk@gazette.test', to, subject, text: 'Plain body', html: '<p>Rich <b>body</b></p>' })
      .finally(() => transport.close());
  }

  it('keeps and parses what nodemailer sends', async () => {
    expect(sink.url).toBe(`smtp://127.0.0.1:${sink.port}`);
    await send('reader@example.test', 'Morning edition');
    const [message] = await sink.waitFor(1);
    expect(message?.from).toBe('desk@gazette.test');
    expect(message?.to).toEqual(['reader@example.test']);
    expect(message?.raw.toString()).toContain('Subject: Morning edition');
    expect(message?.parsed.subject).toBe('Morning edition');
    expect(message?.parsed.text?.trim()).toBe('Plain body');
    expect(message?.parsed.html).toContain('<b>body</b>');
  });

  it('waitFor resolves on the event, and rejects on timeout', async () => {
    const waiting = sink.waitFor(2);
    await send('one@example.test');
    await send('two@example.test');
    expect((await waiting).map((m) => m.to[0])).toEqual(['one@example.test', 'two@example.test']);
    await expect(sink.waitFor(3, { timeoutMs: 50 })).rejects.toThrow(/expected 3 message\(s\), got 2/);
  });

  it('a 550 on a recipient reaches nodemailer as responseCode 550', async () => {
    sink.rejectRecipient('Gone@Example.test', 550, 'No such user');
    await expect(send('gone@example.test')).rejects.toMatchObject({ responseCode: 550 });
    expect(sink.messages).toHaveLength(0);
  });

  it('a 451 on a recipient reaches nodemailer as responseCode 451', async () => {
    sink.rejectRecipient('busy@example.test', 451, 'Try again later');
    await expect(send('busy@example.test')).rejects.toMatchObject({ responseCode: 451 });
  });

  it('failNext answers DATA with the given code, then accepts again', async () => {
    sink.failNext(1, { code: 554, message: 'Rejected as spam' });
    await expect(send('reader@example.test')).rejects.toMatchObject({ responseCode: 554 });
    await send('reader@example.test');
    expect(sink.messages).toHaveLength(1);
  });

  it('dropNext fails the send with a connection error', async () => {
    sink.dropNext(1);
    const error = await send('reader@example.test').then(
      () => null,
      (err: unknown) => err as { code?: string; responseCode?: number },
    );
    expect(error?.code).toMatch(/^(ECONNECTION|ESOCKET|ECONNRESET)$/);
    expect(error?.responseCode).toBeUndefined();
    expect(sink.messages).toHaveLength(0);
    await send('reader@example.test');
    expect(sink.messages).toHaveLength(1);
  });

  it('delay holds the DATA answer back', async () => {
    sink.delay(200);
    const started = performance.now();
    await send('reader@example.test');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });
});
