import { createHash } from 'node:crypto';

/**
 * A Briefing: one published article, as Gazette keeps it after collection.
 * Everything a digest needs is precomputed here (plain-text lead, why it matters,
 * sanitized HTML), so rendering never touches raw publisher HTML.
 */
export interface Briefing {
  /** Stable id inside Gazette: `${source}-${sourceId}` (safe in job ids and Redis keys). */
  id: string;
  /** Id of the configured source this briefing came from. */
  source: string;
  /** The publisher's own id (WordPress post id, feed guid, …). */
  sourceId: string;
  /** Canonical https URL of the article. */
  url: string;
  /** Plain text, entities and escapes decoded. */
  title: string;
  /** ISO-8601 UTC, e.g. `2023-08-31T23:00:37.000Z`. */
  publishedAt: string;
  /** ISO-8601 UTC; never earlier than publishedAt's source value. */
  modifiedAt: string;
  author?: string;
  /** Publisher category and tag names (and slugs), as given. */
  terms: string[];
  /** Topic slugs, assigned by the classifier at collection time. */
  topics: string[];
  /** First paragraph, plain text. */
  lead: string;
  /** Plain text of the section after a "Why it matters" heading, when present. */
  whyItMatters?: string;
  /** Sanitized HTML (allowlist), no stray closing tags. */
  html: string;
  /** False when the publisher no longer lists it as published. */
  published: boolean;
  /**
   * ISO-8601 UTC: when Gazette first stored it. Set by the store on the first upsert, never
   * changed by an edit; editions are windowed by it. Absent only on a briefing not yet stored.
   */
  collectedAt?: string;
}

/** A briefing as parsed from a source, before topics are assigned. */
export type ParsedBriefing = Omit<Briefing, 'id' | 'topics' | 'collectedAt'>;

/**
 * `${source}-${sourceId}` when the publisher's id is safe in keys and job ids (WordPress ids
 * are); otherwise a hash of it, so that two ids differing only in unsafe characters (URLs,
 * Korean guids) never collide.
 */
export function briefingId(source: string, sourceId: string): string {
  if (/^[A-Za-z0-9_.-]{1,100}$/.test(sourceId)) return `${source}-${sourceId}`;
  return `${source}-h${createHash('sha256').update(sourceId).digest('base64url').slice(0, 27).replace(/-/g, '.')}`;
}
