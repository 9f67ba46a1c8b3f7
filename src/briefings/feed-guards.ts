import { DocumentError } from './errors.js';

/**
 * Refuse, before any parser runs, a feed document that is too large, declares entities (a
 * possible entity bomb) or nests deeper than `maxDepth`. Throws DocumentError('DOCUMENT_UNREADABLE').
 */
export function refuseHostile(xml: string, maxBytes: number, maxDepth: number): void {
  // A UTF-8 byte is at most one UTF-16 unit, so the length alone refuses most oversized input
  // without walking it.
  const bytes = xml.length > maxBytes ? xml.length : Buffer.byteLength(xml, 'utf8');
  if (bytes > maxBytes) unreadable(`document is ${bytes} bytes or more, above the ${maxBytes}-byte limit`);
  if (declaresEntities(xml)) unreadable('document type declares entities (refused: a possible entity bomb)');
  if (nestsDeeperThan(xml, maxDepth)) unreadable(`elements are nested more than ${maxDepth} deep`);
}

/** True for a DOCTYPE whose internal subset declares an ENTITY. Only the first DOCTYPE counts: XML allows one. */
function declaresEntities(xml: string): boolean {
  const start = xml.search(/<!DOCTYPE/i);
  if (start === -1) return false;
  const subset = xml.indexOf('[', start);
  const end = xml.indexOf('>', start);
  if (subset === -1 || (end !== -1 && end < subset)) return false;
  const close = xml.indexOf(']', subset);
  return /<!ENTITY/i.test(xml.slice(subset, close === -1 ? undefined : close));
}

const NAME = /[A-Za-z_:][\w:.-]*/y;

/**
 * A guard, not a parser: one linear pass over the tags keeping a stack of open names, capped at
 * `max`, so a 10,000-deep document is refused in microseconds before any parser builds a tree.
 * It skips comments, CDATA, declarations and processing instructions; a closing tag pops up to
 * its opening one, so unclosed HTML (`<br>` in unescaped content) cannot inflate the depth.
 * It can miscount only on `>` inside attribute values, which no nesting attack needs.
 */
function nestsDeeperThan(xml: string, max: number): boolean {
  const open: string[] = [];
  let at = xml.indexOf('<');
  while (at !== -1) {
    let next: number;
    if (xml.startsWith('<!--', at)) next = after(xml, '-->', at + 4);
    else if (xml.startsWith('<![CDATA[', at)) next = after(xml, ']]>', at + 9);
    else if (xml[at + 1] === '!' || xml[at + 1] === '?') next = after(xml, '>', at + 2);
    else {
      const closing = xml[at + 1] === '/';
      NAME.lastIndex = at + (closing ? 2 : 1);
      const name = NAME.exec(xml)?.[0].toLowerCase();
      next = name === undefined ? at + 1 : after(xml, '>', NAME.lastIndex);
      if (name !== undefined && closing) {
        const opened = open.lastIndexOf(name);
        if (opened !== -1) open.length = opened;
      } else if (name !== undefined && xml[next - 2] !== '/') {
        open.push(name);
        if (open.length > max) return true;
      }
    }
    at = next === -1 ? -1 : xml.indexOf('<', next);
  }
  return false;
}

/** Index just past `token` at or after `from`, or -1. */
function after(xml: string, token: string, from: number): number {
  const found = xml.indexOf(token, from);
  return found === -1 ? -1 : found + token.length;
}

/** Throw the DocumentError for a document that cannot be read. */
export function unreadable(reason: string, cause?: unknown): never {
  throw new DocumentError('DOCUMENT_UNREADABLE', reason, cause === undefined ? undefined : { cause });
}
