import { escapeText } from 'entities';
import {
  type AnyFeed,
  type AtomFeed,
  DetectError,
  MalformedError,
  parseFeed as parseFeedsmith,
  type RssFeed,
} from 'feedsmith';
import type { ParsedBriefing } from './briefing.js';
import { digestContent, plainText } from './content.js';
import { DocumentError } from './errors.js';
import { refuseHostile, unreadable } from './feed-guards.js';
import { httpUrl, utcTime } from './values.js';

/** Largest feed document read, in bytes (UTF-8). */
export const FEED_MAX_BYTES = 10 * 1024 * 1024;
/** Deepest element nesting read; real feeds stay under 20. */
export const FEED_MAX_DEPTH = 256;

export interface FeedLimits {
  /** @defaultValue {@link FEED_MAX_BYTES} */
  maxBytes?: number;
  /** @defaultValue {@link FEED_MAX_DEPTH} */
  maxDepth?: number;
}

/** A feed item that could not become a briefing; the others in the same feed still do. */
export interface RejectedItem {
  /** The item's guid/id, else its link, else `item #index` (0-based, document order). */
  origin: string;
  error: DocumentError;
  /** The item as feedsmith parsed it, as JSON, for a human to look at. */
  excerpt: string;
}

export interface ParsedFeed {
  items: ParsedBriefing[];
  rejected: RejectedItem[];
}

/**
 * Maps an RSS 2.0 or Atom document to briefings. Identity is the RSS `guid` (else `link`) or the
 * Atom `id` (else the alternate link), kept as given; `modifiedAt` (Atom `updated`, `dc:date`, …)
 * is the collection cursor. One bad item is returned in `rejected`, naming the field, and never
 * hides the good ones.
 *
 * Safe on hostile input: oversized and deeply nested documents and DOCTYPEs declaring entities
 * are refused before parsing, and feedsmith never expands XML entities.
 *
 * @param source - id of the configured source, copied onto every briefing.
 * @throws {DocumentError} `DOCUMENT_UNREADABLE` for a document that is refused or not a feed;
 *   `DOCUMENT_INVALID` for a feed format Gazette does not map (RSS 1.0/RDF, JSON Feed).
 */
export function parseFeed(xml: string, source: string, options: FeedLimits = {}): ParsedFeed {
  refuseHostile(xml, options.maxBytes ?? FEED_MAX_BYTES, options.maxDepth ?? FEED_MAX_DEPTH);
  const parsed = readFeed(xml);
  switch (parsed.format) {
    case 'rss': {
      const base = parsed.feed.link;
      return mapAll(parsed.feed.items ?? [], source, (item) => rssEntry(item, base));
    }
    case 'atom': {
      const feed = parsed.feed;
      const base = feed.xml?.base ?? alternateLink(feed.links);
      return mapAll(feed.entries ?? [], source, (entry) => atomEntry(entry, feed.authors, base));
    }
    case 'rdf':
      throw new DocumentError('DOCUMENT_INVALID', 'RSS 1.0 (RDF) feeds are not supported, only RSS 2.0 and Atom');
    case 'json':
      throw new DocumentError('DOCUMENT_INVALID', 'JSON Feed is not supported, only RSS 2.0 and Atom');
  }
}

function readFeed(xml: string): AnyFeed<string> {
  try {
    return parseFeedsmith(xml);
  } catch (err) {
    if (err instanceof DetectError) unreadable('not an RSS or Atom feed (no <rss> or <feed> root found)', err);
    if (err instanceof MalformedError) {
      const detail = err.cause instanceof Error ? `: ${err.cause.message}` : '';
      unreadable(`malformed XML${detail}`, err);
    }
    unreadable(`cannot parse the feed: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

// ── Items ────────────────────────────────────────────────────────────────────────────────────

/** What RSS and Atom items have in common, before validation. */
interface FeedEntry {
  id?: string | undefined;
  link?: string | undefined;
  title?: string | undefined;
  published?: DateField | undefined;
  modified?: DateField | undefined;
  author?: string | undefined;
  terms: string[];
  html: string;
}
type DateField = { field: string; value: string };

/** How much of a rejected item is kept for a human to look at. */
const EXCERPT_CHARS = 2000;

function mapAll<T>(raw: T[], source: string, toEntry: (item: T) => FeedEntry): ParsedFeed {
  const feed: ParsedFeed = { items: [], rejected: [] };
  for (const [index, item] of raw.entries()) {
    const entry = toEntry(item);
    try {
      feed.items.push(toBriefing(entry, source));
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
      const origin = entry.id ?? entry.link ?? `item #${index}`;
      feed.rejected.push({ origin, error: err, excerpt: JSON.stringify(item).slice(0, EXCERPT_CHARS) });
    }
  }
  return feed;
}

function toBriefing(entry: FeedEntry, source: string): ParsedBriefing {
  if (entry.id === undefined) throw invalid('missing field "guid"/"id" (and no link to stand in)');
  if (entry.link === undefined) throw invalid('missing field "link"');
  const url = httpUrl(entry.link);
  if (url === undefined) throw invalid('field "link" must be an http(s) URL');
  if (!entry.title) throw invalid('missing field "title"');
  if (entry.published === undefined) throw invalid('missing field "pubDate"/"published"');
  const publishedAt = feedTime(entry.published);
  const modified = entry.modified === undefined ? publishedAt : feedTime(entry.modified);
  const content = digestContent(entry.html, url);
  return {
    source,
    sourceId: entry.id,
    url,
    title: entry.title,
    publishedAt,
    // A feed that dates an edit before publication is wrong; the cursor must not go back.
    // biome-ignore lint/complexity/useMathMinMax: ISO-8601 UTC strings compare in time order; Math.max would make a number.
    modifiedAt: modified < publishedAt ? publishedAt : modified,
    ...(entry.author ? { author: entry.author } : {}),
    terms: [...new Set(entry.terms.filter((t) => t !== ''))],
    lead: content.lead,
    ...(content.whyItMatters === undefined ? {} : { whyItMatters: content.whyItMatters }),
    html: content.html,
    published: true,
  };
}

function rssEntry(item: RssFeed.Item<string>, base: string | undefined): FeedEntry {
  const link = item.link ?? (item.guid?.isPermaLink === false ? undefined : item.guid?.value);
  const author = item.authors?.[0];
  return {
    id: item.guid?.value ?? item.link,
    link: resolve(link, base),
    // RSS titles are entity-encoded HTML in practice (WordPress writes `&#8217;`, `<em>`).
    title: item.title === undefined ? undefined : plainText(item.title),
    published: firstDate(['pubDate', item.pubDate], ['dc:date', item.dc?.dates?.[0]]),
    modified: firstDate(
      ['atom:updated', item.atom?.updated],
      ['dcterms:modified', item.dcterms?.modified?.[0]],
      ['dc:date', item.dc?.dates?.[0]],
    ),
    // A bare e-mail address is not a byline: Gazette prints names only.
    author: plainText(author?.name ?? item.dc?.creators?.[0] ?? ''),
    // WordPress lists categories and tags alike as <category>: both are terms.
    terms: (item.categories ?? []).map((c) => plainText(c.name ?? '')),
    html: item.content?.encoded ?? item.description ?? '',
  };
}

function atomEntry(
  entry: AtomFeed.Entry<string>,
  feedAuthors: AtomFeed.Person[] | undefined,
  feedBase: string | undefined,
): FeedEntry {
  const link = alternateLink(entry.links);
  const content = entry.content && typedHtml(entry.content);
  return {
    id: entry.id ?? link,
    link: resolve(link, entry.xml?.base ?? feedBase),
    title: entry.title === undefined ? undefined : typedText(entry.title),
    published: firstDate(['published', entry.published], ['updated', entry.updated]),
    modified: firstDate(['updated', entry.updated]),
    // An entry without an author inherits the feed's (RFC 4287 §4.2.1).
    author: (entry.authors ?? feedAuthors)?.[0]?.name?.trim(),
    terms: (entry.categories ?? []).flatMap((c) => [c.term?.trim() ?? '', c.label?.trim() ?? '']),
    html: content ?? (entry.summary && typedHtml(entry.summary)) ?? '',
  };
}

function alternateLink(links: AtomFeed.Link<string>[] | undefined): string | undefined {
  const alternates = (links ?? []).filter((l) => l.rel === undefined || l.rel === 'alternate');
  return (alternates.find((l) => l.type === undefined || /html/i.test(l.type)) ?? alternates[0])?.href;
}

/** Atom text constructs: `text` is plain, `html` escaped markup, `xhtml` inline markup. */
function typedText(text: AtomFeed.Text): string {
  return isMarkup(text.type) ? plainText(text.value) : text.value.replace(/\s+/g, ' ').trim();
}

/** HTML for an Atom text or content; undefined for media types Gazette cannot show (base64, …). */
function typedHtml(text: { value?: string | undefined; type?: string | undefined }): string | undefined {
  if (text.value === undefined) return undefined;
  if (isMarkup(text.type)) return text.value;
  if (text.type === undefined || text.type === 'text' || text.type.startsWith('text/')) {
    return `<p>${escapeText(text.value)}</p>`;
  }
  return undefined;
}

function isMarkup(type: string | undefined): boolean {
  return type === 'html' || type === 'xhtml' || type === 'text/html' || type === 'application/xhtml+xml';
}

// ── Values ───────────────────────────────────────────────────────────────────────────────────

function resolve(link: string | undefined, base: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  try {
    return new URL(link.trim(), base === undefined ? undefined : httpUrl(base)).href;
  } catch {
    return link;
  }
}

function firstDate(...candidates: Array<[field: string, value: string | undefined]>): DateField | undefined {
  const [field, value] = candidates.find(([, v]) => v !== undefined) ?? [];
  return field === undefined || value === undefined ? undefined : { field, value };
}

/** ISO-8601 UTC from RFC 3339 (Atom) or RFC 822 (RSS); a date without a zone is read as UTC. */
function feedTime({ field, value }: DateField): string {
  const time = utcTime(value);
  if (time === undefined) throw invalid(`field "${field}" is not a date-time`);
  return time;
}

function invalid(reason: string): DocumentError {
  return new DocumentError('DOCUMENT_INVALID', reason);
}
