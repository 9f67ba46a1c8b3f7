import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dkimVerify } from 'mailauth';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMailer, MailError, type OutgoingMessage } from '../../src/delivery/mailer.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

function message(to: string, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { name: 'Korea Pro Daily', address: 'daily@koreapro.example' },
    to,
    subject: 'Korea Pro Daily · 24 Nov 2026',
    html: '<p>Hello</p>',
    text: 'Hello',
    messageId: '<ed-1.r1@koreapro.example>',
    list: { id: 'korea-daily.koreapro.example', name: 'Korea Pro Daily' },
    unsubscribe: {
      https: 'https://news.example/unsubscribe/tok',
      mailto: 'mailto:unsubscribe@koreapro.example?subject=unsubscribe%20tok',
    },
    outboxName: 'ed-1/r1',
    ...overrides,
  };
}

describe('the SMTP mailer', () => {
  let sink: SmtpSink;
  let dir: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-mailer-'));
  });
  beforeEach(() => sink.reset());
  afterAll(async () => {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('DKIM-signs messages, List-Unsubscribe-Post included, and the signature verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = path.join(dir, 'dkim.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const mailer = await createMailer(
      { kind: 'smtp', url: `${sink.url}?ignoreTLS=true` },
      {
        domainName: 'koreapro.example',
        keys: [{ algorithm: 'rsa-sha256', keySelector: 'gz', privateKeyFile: keyFile }],
      },
    );
    try {
      await mailer.send(message('ada@example.com'));
    } finally {
      await mailer.close();
    }
    const raw = sink.messages[0]?.raw;
    if (!raw) throw new Error('nothing received');
    const dns = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const resolver = async (name: string) => {
      if (name === 'gz._domainkey.koreapro.example') return [[`v=DKIM1; k=rsa; p=${dns}`]];
      throw Object.assign(new Error(`no TXT for ${name}`), { code: 'ENOTFOUND' });
    };
    const verified = await dkimVerify(raw, { resolver });
    // The runtime result also carries the signed header list, which the typings leave out.
    const result = verified.results[0] as (typeof verified.results)[number] & { signingHeaders?: { keys: string } };
    expect(result?.status.result).toBe('pass');
    const signed = result?.signingHeaders?.keys.toLowerCase().split(': ') ?? [];
    expect(signed).toEqual(expect.arrayContaining(['list-unsubscribe-post', 'list-unsubscribe', 'list-id', 'from']));
  });

  /** Real answers at their real stage: what the mailer reports, and what it means. */
  const table: Array<{
    stage: 'greeting' | 'auth' | 'mail' | 'rcpt' | 'data';
    code: number;
    text: string;
    verdict: string;
  }> = [
    { stage: 'greeting', code: 421, text: '4.3.2 Service not available, closing channel', verdict: 'transient' },
    { stage: 'greeting', code: 554, text: '5.7.1 No SMTP service here', verdict: 'edition-blocked' },
    { stage: 'greeting', code: 521, text: '5.3.2 Host does not accept mail', verdict: 'edition-blocked' },
    { stage: 'auth', code: 535, text: '5.7.8 Authentication credentials invalid', verdict: 'edition-blocked' },
    { stage: 'auth', code: 454, text: '4.7.0 Temporary authentication failure', verdict: 'transient' },
    { stage: 'mail', code: 553, text: '5.1.8 Sender address rejected', verdict: 'edition-blocked' },
    { stage: 'mail', code: 530, text: '5.7.0 Authentication required', verdict: 'edition-blocked' },
    { stage: 'mail', code: 452, text: '4.3.1 Insufficient system storage', verdict: 'transient' },
    { stage: 'mail', code: 552, text: '5.3.4 Message size exceeds fixed limit', verdict: 'edition-blocked' },
    { stage: 'mail', code: 554, text: '5.7.1 Sender blocked', verdict: 'edition-blocked' },
    { stage: 'rcpt', code: 550, text: '5.1.1 No such user', verdict: 'hard-bounce' },
    { stage: 'rcpt', code: 550, text: 'No such user', verdict: 'hard-bounce' },
    { stage: 'rcpt', code: 551, text: 'User not local', verdict: 'hard-bounce' },
    { stage: 'rcpt', code: 553, text: '5.1.3 Bad destination mailbox address syntax', verdict: 'hard-bounce' },
    { stage: 'rcpt', code: 550, text: '5.2.1 Mailbox disabled', verdict: 'hard-bounce' },
    { stage: 'rcpt', code: 550, text: '5.7.1 Blocked by policy (listed at a blocklist)', verdict: 'reader-rejected' },
    { stage: 'rcpt', code: 552, text: '5.2.2 Mailbox full', verdict: 'reader-rejected' },
    { stage: 'rcpt', code: 554, text: '5.7.1 Relay access denied', verdict: 'reader-rejected' },
    { stage: 'rcpt', code: 530, text: '5.7.0 Authentication required', verdict: 'edition-blocked' },
    { stage: 'rcpt', code: 450, text: '4.2.1 Mailbox busy, try later', verdict: 'transient' },
    { stage: 'rcpt', code: 451, text: '4.7.1 Greylisted, try again later', verdict: 'transient' },
    { stage: 'rcpt', code: 452, text: '4.5.3 Too many recipients', verdict: 'transient' },
    { stage: 'data', code: 554, text: '5.7.1 Message rejected as spam', verdict: 'edition-blocked' },
    { stage: 'data', code: 552, text: '5.3.4 Message too big', verdict: 'edition-blocked' },
    { stage: 'data', code: 550, text: '5.7.1 Content rejected', verdict: 'edition-blocked' },
    { stage: 'data', code: 451, text: '4.3.0 Local error in processing', verdict: 'transient' },
    { stage: 'data', code: 421, text: '4.7.0 Too many messages, slow down', verdict: 'transient' },
  ];

  it.each(table)('judges $code at $stage ($text) as $verdict', async ({ stage, code, text, verdict }) => {
    sink.reset();
    const auth = stage === 'auth' ? 'sender:wrong-password@' : '';
    const mailer = await createMailer({ kind: 'smtp', url: `${sink.url.replace('//', `//${auth}`)}?ignoreTLS=true` });
    try {
      const reply = { code, message: text };
      if (stage === 'rcpt') sink.rejectRecipient('reader@example.com', code, text);
      else if (stage === 'data') sink.failNext(1, reply);
      else sink.refuseAt(stage, reply);
      const err = await mailer.send(message('reader@example.com')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MailError);
      const enhanced = /^\d\.\d+\.\d+/.exec(text)?.[0];
      expect(err).toMatchObject({
        verdict,
        stage,
        responseCode: code,
        ...(enhanced ? { enhancedCode: enhanced } : {}),
      });
      // Server text (which may quote addresses) stays out of the message.
      expect((err as Error).message).not.toContain('reader@example.com');
      expect(sink.messages).toHaveLength(0);
    } finally {
      await mailer.close();
      sink.reset();
    }
  });

  it('judges a connection reset mid-DATA as no answer (the server, not the reader)', async () => {
    const mailer = await createMailer({ kind: 'smtp', url: `${sink.url}?ignoreTLS=true` });
    try {
      sink.dropNext(1);
      const err = await mailer.send(message('reader@example.com')).catch((e: unknown) => e);
      expect(err).toMatchObject({ verdict: 'no-answer' });
      expect((err as MailError).responseCode).toBeUndefined();
    } finally {
      await mailer.close();
      sink.reset();
    }
  });

  it('judges a refused connection (nothing listening) as no answer', async () => {
    const mailer = await createMailer({ kind: 'smtp', url: 'smtp://127.0.0.1:1?ignoreTLS=true' });
    try {
      const err = await mailer.send(message('reader@example.com')).catch((e: unknown) => e);
      expect(err).toMatchObject({ verdict: 'no-answer' });
    } finally {
      await mailer.close();
    }
  });
});

describe('the outbox mailer', () => {
  it('writes one .eml per message, and a re-send replaces it instead of adding a second', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gazette-outbox-'));
    const mailer = await createMailer({ kind: 'outbox', dir });
    try {
      const receipt = await mailer.send(message('ada@example.com'));
      await mailer.send(message('ada@example.com'));
      expect(await readdir(path.join(dir, 'ed-1'))).toEqual(['r1.eml']);
      const mail = await simpleParser(await readFile(receipt.response));
      expect(mail.messageId).toBe('<ed-1.r1@koreapro.example>');
      expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe(
        'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      );
      expect(mail.text?.trim()).toBe('Hello');
    } finally {
      await mailer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names a file by its address; two addresses sharing a name both stay, the second with a hash suffix', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gazette-outbox-'));
    const mailer = await createMailer({ kind: 'outbox', dir });
    try {
      const dot = message('a.b@example.com', { outboxName: 'ed-1/a-b-example-com', messageId: '<ed-1.r1@x>' });
      const dash = message('a-b@example.com', { outboxName: 'ed-1/a-b-example-com', messageId: '<ed-1.r2@x>' });
      const first = await mailer.send(dot);
      const second = await mailer.send(dash);
      await mailer.send(dash); // a re-send of the second replaces its own file
      const all = await readdir(path.join(dir, 'ed-1'));
      expect(all).toHaveLength(2);
      const files = ['a-b-example-com.eml', all.find((f) => f !== 'a-b-example-com.eml')];
      expect(all).toContain(files[0]);
      expect(files[1]).toMatch(/^a-b-example-com-[0-9a-f]{6}\.eml$/);
      expect(path.basename(first.response)).toBe('a-b-example-com.eml');
      expect(path.basename(second.response)).toBe(files[1]);
      const to = async (f: string) => (await simpleParser(await readFile(path.join(dir, 'ed-1', f)))).messageId;
      expect(await to(files[0] ?? '')).toBe('<ed-1.r1@x>');
      expect(await to(files[1] ?? '')).toBe('<ed-1.r2@x>');
    } finally {
      await mailer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
