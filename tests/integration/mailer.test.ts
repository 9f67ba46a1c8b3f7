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
      { domainName: 'koreapro.example', keySelector: 'gz', privateKeyFile: keyFile },
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

  it('classifies a 5xx on the recipient as a permanent bounce and a 4xx as transient', async () => {
    const mailer = await createMailer({ kind: 'smtp', url: `${sink.url}?ignoreTLS=true` });
    try {
      sink.rejectRecipient('gone@example.com', 550, 'No such user');
      const bounce = await mailer.send(message('gone@example.com')).catch((e: unknown) => e);
      expect(bounce).toBeInstanceOf(MailError);
      expect(bounce).toMatchObject({ permanent: true, recipientRejected: true, responseCode: 550 });

      sink.failNext(1, { code: 451, message: 'Try later' });
      const later = await mailer.send(message('ada@example.com')).catch((e: unknown) => e);
      expect(later).toMatchObject({ permanent: false, responseCode: 451 });

      sink.failNext(1, { code: 554, message: 'Rejected as spam' });
      const spam = await mailer.send(message('ada@example.com')).catch((e: unknown) => e);
      expect(spam).toMatchObject({ permanent: true, recipientRejected: false, responseCode: 554 });
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
});
