import { z } from 'zod';
import { formatIssues } from '../zod-issues.js';
import type { ParsedBriefing } from './briefing.js';
import { digestContent, plainText } from './content.js';
import { DocumentError } from './errors.js';
import { htmlTooComplex, normalizeDocument } from './normalize.js';
import { httpUrl, utcTime } from './values.js';

const rendered = z.looseObject({ rendered: z.string() });

/** A name/slug pair from `_embedded`; anything malformed in there is ignored, never fatal. */
const embeddedTerm = z.looseObject({ name: z.string().optional(), slug: z.string().optional() }).catch({});

const embedded = z
  .looseObject({
    author: z.array(embeddedTerm).optional().catch(undefined),
    'wp:term': z.array(z.array(embeddedTerm).catch([])).optional().catch(undefined),
  })
  .optional()
  .catch(undefined);

/**
 * The fields Gazette reads from a WordPress REST post (`/wp/v2/posts`, with or without `_embed`).
 * Loose on purpose: WordPress adds fields over time (`class_list`, `meta`, …) and plugins add more.
 */
const postSchema = z.looseObject({
  id: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'must be a number')]),
  title: rendered,
  content: rendered,
  link: z.string(),
  date_gmt: z.string().nullish(),
  date: z.string().nullish(),
  modified_gmt: z.string().nullish(),
  modified: z.string().nullish(),
  status: z.string().optional(),
  _embedded: embedded,
});
type Post = z.infer<typeof postSchema>;

/** Without these a post cannot become a briefing; checked first so the reason names them all. */
const REQUIRED = [['id'], ['title', 'rendered'], ['content', 'rendered'], ['link']] as const;

/**
 * Turns one WordPress REST post (as fetched, or recovered from a saved file) into a briefing.
 *
 * Times: `date_gmt`/`modified_gmt` carry no zone designator and are UTC. Only when they are
 * missing are `date`/`modified` used; those are in the site's zone, which the API does not
 * state, so they are read as UTC too. A missing modification time falls back to publication.
 *
 * @param source - id of the configured source, copied onto the briefing.
 * @throws {DocumentError} `DOCUMENT_INVALID` naming the field(s) that are missing or wrong.
 */
export function parseWordPressPost(raw: unknown, source: string): ParsedBriefing {
  const post = readPost(normalizeDocument(raw));
  const tooComplex = htmlTooComplex(post.title.rendered, 'title') ?? htmlTooComplex(post.content.rendered);
  if (tooComplex) throw invalid(tooComplex);
  const title = plainText(post.title.rendered);
  if (title === '') throw invalid('title is empty after removing markup');
  const url = postLink(post.link);
  const publishedAt = postTime(post, 'date_gmt', 'date');
  const modifiedAt = postTime(post, 'modified_gmt', 'modified') ?? publishedAt;
  if (publishedAt === undefined || modifiedAt === undefined) throw invalid('missing field "date_gmt"');
  const author = embeddedAuthor(post);
  const content = digestContent(post.content.rendered, url);
  return {
    source,
    sourceId: String(post.id),
    url,
    title,
    publishedAt,
    modifiedAt,
    ...(author === undefined ? {} : { author }),
    terms: embeddedTerms(post),
    lead: content.lead,
    ...(content.whyItMatters === undefined ? {} : { whyItMatters: content.whyItMatters }),
    html: content.html,
    // WordPress omits `status` for anonymous requests, which only ever see published posts.
    published: post.status === undefined || post.status === 'publish',
  };
}

function readPost(raw: unknown): Post {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(
      `expected a JSON object (a WordPress post), got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`,
    );
  }
  const missing = REQUIRED.filter((path) => valueAt(raw, path) == null).map((path) => `"${path.join('.')}"`);
  if (missing.length > 0) throw invalid(`missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const parsed = postSchema.safeParse(raw);
  if (!parsed.success) throw invalid(`invalid ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function postLink(link: string): string {
  if (httpUrl(link) === undefined) {
    throw invalid(URL.canParse(link.trim()) ? 'field "link" must be an http(s) URL' : 'field "link" is not a URL');
  }
  return httpUrl(link) as string;
}

/** The GMT field, else the local one read as UTC; undefined when both are absent. */
function postTime(
  post: Post,
  gmtField: 'date_gmt' | 'modified_gmt',
  localField: 'date' | 'modified',
): string | undefined {
  const field = post[gmtField] ? gmtField : post[localField] ? localField : undefined;
  if (field === undefined) return undefined;
  const time = utcTime(post[field] ?? '');
  if (time === undefined) throw invalid(`field "${field}" is not a date-time`);
  return time;
}

function embeddedAuthor(post: Post): string | undefined {
  const name = post._embedded?.author?.[0]?.name;
  const text = name === undefined ? '' : plainText(name);
  return text === '' ? undefined : text;
}

/** Category and tag names, then their slugs (topics map either), decoded, without repeats. */
function embeddedTerms(post: Post): string[] {
  const terms = (post._embedded?.['wp:term'] ?? []).flat();
  const names = terms.map((t) => (t.name === undefined ? '' : plainText(t.name)));
  const slugs = terms.map((t) => t.slug ?? '');
  return [...new Set([...names, ...slugs].filter((t) => t !== ''))];
}

function invalid(reason: string): DocumentError {
  return new DocumentError('DOCUMENT_INVALID', reason);
}
