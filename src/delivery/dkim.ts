import { createHash, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { foldLines } from 'nodemailer/lib/mime-funcs';

import type { DkimAlgorithm } from '../config.js';

export type { DkimAlgorithm };

/** One signing key: a message gets one `DKIM-Signature` per key. */
export interface DkimKey {
  algorithm: DkimAlgorithm;
  keySelector: string;
  /** PEM (PKCS#8, or PKCS#1 for RSA). */
  privateKey: string;
}

/**
 * DKIM for the fast path (RFC 6376 and RFC 8463, relaxed/relaxed, the header format nodemailer
 * writes): the body hash is one native SHA-256 over the final bytes, shared by every signature;
 * each signature is one RSA or Ed25519 operation with a key parsed once. nodemailer's own signer
 * streams the message through a byte-by-byte JavaScript canonicalizer, which costs several times
 * the RSA signature itself on a 40 KB digest, and knows RSA only.
 */
export interface DkimSigner {
  /** The message with its `DKIM-Signature` headers prepended (one per key, in key order). */
  sign(raw: Buffer): Buffer;
  readonly algorithms: readonly DkimAlgorithm[];
}

export function createDkimSigner(o: {
  domainName: string;
  headerFieldNames: string;
  keys: readonly DkimKey[];
}): DkimSigner {
  if (o.keys.length === 0) throw new Error('DKIM needs at least one key');
  const keys = o.keys.map((k) => {
    const key: KeyObject = createPrivateKey(k.privateKey);
    const want = k.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
    if (key.asymmetricKeyType !== want)
      throw new Error(
        `DKIM_PRIVATE_KEY_FILE: ${k.algorithm} needs an ${want === 'rsa' ? 'RSA' : 'Ed25519'} private key`,
      );
    return { algorithm: k.algorithm, selector: clean(k.keySelector), key };
  });
  const fields = o.headerFieldNames
    .toLowerCase()
    .split(':')
    .map((f) => f.trim())
    .filter(Boolean);
  const domain = clean(o.domainName).toLowerCase();
  return {
    algorithms: keys.map((k) => k.algorithm),
    sign(raw) {
      const split = raw.indexOf('\r\n\r\n');
      const headerEnd = split < 0 ? raw.length : split;
      const head = raw.toString('latin1', 0, headerEnd);
      const bodyHash = relaxedBodyHash(split < 0 ? '' : raw.toString('latin1', split + 4));
      // The last occurrence of each listed field, in the order of the list (as nodemailer).
      const byField = new Map<string, string>();
      const lines = head.split(/\r\n(?![ \t])/);
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i] as string;
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        if (!byField.has(name)) byField.set(name, relaxedHeaderValue(line));
      }
      const signed: string[] = [];
      let data = '';
      for (const f of fields) {
        const v = byField.get(f);
        if (v === undefined) continue;
        signed.push(f);
        data += `${f}:${v}\r\n`;
      }
      // Each signature covers the same headers and body, not the other signatures (RFC 8463 §3:
      // a verifier that knows one algorithm only still finds its own).
      let out = '';
      for (const k of keys) out += signatureHeader(k, domain, bodyHash, signed, data);
      return Buffer.concat([Buffer.from(out, 'latin1'), raw]);
    },
  };
}

function signatureHeader(
  k: { algorithm: DkimAlgorithm; selector: string; key: KeyObject },
  domain: string,
  bodyHash: string,
  signed: readonly string[],
  data: string,
): string {
  const tags = [
    'v=1',
    `a=${k.algorithm}`,
    'c=relaxed/relaxed',
    `d=${domain}`,
    'q=dns/txt',
    `s=${k.selector}`,
    `bh=${bodyHash}`,
    `h=${signed.join(':')}`,
  ].join('; ');
  const header = `${foldLines(`DKIM-Signature: ${tags}`, 76)};\r\n b=`;
  const input = Buffer.from(`${data}dkim-signature:${relaxedHeaderValue(header)}`, 'latin1');
  // RFC 8463 §3: Ed25519 (PureEdDSA) signs the SHA-256 of the header hash input.
  const signature = (
    k.algorithm === 'rsa-sha256'
      ? sign('sha256', input, k.key)
      : sign(null, createHash('sha256').update(input).digest(), k.key)
  ).toString('base64');
  return `${header + signature.replace(/(^.{73}|.{75}(?!\r?\n|\r))/g, '$&\r\n ').trim()}\r\n`;
}

// Tag values cannot carry control characters, `;` or `=` (nodemailer drops them the same way).
function clean(v: string): string {
  return [...v].filter((ch) => ch.charCodeAt(0) > 0x1f && ch !== '\x7f' && ch !== ';' && ch !== '=').join('');
}

/** Relaxed header canonicalization (RFC 6376 3.4.2) of a whole `Name: value` line. */
function relaxedHeaderValue(line: string): string {
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

/**
 * Relaxed body canonicalization (RFC 6376 3.4.4) and its SHA-256, base64: whitespace runs become
 * one space, whitespace at line ends goes, empty lines at the end go, a non-empty body ends with
 * CRLF. The body is a latin1 string (one character per byte); a fast-path body is CRLF-only.
 */
export function relaxedBodyHash(body: string): string {
  let b = body;
  if (b.includes('\t') || b.includes('  ')) b = b.replace(/[ \t]+/g, ' ');
  if (b.includes(' \r\n')) b = b.replace(/ \r\n/g, '\r\n');
  let end = b.length;
  if (b.endsWith(' ')) end -= 1;
  while (end >= 2 && b.charCodeAt(end - 1) === 10 && b.charCodeAt(end - 2) === 13) end -= 2;
  b = end === 0 ? '' : `${b.slice(0, end)}\r\n`;
  return createHash('sha256').update(b, 'latin1').digest('base64');
}
