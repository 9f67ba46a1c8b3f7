import nodemailer, { type SendMailOptions } from 'nodemailer';
import { foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import * as qp from 'nodemailer/lib/qp';
import type { DigestTemplate, PartTemplate, SlotFill } from '../render/personalize.js';
import { safeAddress } from './headers.js';
import type { Address } from './mailer.js';

/**
 * The fast path of the mailer: a topic set's message is composed by nodemailer once, with marks
 * where the reader's values go; each reader then costs a fill of those marks, not a compose.
 *
 * Per reader, nodemailer's own functions still write what varies: `To` and `Message-ID`
 * (`MimeNode#encodeHeaderValue` + `foldLines`, as `buildHeaders` does), `List-Unsubscribe` (the
 * list-header formatter of the message that was composed) and `Date`. The body parts are
 * quoted-printable: each unchanging piece is encoded once; a reader's values are encoded alone,
 * and a soft line break (`=` CRLF, which decodes to nothing) joins the pieces, so every line
 * stays within 76 octets and the decoded parts are exactly what `sendMail` would send.
 */

/** Marks composed into the template, found again in its bytes. */
const TO_MARK = 'to@gazette-fast.invalid';
const ID_MARK = '<message-id@gazette-fast.invalid>';
const UNSUBSCRIBE_MARK = { https: 'https://gazette-fast.invalid/u', mailto: 'mailto:u@gazette-fast.invalid' };
// A non-ASCII letter makes nodemailer pick quoted-printable and UTF-8 for both parts, as real digests get.
const TEXT_MARK = 'gazette-fast-text-part \u00e9';
const HTML_MARK = 'gazette-fast-html-part \u00e9';
const QP_PART = 'Content-Transfer-Encoding: quoted-printable\r\n\r\n';

/** What the fast path needs of one reader's message, besides the digest. */
export interface FastHeaders {
  from: Address;
  to: Address;
  messageId: string;
  unsubscribe: { https: string; mailto: string };
}

/** A message ready for nodemailer's `raw` option, with its SMTP envelope. */
export interface FilledMessage {
  raw: Buffer;
  envelope: { from: string; to: string[] };
  messageId: string;
}

/** The template composed by nodemailer cannot be cut as expected (a nodemailer change): use sendMail. */
export class FastMimeError extends Error {
  readonly code = 'FAST_MIME_UNAVAILABLE';
}

type Piece =
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'header'; name: string; field: HeaderField }
  | { kind: 'part'; part: 'text' | 'html' };
type HeaderField = 'to' | 'messageId' | 'unsubscribe' | 'date';

type ListHeaders = (list: object) => Array<{ key: string; value: Array<{ value: string }> }>;

type TextPiece = { kind: 'bytes'; text: string } | Exclude<Piece, { kind: 'bytes' }>;

/** One topic set's message, cut at the reader's values; its unchanging bytes encoded once. */
export interface MessageTemplate {
  readonly pieces: readonly Piece[];
  readonly parts: { text: EncodedPart; html: EncodedPart };
  readonly envelopeFrom: string;
  readonly listHeaders: ListHeaders;
}

/** A body part: its unchanging pieces quoted-printable encoded, and the slots between them. */
interface EncodedPart {
  statics: Buffer[];
  slots: PartTemplate['slots'];
}

const headerNode = new MimeNode();
const envelopeNode = new MimeNode();

/**
 * Quoted-printable with CRLF line ends; '' stays ''. Wrapped at 75, so that a piece's last line
 * plus the soft break joining it to the next stays within 76.
 */
function encodeQp(value: string): string {
  if (!value) return '';
  // Printable ASCII but `=`, short, not ending in a space: quoted-printable leaves it as it is.
  if (value.length <= 75 && PLAIN_QP.test(value) && !value.endsWith(' ')) return value;
  return qp.wrap(qp.encode(value), 75).replace(/\r?\n/g, '\r\n');
}

function encodePart(t: PartTemplate): EncodedPart {
  return { statics: t.statics.map((s) => Buffer.from(encodeQp(s), 'latin1')), slots: t.slots };
}

const PLAIN_QP = /^[\x20-\x3c\x3e-\x7e]*$/;

const SOFT_BREAK = Buffer.from('=\r\n', 'latin1');

/** Pieces of one part joined by soft line breaks (empty pieces skipped), pushed onto `out`. */
function fillPart(out: Buffer[], part: EncodedPart, values: SlotFill['html']): void {
  let first = true;
  const push = (b: Buffer) => {
    if (b.length === 0) return;
    if (!first) out.push(SOFT_BREAK);
    out.push(b);
    first = false;
  };
  for (let i = 0; i < part.statics.length; i++) {
    push(part.statics[i] as Buffer);
    const slot = part.slots[i];
    if (slot !== undefined) push(Buffer.from(encodeQp(values[slot]), 'latin1'));
  }
}

function cutHeaders(block: string): TextPiece[] {
  const found = new Set<HeaderField>();
  const pieces: TextPiece[] = [];
  let pending = '';
  block.split(/\r\n(?![ \t])/).forEach((line, i) => {
    const sep = i === 0 ? '' : '\r\n';
    const name = line.slice(0, line.indexOf(':'));
    const field = fieldOf(name.toLowerCase(), line);
    if (!field) {
      pending += sep + line;
      return;
    }
    if (found.has(field)) throw new FastMimeError(`the composed template has two ${name} headers`);
    found.add(field);
    pieces.push({ kind: 'bytes', text: pending + sep }, { kind: 'header', name, field });
    pending = '';
  });
  if (found.size !== 4)
    throw new FastMimeError(`the composed template lacks a header (found ${[...found].join(', ')})`);
  pieces.push({ kind: 'bytes', text: pending });
  return pieces;
}

function fieldOf(lower: string, line: string): HeaderField | null {
  if (lower === 'to' && line.includes(TO_MARK)) return 'to';
  if (lower === 'message-id' && line.includes(ID_MARK)) return 'messageId';
  if (lower === 'list-unsubscribe' && line.includes(UNSUBSCRIBE_MARK.https)) return 'unsubscribe';
  if (lower === 'date') return 'date';
  return null;
}

function cutBody(body: string): TextPiece[] {
  const at = (mark: string) => {
    const encoded = qp.encode(mark);
    const i = body.indexOf(encoded);
    if (i < 0 || body.indexOf(encoded, i + 1) >= 0 || !body.slice(0, i).endsWith(QP_PART)) {
      throw new FastMimeError('the composed template has no quoted-printable part to fill');
    }
    return { i, end: i + encoded.length };
  };
  const text = at(TEXT_MARK);
  const html = at(HTML_MARK);
  if (text.i > html.i) throw new FastMimeError('the composed template has its parts in an unexpected order');
  return [
    { kind: 'bytes', text: body.slice(0, text.i) },
    { kind: 'part', part: 'text' },
    { kind: 'bytes', text: body.slice(text.end, html.i) },
    { kind: 'part', part: 'html' },
    { kind: 'bytes', text: body.slice(html.end) },
  ];
}

/**
 * Composes one topic set's message with nodemailer (the same mail options `sendMail` gets, with
 * marks at the reader's values) and cuts it at those marks.
 * @param mailOptions - built by the mailer's `toMailOptions` from a message of this topic set.
 * @throws FastMimeError when the composed message does not have the expected shape.
 */
export async function composeTemplate(
  mailOptions: (marks: FastHeaders & { subject: string; html: string; text: string }) => SendMailOptions,
  digest: DigestTemplate,
  from: Address,
): Promise<MessageTemplate> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let listHeaders: ListHeaders | null = null;
  composer.use('compile', (mail, done) => {
    const m = mail as unknown as { _getListHeaders?: ListHeaders };
    if (typeof m._getListHeaders === 'function') listHeaders = m._getListHeaders.bind(mail);
    done();
  });
  const options = mailOptions({
    from,
    to: TO_MARK,
    messageId: ID_MARK,
    unsubscribe: UNSUBSCRIBE_MARK,
    subject: digest.subject,
    html: HTML_MARK,
    text: TEXT_MARK,
  });
  const info = await composer.sendMail(options);
  composer.close();
  if (!listHeaders) throw new FastMimeError('nodemailer no longer offers its list-header formatter');
  // UTF-8: nodemailer leaves a non-ASCII URL in a prepared List-* header as raw UTF-8.
  const raw = (info.message as Buffer).toString('utf8');
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new FastMimeError('the composed template has no header block');
  const envelope = info.envelope as { from: string | false };
  return {
    pieces: [...cutHeaders(raw.slice(0, split)), ...cutBody(raw.slice(split))].map((p) =>
      p.kind === 'bytes' ? { kind: 'bytes', bytes: Buffer.from(p.text, 'utf8') } : p,
    ),
    parts: { text: encodePart(digest.text), html: encodePart(digest.html) },
    envelopeFrom: envelope.from || '',
    listHeaders,
  };
}

let dateSecond = 0;
let dateValue = '';
/** `Date` as nodemailer writes it, computed once a second. */
function dateHeader(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(second * 1000).toUTCString().replace(/GMT/, '+0000');
  }
  return dateValue;
}

/** nodemailer writes a display name of ASCII word characters and spaces as it is. */
const WORD_NAME = /^[\w ]*$/;
/**
 * A lowercase dot-atom on an ASCII host name (no `xn--` label, labels of 1–63 characters):
 * nodemailer's normalizing (punycode, quoting) gives it back unchanged.
 */
const PLAIN_ADDRESS = /^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** A msg-id of printable ASCII in its angle brackets: nodemailer's encoding leaves it as it is. */
const PLAIN_MESSAGE_ID = /^<[\x21-\x3b\x3d\x3f-\x7e]+>$/;

/**
 * A recipient nodemailer would write and envelope unchanged (a word-character name, a plain
 * address), so the fast path can skip its address parser; null for anything else, which goes
 * through nodemailer. The fast-path tests hold both ways to the same bytes.
 */
function plainRecipient(to: Address): { header: string; address: string } | null {
  const { name, address } = typeof to === 'string' ? { name: '', address: to } : to;
  if (!PLAIN_ADDRESS.test(address) || address.includes('xn--') || !WORD_NAME.test(name)) return null;
  return { header: name ? `${name} <${address}>` : address, address };
}

/** `Name: value` when it fits on one line (what foldLines leaves alone), else null. */
function oneLine(name: string, value: string): string | null {
  const line = `${name}: ${value}`;
  return line.length < 76 ? line : null;
}

function headerLine(
  t: MessageTemplate,
  name: string,
  field: HeaderField,
  h: FastHeaders,
  to: Address,
  plain: { header: string } | null,
): string {
  switch (field) {
    case 'to':
      return (
        (plain && oneLine(name, plain.header)) ??
        foldLines(`${name}: ${headerNode.encodeHeaderValue(name, to as never)}`, 76)
      );
    case 'messageId':
      return (
        (PLAIN_MESSAGE_ID.test(h.messageId) && oneLine(name, h.messageId)) ||
        foldLines(`${name}: ${headerNode.encodeHeaderValue(name, h.messageId)}`, 76)
      );
    case 'unsubscribe': {
      const [list] = t.listHeaders({ unsubscribe: [[h.unsubscribe.https, h.unsubscribe.mailto]] });
      return foldLines(`${name}: ${(list?.value ?? []).map((v) => v.value).join(', ')}`);
    }
    case 'date':
      return `${name}: ${dateHeader()}`;
  }
}

/** One reader's message: the template's bytes with this reader's headers and values. */
export function fillTemplate(t: MessageTemplate, h: FastHeaders, values: SlotFill): FilledMessage {
  const out: Buffer[] = [];
  const to = safeAddress(h.to);
  const plain = plainRecipient(to);
  for (const p of t.pieces) {
    if (p.kind === 'bytes') out.push(p.bytes);
    // Headers may carry raw UTF-8 (a non-ASCII URL in List-Unsubscribe, as sendMail leaves it).
    else if (p.kind === 'header') out.push(Buffer.from(headerLine(t, p.name, p.field, h, to, plain), 'utf8'));
    else fillPart(out, t.parts[p.part], values[p.part]);
  }
  // One node for every reader's envelope: a new MimeNode draws random bytes for its boundary.
  const recipients = plain ? [plain.address] : envelopeNode.setHeader('To', to as never).getEnvelope().to;
  return {
    raw: Buffer.concat(out),
    envelope: { from: t.envelopeFrom, to: recipients },
    messageId: h.messageId,
  };
}
