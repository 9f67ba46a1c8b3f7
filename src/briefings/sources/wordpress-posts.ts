import type { ParsedBriefing } from '../briefing.js';
import { plainText } from '../content.js';
import { DocumentError } from '../errors.js';
import { parseWordPressPost } from '../wordpress.js';
import type { FetchResult } from './fetch.js';

/** Pure helpers for reading WordPress REST answers: post metadata, times, embedded terms, error bodies. */

const WP_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;
const EXCERPT_CHARS = 2000;
/** How far ahead of this machine's clock a post's modified time may be (the site's clock may run fast). */
export const FUTURE_SKEW_MS = 5 * 60_000;
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function termIds(post: unknown, field: string): number[] {
  const ids = isRecord(post) ? post[field] : undefined;
  return Array.isArray(ids) ? ids.filter((id): id is number => Number.isInteger(id)) : [];
}

/** Which `wp:term` group holds a taxonomy: the one whose terms say so, else its usual position. */
export function groupIndex(groups: unknown[], taxonomy: string, fallback: number): number {
  const found = groups.findIndex(
    (g) => Array.isArray(g) && g.some((t: unknown) => isRecord(t) && t.taxonomy === taxonomy),
  );
  if (found >= 0) return found;
  const atFallback = groups[fallback];
  const foreign =
    Array.isArray(atFallback) && atFallback.some((t: unknown) => isRecord(t) && typeof t.taxonomy === 'string');
  return foreign ? groups.length : fallback;
}

export function embeddedGroup(post: unknown, taxonomy: string, fallback: number): unknown[] {
  const embedded = isRecord(post) && isRecord(post._embedded) ? post._embedded['wp:term'] : undefined;
  if (!Array.isArray(embedded)) return [];
  const group: unknown = embedded[groupIndex(embedded, taxonomy, fallback)];
  return Array.isArray(group) ? group : [];
}

/** What a post's id and times are, as paging needs them. */
export interface PostMeta {
  id: string;
  /** Modification time, ms (GMT, else local read as UTC). */
  modified: number;
  /** Publication time, ms (`date_gmt`, else `date` read as UTC, else the modification time). */
  published: number;
}

/** What the cursor needs from a post: its id and times (GMT, else local read as UTC). */
export function postMeta(raw: unknown, now = Date.now()): PostMeta | DocumentError {
  if (!isRecord(raw)) return new DocumentError('DOCUMENT_INVALID', 'expected a JSON object (a WordPress post)');
  const id = postId(raw) ?? '';
  if ('modified_gmt' in raw && (typeof raw.modified_gmt !== 'string' || raw.modified_gmt.trim() === '')) {
    return new DocumentError('DOCUMENT_INVALID', 'modified time is empty (field "modified_gmt")');
  }
  const field = raw.modified_gmt ? 'modified_gmt' : raw.modified ? 'modified' : raw.date_gmt ? 'date_gmt' : undefined;
  const missing = [...(id === '' ? ['"id"'] : []), ...(field === undefined ? ['"modified_gmt"'] : [])];
  if (missing.length > 0) {
    return new DocumentError('DOCUMENT_INVALID', `missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
  const modified = field === undefined ? Number.NaN : wpTime(raw[field]);
  if (Number.isNaN(modified)) return new DocumentError('DOCUMENT_INVALID', `field "${field}" is not a date-time`);
  if (modified > now + FUTURE_SKEW_MS) {
    return new DocumentError(
      'DOCUMENT_INVALID',
      `modified time ${isoSeconds(modified)} is in the future (more than ${FUTURE_SKEW_MS / 60_000} minutes ahead of this machine's clock)`,
    );
  }
  const date = wpTime(raw.date_gmt || raw.date);
  return { id, modified, published: Number.isNaN(date) ? modified : date };
}

/** A post's id as the REST API gives it, or undefined when it has none that is usable. */
export function postId(raw: unknown): string | undefined {
  if (!isRecord(raw)) return undefined;
  return typeof raw.id === 'number' || (typeof raw.id === 'string' && /^\d+$/.test(raw.id))
    ? String(raw.id)
    : undefined;
}

/** A post the parser would reject, checked here so callers get the reason with the run. */
/** The post as a briefing, or why it cannot be one. */
export function parse(raw: unknown, sourceId: string): ParsedBriefing | DocumentError {
  try {
    return parseWordPressPost(raw, sourceId);
  } catch (err) {
    if (err instanceof DocumentError) return err;
    throw err;
  }
}

/** Milliseconds for a WordPress time; no zone designator means UTC. Whole seconds only (MySQL DATETIME). */
export function wpTime(value: unknown): number {
  const match = typeof value === 'string' ? WP_TIME.exec(value) : null;
  if (!match || typeof value !== 'string') return Number.NaN;
  const ms = Date.parse(match[2] ? value : `${value}Z`);
  return Number.isNaN(ms) ? ms : Math.floor(ms / 1000) * 1000;
}

export function cursorTime(value: string): number {
  const ms = wpTime(value);
  if (Number.isNaN(ms)) throw new TypeError(`invalid WordPress cursor time: ${JSON.stringify(value)}`);
  return ms;
}

/** `2024-01-03T00:30:00Z`: what `modified_after` and the cursor carry. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function excerpt(raw: unknown): string {
  return (JSON.stringify(raw) ?? String(raw)).slice(0, EXCERPT_CHARS);
}

export function isHtml(res: FetchResult, text: string): boolean {
  const type = res.headers.get('content-type') ?? '';
  return /\bhtml\b/i.test(type) || /^\s*</.test(text);
}

/** A redirected request, a 404 or an HTML answer: pretty permalinks are not serving the API. */
export function looksOff(res: FetchResult, asked: string): boolean {
  const redirected = new URL(res.url).pathname !== new URL(asked).pathname;
  return res.status === 404 || res.status === 301 || redirected || isHtml(res, res.body.toString('utf8', 0, 64));
}

export function apiLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match?.[1] && /\brel\s*=\s*"?https:\/\/api\.w\.org\/"?/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

export function wpError(json: unknown): { code: string; message?: string } | undefined {
  if (!isRecord(json) || typeof json.code !== 'string') return undefined;
  const message = typeof json.message === 'string' ? plainText(json.message).slice(0, 200) : '';
  return message ? { code: json.code, message } : { code: json.code };
}
