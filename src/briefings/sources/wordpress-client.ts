import type { ParsedBriefing } from '../briefing.js';
import { DocumentError } from '../errors.js';
import { DEFAULT_FETCH_POLICY, type FetchPolicy, type FetchResult, safeFetch } from './fetch.js';
import { fromFetchError, SourceError } from './source.js';
import { END, judgeResponse } from './wordpress-answers.js';
import { apiLink, cursorTime, excerpt, isoSeconds, isRecord, looksOff, parse, postMeta } from './wordpress-posts.js';
import { completeTerms, type Term } from './wordpress-terms.js';

/**
 * Polls a WordPress site's REST API (`/wp/v2/posts`) for posts changed since a cursor, anonymously
 * (so only published posts are seen; `status` is never sent). All HTTP goes through safeFetch.
 *
 * Pagination is keyset-first: each query asks for `modified_after = high-water mark − overlap`,
 * ordered by `modified` ascending. After a full page that moved the high-water mark, the next query
 * starts again from the new mark (page 1), so posts edited, unpublished or published while the run
 * pages cannot shift a not-yet-read post past the cursor. Only when a whole page shares one
 * `modified` second (a bulk edit larger than a page) does it step `page` on the same query, until a
 * short page, `200 []` or `400 rest_post_invalid_page_number`.
 */

export interface WordPressSite {
  /** Gazette's id of the source, recorded on the briefings. @defaultValue wordpress */
  sourceId?: string;
  /** Site address, e.g. `https://example.org` or `https://example.org/blog`. */
  baseUrl: string;
  /** `pretty`: `/wp-json/…`; `query`: `?rest_route=…`; `auto` (default): pretty, else discover or fall back. */
  restRoute?: 'pretty' | 'query' | 'auto';
  allowPrivate?: boolean;
  timeoutMs?: number;
  maxBytes?: number;
  /** @defaultValue 100 (the REST maximum) */
  perPage?: number;
  /** How far before the cursor each query starts, in seconds. @defaultValue 1 */
  overlapSeconds?: number;
}

/** Where a run got to: the greatest `modified_gmt` yielded (ISO, `Z`) and the post ids at exactly that second. */
export interface WordPressCursor {
  modifiedAfter?: string;
  seen?: string[];
}

export type WordPressEntry =
  | {
      raw: unknown;
      /** The post, parsed as Gazette keeps it. */
      briefing: ParsedBriefing;
      id: string;
      /** ISO 8601 UTC, e.g. `2024-01-03T00:30:00Z`. */
      modifiedGmt: string;
    }
  | { error: DocumentError; origin: string; excerpt: string };

/** Stable SourceError codes raised here (besides the `FETCH_*` codes of `FetchError`). */
export type WordPressErrorCode =
  | 'WP_INVALID_PARAM'
  | 'WP_UNAUTHORIZED'
  | 'WP_FORBIDDEN'
  | 'WP_REST_UNAVAILABLE'
  | 'WP_NOT_JSON'
  | 'WP_BAD_JSON'
  | 'WP_TOO_MANY_REQUESTS'
  | `HTTP_${number}`;

type Api = { style: 'pretty' | 'query'; root: URL };

const MAX_REQUESTS_PER_RUN = 10_000;

export class WordPressClient {
  private readonly sourceId: string;
  private readonly base: string;
  private readonly policy: FetchPolicy;
  private readonly perPage: number;
  private readonly overlapMs: number;
  private api: Api | undefined;
  private current: WordPressCursor = {};

  constructor(site: WordPressSite) {
    this.sourceId = site.sourceId ?? 'wordpress';
    this.base = site.baseUrl.replace(/\/+$/, '');
    this.policy = {
      ...DEFAULT_FETCH_POLICY,
      allowPrivate: site.allowPrivate ?? false,
      timeoutMs: site.timeoutMs ?? DEFAULT_FETCH_POLICY.timeoutMs,
      maxBytes: site.maxBytes ?? DEFAULT_FETCH_POLICY.maxBytes,
    };
    this.perPage = Math.min(100, Math.max(1, site.perPage ?? 100));
    this.overlapMs = Math.max(1, site.overlapSeconds ?? 1) * 1000;
    const style = site.restRoute ?? 'auto';
    if (style !== 'auto') this.api = { style, root: this.defaultRoot(style) };
  }

  /**
   * The cursor of the latest {@link changedSince} run, advanced as entries are yielded: every post
   * at or before it has been yielded. Store it only after the yielded posts are stored.
   */
  get cursor(): WordPressCursor {
    return { ...this.current, ...(this.current.seen ? { seen: [...this.current.seen] } : {}) };
  }

  /**
   * Published posts modified after `cursor` (and those at exactly `cursor.modifiedAfter` whose ids
   * are not in `cursor.seen`), oldest change first, each id once per version within a run. A post
   * that cannot be read is yielded as an error entry; the run goes on. Returns the next cursor.
   *
   * @throws {SourceError} when the site cannot be read (see {@link WordPressErrorCode}).
   */
  async *changedSince(cursor: WordPressCursor = {}): AsyncGenerator<WordPressEntry, WordPressCursor> {
    let high = cursor.modifiedAfter === undefined ? undefined : cursorTime(cursor.modifiedAfter);
    let atHigh = new Set(high === undefined ? [] : (cursor.seen ?? []));
    this.current = high === undefined ? {} : { modifiedAfter: isoSeconds(high), seen: [...atHigh] };
    const yielded = new Map<string, number>();
    const terms = new Map<string, Term | null>();
    let queryFrom = high;
    let page = 1;
    for (let requests = 0; ; requests++) {
      if (requests >= MAX_REQUESTS_PER_RUN) {
        throw new SourceError(
          'WP_TOO_MANY_REQUESTS',
          `${this.base}: gave up after ${requests} requests in one run`,
          true,
        );
      }
      const params: Record<string, string> = {
        orderby: 'modified',
        order: 'asc',
        per_page: String(this.perPage),
        _embed: 'wp:term,author',
      };
      if (queryFrom !== undefined) params.modified_after = isoSeconds(queryFrom - this.overlapMs);
      if (page > 1) params.page = String(page);
      const answer = await this.getJson('/wp/v2/posts', params, page > 1);
      if (answer === END) break;
      if (!Array.isArray(answer.json)) {
        throw new SourceError('WP_NOT_JSON', `${answer.url} answered JSON that is not a list of posts`, false);
      }
      const posts: unknown[] = answer.json;
      await completeTerms(posts, terms, async (path, ids) => {
        const answer = await this.getJson(path, { include: ids.join(','), per_page: '100' }, false);
        return answer === END ? null : Array.isArray(answer.json) ? answer.json : [];
      });
      let lowest = Number.POSITIVE_INFINITY;
      for (const [index, raw] of posts.entries()) {
        const meta = postMeta(raw);
        if (meta instanceof DocumentError) {
          yield { error: meta, origin: `${answer.url}#${index}`, excerpt: excerpt(raw) };
          continue;
        }
        const { id, modified } = meta;
        lowest = Math.min(lowest, modified);
        if (high !== undefined && (modified < high || (modified === high && atHigh.has(id)))) continue;
        const before = yielded.get(id);
        if (before !== undefined && before >= modified) continue;
        if (high === undefined || modified > high) {
          high = modified;
          atHigh = new Set([id]);
        } else {
          atHigh.add(id);
        }
        yielded.set(id, modified);
        this.current = { modifiedAfter: isoSeconds(high), seen: [...atHigh] };
        const briefing = parse(raw, this.sourceId);
        if (briefing instanceof DocumentError)
          yield { error: briefing, origin: `${this.base}/?p=${id}`, excerpt: excerpt(raw) };
        else yield { raw, briefing, id, modifiedGmt: isoSeconds(modified) };
      }
      if (posts.length < this.perPage) break;
      // Restart from the new mark unless the page is one tie group (then step the page) or made no headway.
      if (high !== undefined && high !== queryFrom && lowest < high) {
        queryFrom = high;
        page = 1;
      } else {
        page += 1;
      }
    }
    return this.cursor;
  }

  /**
   * Which of `ids` the site still lists as published (anonymous reads see only those): one
   * request per 100 ids. A post unpublished, trashed or made private drops out.
   */
  async stillPublished(ids: readonly string[]): Promise<Set<string>> {
    const listed = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const answer = await this.getJson(
        '/wp/v2/posts',
        { include: chunk.join(','), per_page: '100', _fields: 'id' },
        false,
      );
      if (answer === END) continue;
      for (const post of Array.isArray(answer.json) ? answer.json : []) {
        if (isRecord(post) && (typeof post.id === 'number' || typeof post.id === 'string')) listed.add(String(post.id));
      }
    }
    return listed;
  }

  private defaultRoot(style: 'pretty' | 'query'): URL {
    return style === 'pretty' ? new URL(`${this.base}/wp-json/`) : new URL(`${this.base}/?rest_route=/`);
  }

  private endpoint(api: Api, route: string, params: Record<string, string>): string {
    let url: URL;
    if (api.style === 'pretty') {
      url = new URL(route.replace(/^\//, ''), api.root);
    } else {
      url = new URL(api.root);
      url.searchParams.set('rest_route', route);
    }
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  }

  /** GET a REST route as JSON; END for a page past the last. Resolves the API root on first use. */
  private async getJson(
    route: string,
    params: Record<string, string>,
    pageMayEnd: boolean,
  ): Promise<{ json: unknown; url: string } | typeof END> {
    if (this.api) return judgeResponse(await this.fetch(this.endpoint(this.api, route, params)), pageMayEnd);
    // auto: pretty permalinks first; a redirect, a 404 or an HTML page means they are off.
    const pretty: Api = { style: 'pretty', root: this.defaultRoot('pretty') };
    const asked = this.endpoint(pretty, route, params);
    const first = await this.fetch(asked);
    if (!looksOff(first, asked)) {
      const answer = judgeResponse(first, pageMayEnd);
      this.api = pretty;
      return answer;
    }
    const api = (await this.discover(first)) ?? { style: 'query', root: this.defaultRoot('query') };
    const answer = judgeResponse(await this.fetch(this.endpoint(api, route, params)), pageMayEnd);
    this.api = api;
    return answer;
  }

  /** The API root a site advertises (`Link: <…>; rel="https://api.w.org/"`), unless it is the one that failed. */
  private async discover(failed: FetchResult): Promise<Api | undefined> {
    let link = apiLink(failed.headers.get('link'));
    if (link === undefined) {
      const home = await this.fetch(`${this.base}/`).catch(() => undefined);
      link = apiLink(home?.headers.get('link') ?? null);
    }
    if (link === undefined || !URL.canParse(link, this.base)) return undefined;
    const root = new URL(link, this.base);
    if (root.searchParams.has('rest_route')) return { style: 'query', root };
    if (root.href === this.defaultRoot('pretty').href) return undefined;
    return { style: 'pretty', root: root.href.endsWith('/') ? root : new URL(`${root.href}/`) };
  }

  private async fetch(url: string): Promise<FetchResult> {
    return safeFetch(url, this.policy, { headers: { accept: 'application/json' } }).catch((err: unknown) =>
      fromFetchError(err, `WordPress site ${this.base}`),
    );
  }

  /**
   * `_embed` carries at most 10 terms per taxonomy; when a post lists more ids, fetch the names
   * (once per run) and put the full lists into `_embedded['wp:term']`, where parseWordPressPost reads them.
   */
}
