/**
 * An in-process SMTP sink for tests (smtp-server on 127.0.0.1, port 0) that keeps every accepted
 * message, parsed with mailparser, and can inject faults: recipient rejections, DATA failures,
 * dropped connections and slow answers. Clients must use nodemailer's `ignoreTLS: true`.
 */
import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerError, type SMTPServerSession } from 'smtp-server';

/** A message the sink accepted (answered 250 to). */
export interface SinkMessage {
  /** Envelope sender (`''` for the null sender). */
  readonly from: string;
  /** Envelope recipients, in RCPT TO order. */
  readonly to: readonly string[];
  /** When the end of DATA arrived (ms since the epoch). */
  readonly receivedAt: number;
  /** The message exactly as received. */
  readonly raw: Buffer;
  /** The message parsed by mailparser's `simpleParser`. */
  readonly parsed: ParsedMail;
}

/** An SMTP reply to inject: a 4xx (transient) or 5xx (permanent) code and its text. */
export interface SinkReply {
  readonly code: number;
  readonly message: string;
}

/** A running sink; see {@link startSmtpSink}. */
export interface SmtpSink {
  /** `smtp://127.0.0.1:PORT`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Accepted messages, oldest first. A message is here before its client sees the 250. */
  readonly messages: SinkMessage[];
  /** Answers RCPT TO for `address` (case-insensitive) with `code` and `message`, until `reset()`. */
  rejectRecipient(address: string, code: number, message: string): void;
  /**
   * Answers every greeting, AUTH or MAIL FROM with `reply` (a 4xx or 5xx) until `reset()`, or
   * until called again with `null`.
   */
  refuseAt(stage: 'greeting' | 'auth' | 'mail', reply: SinkReply | null): void;
  /** Answers the next `n` MAIL FROM commands with `reply` (then as before). */
  refuseNextMail(n: number, reply: SinkReply): void;
  /** Answers the next `n` messages at the end of DATA with `reply` instead of 250. */
  failNext(n: number, reply: SinkReply): void;
  /** Destroys the socket as soon as the next `n` messages start arriving in DATA. */
  dropNext(n: number): void;
  /** Waits `ms` before answering every following DATA (0 turns it off). */
  delay(ms: number): void;
  /**
   * Resolves with `messages` once at least `count` have been accepted.
   * @param options.timeoutMs - rejects after this long; @defaultValue 10_000
   */
  waitFor(count: number, options?: { timeoutMs?: number }): Promise<SinkMessage[]>;
  /** Forgets messages and every fault rule. */
  reset(): void;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

/** Builds an error smtp-server turns into the given SMTP reply. */
function replyError(reply: SinkReply): SMTPServerError {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

/** Starts a sink on 127.0.0.1 on a free port. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const events = new EventEmitter();
  const rejections = new Map<string, SinkReply>();
  const failures: SinkReply[] = [];
  const mailFailures: SinkReply[] = [];
  let drops = 0;
  let delayMs = 0;
  const refusals = new Map<'greeting' | 'auth' | 'mail', SinkReply>();
  const refusal = (stage: 'greeting' | 'auth' | 'mail') => {
    const reply = refusals.get(stage);
    return reply ? replyError(reply) : null;
  };

  async function onData(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    if (drops > 0) {
      drops--;
      const connection = [...server.connections].find((c) => c.id === session.id);
      await once(stream, 'data');
      connection?._socket.destroy();
      stream.resume();
      throw new Error('connection dropped by the sink');
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (stream.sizeExceeded) throw replyError({ code: 552, message: 'Message exceeds fixed maximum message size' });
    const failure = failures.shift();
    if (failure) throw replyError(failure);
    const raw = Buffer.concat(chunks);
    const receivedAt = Date.now();
    const { mailFrom, rcptTo } = session.envelope;
    const message: SinkMessage = {
      receivedAt,
      from: mailFrom ? mailFrom.address : '',
      to: rcptTo.map((r) => r.address),
      raw,
      parsed: await simpleParser(raw),
    };
    messages.push(message);
    events.emit('message');
  }

  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    size: 10 * 1024 * 1024,
    logger: false,
    disableReverseLookup: true,
    onConnect(_session, callback) {
      callback(refusal('greeting'));
    },
    onAuth(auth, _session, callback) {
      const err = refusal('auth');
      callback(err, err ? undefined : { user: auth.username ?? 'test' });
    },
    onMailFrom(_address, _session, callback) {
      const once = mailFailures.shift();
      callback(once ? replyError(once) : refusal('mail'));
    },
    onRcptTo(address, _session, callback) {
      const reply = rejections.get(address.address.toLowerCase());
      callback(reply ? replyError(reply) : null);
    },
    onData(stream, session, callback) {
      onData(stream, session).then(() => callback(), callback);
    },
  });
  // Dropped and reset sockets surface here; they are the point of some tests, not failures.
  server.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const host = '127.0.0.1';

  return {
    url: `smtp://${host}:${port}`,
    host,
    port,
    messages,
    rejectRecipient(address, code, message) {
      rejections.set(address.toLowerCase(), { code, message });
    },
    refuseAt(stage, reply) {
      if (reply) refusals.set(stage, reply);
      else refusals.delete(stage);
    },
    refuseNextMail(n, reply) {
      for (let i = 0; i < n; i++) mailFailures.push(reply);
    },
    failNext(n, reply) {
      for (let i = 0; i < n; i++) failures.push(reply);
    },
    dropNext(n) {
      drops += n;
    },
    delay(ms) {
      delayMs = ms;
    },
    waitFor(count, { timeoutMs = 10_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (messages.length < count) return;
          clearTimeout(timer);
          events.off('message', check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          events.off('message', check);
          reject(new Error(`SMTP sink: expected ${count} message(s), got ${messages.length} after ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('message', check);
        check();
      });
    },
    reset() {
      messages.length = 0;
      rejections.clear();
      refusals.clear();
      failures.length = 0;
      mailFailures.length = 0;
      drops = 0;
      delayMs = 0;
    },
    async close() {
      for (const connection of server.connections) connection._socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
