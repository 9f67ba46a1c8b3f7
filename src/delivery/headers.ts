import type { Address } from './mailer.js';

/**
 * Header values, made safe before nodemailer encodes them. Every value Gazette puts in a header
 * (subject, sender, list and reader names, addresses) passes here at the point it is produced:
 * control characters and line separators (C0 including CR, LF and NUL; DEL; C1 including NEL;
 * U+2028/2029; bidi overrides stay, they cannot end a header) become spaces, whitespace runs
 * collapse, and the value is capped. Encoding (RFC 2047 words, folding) is nodemailer's alone.
 */

/** Caps, in characters. */
export const HEADER_LIMITS = { subject: 200, name: 100, address: 254 } as const;

// C0 (includes TAB, CR, LF, NUL), DEL, C1 (includes NEL U+0085), line and paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu;

/** True when `value` holds a character a header must not carry. */
export function hasHeaderControl(value: string): boolean {
  return new RegExp(UNSAFE.source, 'u').test(value);
}

function cap(value: string, max: number): string {
  const chars = Array.from(value);
  if (chars.length <= max) return value;
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}

/**
 * A header's text: one line, no control characters, at most `max` characters. Publisher text
 * that spells an RFC 2047 opener (`=?`) gets a zero-width space inside it: nodemailer leaves
 * ASCII text unencoded, and a reader's client would otherwise decode `=?utf-8?q?=0d=0a…?=`
 * into a line break; with it, nodemailer encodes the value and the opener stays text.
 */
export function headerText(value: string, max: number = HEADER_LIMITS.subject): string {
  const clean = value.replace(UNSAFE, ' ').replace(/\s+/gu, ' ').trim();
  return cap(clean, max).replaceAll('=?', '=\u200b?');
}

/** A display name (sender, list, reader): {@link headerText} at the name cap. */
export function headerName(value: string): string {
  return headerText(value, HEADER_LIMITS.name);
}

/** An address: no control characters and no whitespace at all (an address never holds any). */
function headerAddress(value: string): string {
  return value.replace(UNSAFE, '').replace(/\s+/gu, '').slice(0, HEADER_LIMITS.address);
}

/** An address with or without a display name, made safe for a header. */
export function safeAddress(a: Address): Address;
export function safeAddress(a: Address | undefined): Address | undefined;
export function safeAddress(a: Address | undefined): Address | undefined {
  if (a === undefined) return undefined;
  if (typeof a === 'string') {
    // `Name <addr>` strings (MAIL_FROM): nodemailer parses them; only controls are removed here.
    return headerText(a, HEADER_LIMITS.name + HEADER_LIMITS.address + 3);
  }
  const name = headerName(a.name);
  const address = headerAddress(a.address);
  return name ? { name, address } : address;
}
