import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { MailTransportSetting } from '../config.js';
import type { Personalizer, ReaderValues } from '../render/personalize.js';
import { createDkimSigner, type DkimAlgorithm, type DkimSigner } from './dkim.js';
import { fillTemplate } from './fast-mime.js';
import { FastTemplates } from './fast-templates.js';
import { HEADER_LIMITS, headerName, headerText, safeAddress } from './headers.js';
import { classify } from './mail-error.js';
import { handToPool, type PoolTransport } from './pool.js';

export { classify, MailError } from './mail-error.js';

/**
 * The mailer: nodemailer's transports behind one interface. One pooled transport per worker
 * process: SMTP (`smtp://`, `smtps://`) or a file outbox that writes one `.eml` per message.
 * Errors are judged in `mail-error.ts`; a digest's filled bytes go to the pool in `pool.ts`.
 */

export type Address = string | { name: string; address: string };

export interface OutgoingMessage {
  from: Address;
  to: Address;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  /** Stable per edition and reader, with angle brackets: `<edition.reader@domain>`. */
  messageId: string;
  /**
   * `List-Id` (RFC 2919). With `unsubscribe`, the list headers of a list message; both absent on
   * mail that is not one (a confirmation to an address not yet on the list).
   */
  list?: { id: string; name: string };
  /** `List-Unsubscribe` (https and mailto, RFC 2369) with `List-Unsubscribe-Post` (RFC 8058). */
  unsubscribe?: { https: string; mailto: string };
  /**
   * `edition`: `Precedence: bulk`. `transactional` (confirm, welcome): `Auto-Submitted:
   * auto-generated` (RFC 3834: no auto-replies), no Precedence. @defaultValue 'edition'
   */
  kind?: 'edition' | 'transactional';
  /**
   * Outbox only: file name (without extension) inside the outbox, e.g. `edition-id/ada-example-com`;
   * another message already there under that name gets a short hash suffix instead.
   */
  outboxName: string;
}

/** A reader's copy of a digest: the envelope of an {@link OutgoingMessage}, the topic set's digest and the reader's values. */
export interface DigestMessage extends Omit<OutgoingMessage, 'subject' | 'html' | 'text'> {
  digest: Personalizer;
  reader: ReaderValues;
}

export interface SendReceipt {
  messageId: string;
  /** SMTP server's answer, or the outbox file path. */
  response: string;
}

export interface Mailer {
  send(message: OutgoingMessage): Promise<SendReceipt>;
  /**
   * Send a reader's copy of a digest. Over SMTP, the topic set's message is composed once and
   * filled per reader (see `fast-mime.ts`); the bytes decode to what {@link send} would send.
   */
  sendDigest(message: DigestMessage): Promise<SendReceipt>;
  close(): Promise<void>;
  /** Where mail goes, for humans (no credentials). */
  readonly destination: string;
}

/** DKIM signing: one signature per key (DKIM_ALGORITHM, DKIM_SELECTOR, DKIM_PRIVATE_KEY_FILE). */
export interface DkimSetting {
  domainName: string;
  keys: ReadonlyArray<{ algorithm: DkimAlgorithm; keySelector: string; privateKeyFile: string }>;
}

/**
 * Headers signed with DKIM (those a message lacks are skipped): nodemailer's defaults leave out
 * List-Unsubscribe-Post, which RFC 8058 requires signed, and Auto-Submitted.
 */
const DKIM_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:List-Id:List-Unsubscribe:List-Unsubscribe-Post:Auto-Submitted';

/** The mail options `sendMail` gets for a message; the fast path builds from the same options. */
export function toMailOptions(m: OutgoingMessage): SendMailOptions {
  const headers: Record<string, string> = {};
  if (m.unsubscribe) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  if (m.kind === 'transactional') headers['Auto-Submitted'] = 'auto-generated';
  else headers.Precedence = 'bulk';
  const list = {
    ...(m.list ? { id: { url: headerText(m.list.id), comment: headerName(m.list.name) } } : {}),
    ...(m.unsubscribe ? { unsubscribe: [[m.unsubscribe.https, m.unsubscribe.mailto]] } : {}),
  };
  // Every header value passes the sanitizer here; nodemailer alone encodes them.
  return {
    from: safeAddress(m.from),
    to: safeAddress(m.to),
    ...(m.replyTo ? { replyTo: safeAddress(m.replyTo) } : {}),
    subject: headerText(m.subject, HEADER_LIMITS.subject),
    html: m.html,
    text: m.text,
    messageId: m.messageId,
    ...(m.list || m.unsubscribe ? { list } : {}),
    headers,
  };
}

/** Pool settings of the SMTP transport (the benchmark's ceiling uses the same). */
export const POOL_DEFAULTS = { maxConnections: 5, maxMessages: 100 } as const;

export interface MailerOptions {
  /**
   * `fast`: each topic set's message is built once and filled per reader ({@link FastMessage});
   * `sendMail`: nodemailer composes every message. @defaultValue 'fast'
   */
  compose?: 'fast' | 'sendMail';
  /** SMTP connections of the pool (SMTP_MAX_CONNECTIONS). @defaultValue 5 */
  maxConnections?: number;
}

export async function createMailer(
  setting: MailTransportSetting,
  dkim?: DkimSetting,
  options: MailerOptions = {},
): Promise<Mailer> {
  const keys = dkim
    ? await Promise.all(dkim.keys.map(async (k) => ({ ...k, privateKey: await readFile(k.privateKeyFile, 'utf8') })))
    : [];
  // The transport itself signs nothing. The fast path signs its final bytes with its own signer
  // (one hash, one signature per key); sendMail messages carry nodemailer's DKIM options when
  // they can (one RSA key, as before), else are composed, then signed by the same signer.
  const signer: DkimSigner | null = dkim
    ? createDkimSigner({ domainName: dkim.domainName, headerFieldNames: DKIM_HEADERS, keys })
    : null;
  const only = keys.length === 1 ? keys[0] : undefined;
  const dkimOptions =
    dkim && only?.algorithm === 'rsa-sha256'
      ? {
          dkim: {
            domainName: dkim.domainName,
            keySelector: only.keySelector,
            privateKey: only.privateKey,
            headerFieldNames: DKIM_HEADERS,
          },
        }
      : {};
  const composeSigner = dkim && !dkimOptions.dkim ? signer : null;
  const composeRaw = rawComposer();
  if (setting.kind === 'outbox') return outboxMailer(path.resolve(setting.dir), dkimOptions, composeSigner);
  const url = new URL(setting.url);
  // Timeouts in ms may be set in the URL (`?socketTimeout=20000`); defaults suit most providers.
  const ms = (name: string, fallback: number) => {
    const v = Number(url.searchParams.get(name));
    return Number.isInteger(v) && v > 0 ? v : fallback;
  };
  const transport = nodemailer.createTransport({
    pool: true,
    ...POOL_DEFAULTS,
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    host: url.hostname,
    port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
    secure: url.protocol === 'smtps:',
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    ...(url.searchParams.get('ignoreTLS') === 'true' ? { ignoreTLS: true } : {}),
    connectionTimeout: ms('connectionTimeout', 10_000),
    greetingTimeout: ms('greetingTimeout', 10_000),
    socketTimeout: ms('socketTimeout', 30_000),
  });
  const send = async (message: OutgoingMessage): Promise<SendReceipt> => {
    try {
      const options = toMailOptions(message);
      if (composeSigner) {
        const { raw, envelope } = await composeRaw(options);
        const info = await transport.sendMail({ raw: composeSigner.sign(raw), envelope });
        return { messageId: message.messageId, response: String(info.response ?? '') };
      }
      const info = await transport.sendMail({ ...options, ...dkimOptions });
      return { messageId: info.messageId, response: String(info.response ?? '') };
    } catch (err) {
      throw classify(err);
    }
  };
  const templates = new FastTemplates(slowMessage, toMailOptions);
  return {
    destination: `${url.protocol}//${url.host}`,
    send,
    async sendDigest(message) {
      const template = options.compose === 'sendMail' ? null : await templates.of(message);
      if (!template || !message.unsubscribe) return send(slowMessage(message));
      const filled = fillTemplate(
        template,
        { from: message.from, to: message.to, messageId: message.messageId, unsubscribe: message.unsubscribe },
        message.digest.fill(message.reader),
      );
      try {
        const raw = signer ? signer.sign(filled.raw) : filled.raw;
        const info = await handToPool(transport.transporter as PoolTransport, raw, filled.envelope, filled.messageId);
        return { messageId: filled.messageId, response: String(info.response ?? '') };
      } catch (err) {
        throw classify(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/**
 * Write one message as `NAME.eml`, whole or not at all (a reader of the outbox never sees half
 * a message). The same message again (same Message-ID: a re-send) replaces its file; another
 * message whose name collides (two addresses, one file name) goes to `NAME-HASH.eml`.
 */
async function placeInOutbox(dir: string, name: string, messageId: string, raw: Buffer): Promise<string> {
  const file = path.join(dir, `${name}.eml`);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, raw);
  try {
    await link(tmp, file); // atomic, and fails if the name is taken
    await unlink(tmp);
    return file;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }
  const existing = await readFile(file, 'latin1').catch(() => '');
  const head = existing.slice(0, Math.max(0, existing.indexOf('\r\n\r\n')));
  const target = head.includes(`Message-ID: ${messageId}`)
    ? file
    : path.join(dir, `${name}-${createHash('sha256').update(messageId).digest('hex').slice(0, 6)}.eml`);
  await rename(tmp, target);
  return target;
}

/**
 * What sendMail writes for a message, with its envelope (nodemailer's stream transport runs the
 * whole sendMail pipeline, `list` headers included), for a signer of our own.
 */
function rawComposer(): (
  options: SendMailOptions,
) => Promise<{ raw: Buffer; envelope: { from: string; to: string[] } }> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return async (options) => {
    const info = await composer.sendMail(options);
    const envelope = info.envelope as { from: string | false; to: string[] };
    return { raw: info.message as Buffer, envelope: { from: envelope.from || '', to: envelope.to } };
  };
}

function outboxMailer(dir: string, dkimOptions: object, signer: DkimSigner | null): Mailer {
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...dkimOptions,
  });
  const send = async (message: OutgoingMessage): Promise<SendReceipt> => {
    const info = await transport.sendMail(toMailOptions(message));
    const raw = signer ? signer.sign(info.message as Buffer) : (info.message as Buffer);
    const file = await placeInOutbox(dir, message.outboxName, message.messageId, raw);
    return { messageId: info.messageId, response: file };
  };
  return {
    destination: dir,
    send,
    // The outbox writes files, not a wire: sendMail's compose is no bottleneck there.
    sendDigest: (message) => send(slowMessage(message)),
    async close() {
      transport.close();
    },
  };
}

/** A digest message as a whole {@link OutgoingMessage}, for sendMail. */
function slowMessage(m: DigestMessage): OutgoingMessage {
  const { digest, reader, ...rest } = m;
  return { ...rest, ...digest(reader) };
}
