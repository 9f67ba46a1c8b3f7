import type { ParsedBriefing } from '../briefing.js';
import { DocumentError } from '../errors.js';
import { DEFAULT_FETCH_POLICY, type FetchPolicy, type FetchResult, safeFetch } from './fetch.js';
import { fromFetchError, SourceError } from './source.js';
import { type Answer, END, judgeResponse } from './wordpress-answers.js';
import {
  apiLink,
  cursorTime,
  excerpt,
  isoSeconds,
  isRecord,
  looksOff,
  type PostMeta,
  parse,
  postId,
  postMeta,
} from './wordpress-posts.js';
import { completeTerms, type Term } from './wordpress-terms.js';

/**
 * Polls a WordPress site's REST API (`/wp/v2/posts`) for posts changed since a cursor, anonymously
 * (so only published posts are seen; `status` is never sent). All HTTP goes through safeFetch.
 *
 * Pagination is keyset-first: each query asks for `modified_after = high-water mark − overlap`,
 * ordered by `modified` ascending. After a full page, the next query starts again from the new mark
 * (page 1), so posts edited, unpublished or published while the run pages cannot shift a not-yet-read
 * post past the cursor. WordPress adds no tie-break to `orderby=modified` and MariaDB does not keep
 * the order of ties from one page to the next, so a page that is all one second (a bulk edit larger
 * than a page) is never paged on: that second is read on its own (`modified_after` and
 * `modified_before` one second either side, `orderby=id`, which is stable), page by page, again from
 * page 1 whenever `X-WP-Total` changes under it; the walk then goes on after that second.
 * {@link WordPressClient.publishedSince} walks publication times (`after`, `orderby=date`) the same way.
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
  | { error: DocumentError; origin: string; excerpt: string; documentId?: string };

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

/** A time axis to page along: the order, its exclusive bounds, and which post time it compares. */
interface Axis {
  orderby: 'modified' | 'date';
  after: 'modified_after' | 'after';
  before: 'modified_before' | 'before';
  time: 'modified' | 'published';
}
const MODIFIED: Axis = { orderby: 'modified', after: 'modified_after', before: 'modified_before', time: 'modified' };
const PUBLISHED: Axis = { orderby: 'date', after: 'after', before: 'before', time: 'published' };

/** How far a walk got: the greatest time yielded and the ids yielded at exactly that time. */
interface Mark {
  high: number | undefined;
  atHigh: Set<string>;
}

/** A page of posts as read: the posts, how many the page held, and those refused for their size. */
interface Page {
  posts: unknown[];
  url: string;
  total?: number;
  count: number;
  refused: WordPressEntry[];
}

const tooLarge = (err: unknown): boolean => err instanceof SourceError && err.code === 'FETCH_TOO_LARGE';

/** Per run: the version of each post yielded (id → modified), terms fetched, requests made. */
interface RunState {
  yielded: Map<string, number>;
  terms: Map<string, Term | null>;
  requests: number;
}

const MAX_REQUESTS_PER_RUN = 10_000;

export class WordPressClient {
  private readonly sourceId: string;
  private readonly base: string;
  private readonly policy: FetchPolicy;
  private readonly perPage: number;
  private readonly overlapMs: number;
  private api: Api | undefined;
  private current: WordPressCursor = {};
  private run: RunState | undefined;

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
    const high = cursor.modifiedAfter === undefined ? undefined : cursorTime(cursor.modifiedAfter);
    const mark: Mark = { high, atHigh: new Set(high === undefined ? [] : (cursor.seen ?? [])) };
    const track = () => {
      if (mark.high !== undefined) this.current = { modifiedAfter: isoSeconds(mark.high), seen: [...mark.atHigh] };
    };
    this.current = {};
    track();
    this.run = { yielded: new Map(), terms: new Map(), requests: 0 };
    yield* this.walk(MODIFIED, mark, high === undefined ? undefined : high - this.overlapMs, track);
    return this.cursor;
  }

  /**
   * Published posts whose publication time is after `after`, oldest first, skipping the versions
   * {@link changedSince} already yielded in this run. This catches scheduled posts: WordPress
   * publishes them without touching `modified_gmt`, so a `modified_after` poll never sees them.
   * Does not move the cursor.
   */
  async *publishedSince(after: Date): AsyncGenerator<WordPressEntry> {
    this.run ??= { yielded: new Map(), terms: new Map(), requests: 0 };
    const from = Math.floor(after.getTime() / 1000) * 1000;
    yield* this.walk(PUBLISHED, { high: undefined, atHigh: new Set() }, from, () => {});
  }

  /**
   * Which of `ids` the site still lists as published (anonymous reads see only those): one
   * request per 100 ids. A post unpublished, trashed or made private drops out. An answer that
   * repeats a post, or holds one not asked for, may have put it where an asked-for post should be:
   * the ones it left out are asked for again before they count as gone.
   */
  async stillPublished(ids: readonly string[]): Promise<Set<string>> {
    const listed = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      let pending = [...new Set(ids.slice(i, i + 100))];
      while (pending.length > 0) {
        const answer = await this.getJson(
          '/wp/v2/posts',
          { include: pending.join(','), per_page: '100', _fields: 'id' },
          false,
        );
        if (answer === END) break;
        const asked = new Set(pending);
        const got = (Array.isArray(answer.json) ? answer.json : []).flatMap((post: unknown) =>
          isRecord(post) && (typeof post.id === 'number' || typeof post.id === 'string') ? [String(post.id)] : [],
        );
        const found = new Set(got.filter((id) => asked.has(id)));
        for (const id of found) listed.add(id);
        // A repeated or foreign post may stand where an asked-for one should be: ask for the rest again.
        const suspect = found.size < got.length;
        const missing = pending.filter((id) => !found.has(id));
        if (!suspect || missing.length === pending.length) break;
        pending = missing;
      }
    }
    return listed;
  }

  /** Keyset walk along one time axis from `after` (exclusive; undefined: from the oldest post). */
  private async *walk(
    axis: Axis,
    mark: Mark,
    from: number | undefined,
    track: () => void,
  ): AsyncGenerator<WordPressEntry> {
    let after = from;
    let page = 1;
    for (;;) {
      const params = this.query(axis.orderby, page);
      if (after !== undefined) params[axis.after] = isoSeconds(after);
      const answer = await this.posts(params, page > 1);
      if (answer === END) return;
      yield* answer.refused;
      let lowest = Number.POSITIVE_INFINITY;
      let highest = Number.NEGATIVE_INFINITY;
      for (const [index, raw] of answer.posts.entries()) {
        const meta = postMeta(raw);
        if (meta instanceof DocumentError) {
          yield this.refused(raw, meta, `${answer.url}#${index}`);
          continue;
        }
        lowest = Math.min(lowest, meta[axis.time]);
        highest = Math.max(highest, meta[axis.time]);
        yield* this.accept(raw, meta, axis, mark, track);
      }
      if (answer.count < this.perPage) return;
      const next = mark.high === undefined ? undefined : mark.high - this.overlapMs;
      if (lowest === highest) {
        // One second fills the page: read that second on its own, in a stable order, then go past it.
        yield* this.tieGroup(axis, lowest, mark, track);
        after = lowest;
        page = 1;
      } else if (next !== undefined && next !== after) {
        after = next;
        page = 1;
      } else {
        page += 1; // no headway (a page of unreadable or already-seen posts): step on
      }
    }
  }

  /** Every post at exactly `second` on `axis`, by id, from page 1 again whenever the total changes. */
  private async *tieGroup(axis: Axis, second: number, mark: Mark, track: () => void): AsyncGenerator<WordPressEntry> {
    let page = 1;
    let total: number | undefined;
    for (;;) {
      const params = { ...this.query('id', page), [axis.after]: isoSeconds(second - 1000) };
      params[axis.before] = isoSeconds(second + 1000);
      const answer = await this.posts(params, page > 1);
      if (answer === END) {
        // Past the last page: fine unless posts left the second since page 1 (then pages shifted).
        if (total === undefined || (page - 1) * this.perPage >= total) return;
        total = undefined;
        page = 1;
        continue;
      }
      yield* answer.refused;
      for (const [index, raw] of answer.posts.entries()) {
        const meta = postMeta(raw);
        if (meta instanceof DocumentError) yield this.refused(raw, meta, `${answer.url}#${index}`);
        else yield* this.accept(raw, meta, axis, mark, track);
      }
      const changed = total !== undefined && answer.total !== undefined && answer.total !== total;
      total = answer.total;
      if (changed) page = 1;
      else if (answer.count < this.perPage) return;
      else page += 1;
    }
  }

  /** A post that could not be read, with its id and `?p=` address when it has an id. */
  private refused(raw: unknown, error: DocumentError, fallback: string): WordPressEntry {
    const id = postId(raw);
    if (id === undefined) return { error, origin: fallback, excerpt: excerpt(raw) };
    return { error, origin: `${this.base}/?p=${id}`, excerpt: excerpt(raw), documentId: id };
  }

  /** Yield a post unless it is behind the mark or this version was yielded in this run; advance the mark. */
  private async *accept(
    raw: unknown,
    meta: PostMeta,
    axis: Axis,
    mark: Mark,
    track: () => void,
  ): AsyncGenerator<WordPressEntry> {
    const { id, modified } = meta;
    const t = meta[axis.time];
    if (mark.high !== undefined && (t < mark.high || (t === mark.high && mark.atHigh.has(id)))) return;
    const yielded = this.state().yielded;
    const before = yielded.get(id);
    if (before !== undefined && before >= modified) return;
    if (mark.high === undefined || t > mark.high) {
      mark.high = t;
      mark.atHigh = new Set([id]);
    } else {
      mark.atHigh.add(id);
    }
    yielded.set(id, modified);
    track();
    const briefing = parse(raw, this.sourceId);
    if (briefing instanceof DocumentError) yield this.refused(raw, briefing, `${this.base}/?p=${id}`);
    else yield { raw, briefing, id, modifiedGmt: isoSeconds(modified) };
  }

  private query(orderby: 'modified' | 'date' | 'id', page: number): Record<string, string> {
    const params: Record<string, string> = {
      orderby,
      order: 'asc',
      per_page: String(this.perPage),
      _embed: 'wp:term,author',
    };
    if (page > 1) params.page = String(page);
    return params;
  }

  /**
   * One page of posts; END past the last page. A page over `maxBytes` is read again in halves
   * (`include` of its ids, learnt from a `_fields=id` answer), down to single posts: a post too
   * large by itself is refused with its id and the rest of the page is read. `count` is how many
   * posts the page held, refused ones included.
   */
  private async posts(params: Record<string, string>, pageMayEnd: boolean): Promise<Page | typeof END> {
    try {
      const whole = await this.fetchPosts(params, pageMayEnd);
      return whole === END ? END : { ...whole, count: whole.posts.length, refused: [] };
    } catch (err) {
      if (!tooLarge(err)) throw err;
    }
    const { _embed, ...plain } = params;
    const listed = await this.getJson('/wp/v2/posts', { ...plain, _fields: 'id' }, pageMayEnd);
    if (listed === END) return END;
    const ids = (Array.isArray(listed.json) ? listed.json : []).flatMap((p: unknown) => postId(p) ?? []);
    // A page too large to read whose ids cannot be listed would pass for an empty one and end
    // the walk with its posts unread: the run fails instead, saying so (the cursor stays).
    if (ids.length === 0) {
      throw new SourceError(
        'WP_PAGE_UNREADABLE',
        `${listed.url}: the page is over ${this.policy.maxBytes} bytes and its _fields=id answer lists no post ids`,
        true,
      );
    }
    const page: Page = { posts: [], url: listed.url, count: ids.length, refused: [] };
    const read = async (chunk: string[]): Promise<void> => {
      try {
        const query = { include: chunk.join(','), orderby: 'include', order: 'asc', per_page: String(chunk.length) };
        const part = await this.fetchPosts(_embed === undefined ? query : { ...query, _embed }, false);
        if (part !== END) page.posts.push(...part.posts);
      } catch (err) {
        if (!tooLarge(err)) throw err;
        const [id, ...rest] = chunk;
        if (rest.length === 0 && id !== undefined) {
          const error = new DocumentError(
            'DOCUMENT_UNREADABLE',
            `post is larger than ${this.policy.maxBytes} bytes by itself`,
          );
          page.refused.push({ error, origin: `${this.base}/?p=${id}`, excerpt: `{"id":${id}}`, documentId: id });
          return;
        }
        const half = Math.ceil(chunk.length / 2);
        await read(chunk.slice(0, half));
        await read(chunk.slice(half));
      }
    };
    await read(ids);
    // In the page's own order (the walk's keyset relies on it), whatever order the pieces came in.
    const at = new Map(ids.map((id, i) => [id, i]));
    page.posts.sort((a, z) => (at.get(postId(a) ?? '') ?? 0) - (at.get(postId(z) ?? '') ?? 0));
    return page;
  }

  /** One page of posts, with terms beyond the embedded 10 filled in; END past the last page. */
  private async fetchPosts(
    params: Record<string, string>,
    pageMayEnd: boolean,
  ): Promise<{ posts: unknown[]; url: string; total?: number } | typeof END> {
    const run = this.state();
    if (run.requests++ >= MAX_REQUESTS_PER_RUN) {
      throw new SourceError(
        'WP_TOO_MANY_REQUESTS',
        `${this.base}: gave up after ${run.requests - 1} requests in one run`,
        true,
      );
    }
    const answer = await this.getJson('/wp/v2/posts', params, pageMayEnd);
    if (answer === END) return END;
    if (!Array.isArray(answer.json)) {
      throw new SourceError('WP_NOT_JSON', `${answer.url} answered JSON that is not a list of posts`, false);
    }
    const posts: unknown[] = answer.json;
    await completeTerms(posts, run.terms, async (path, ids) => {
      const terms = await this.getJson(path, { include: ids.join(','), per_page: '100' }, false);
      return terms === END ? null : Array.isArray(terms.json) ? terms.json : [];
    });
    return { posts, url: answer.url, ...(answer.total === undefined ? {} : { total: answer.total }) };
  }

  private state(): RunState {
    this.run ??= { yielded: new Map(), terms: new Map(), requests: 0 };
    return this.run;
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
  ): Promise<Answer | typeof END> {
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
