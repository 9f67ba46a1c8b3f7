/**
 * A local stand-in for a WordPress 6.x REST API (node:http on 127.0.0.1, port 0), enough for the
 * WordPress client: `/wp/v2/posts` with `modified_after` (exclusive), `orderby`/`order`, `per_page`,
 * `modified_before`, `after`/`before` (publication time; all four exclusive), `page`, `_embed` (terms
 * capped at 10 per taxonomy, as core embeds them), the real paging headers
 * and error bodies, `/wp/v2/categories` and `/wp/v2/tags` with `include`, both `/wp-json/…` and
 * `?rest_route=…`, and a home page advertising the API root in `Link`. Knobs in
 * {@link WordPressServer.behaviour} switch on broken sites; posts can be edited, unpublished and
 * published between (or during, through `onRequest`) runs. Anonymous: only published posts show.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WpPost {
  id: number;
  /** Epoch ms, whole seconds. */
  date: number;
  modified: number;
  /** `future`: scheduled, not yet visible; WordPress publishes it later without touching `modified`. */
  status: 'publish' | 'draft' | 'future';
  title: string;
  content: string;
  categories: number[];
  tags: number[];
  /** Fields of the REST answer to replace as they are (an empty `modified_gmt`, say). */
  raw?: Record<string, unknown>;
}

export interface WpBehaviour {
  /** `plain`: `/wp-json/…` answers 301 to the home page; the API lives at `?rest_route=`. */
  permalinks: 'pretty' | 'plain';
  /** REST API off: every route answers 404 `rest_no_route`. */
  restDisabled: boolean;
  /** API routes answer 200 with an HTML page (a cache or login page in front). */
  html: boolean;
  /** Post lists are cut off halfway through the JSON. */
  truncate: boolean;
  /** X-WP-TotalPages says this instead of the truth. */
  totalPages?: number;
  /** Delay before the body of API answers, in ms. */
  slowMs?: number;
  /** Pad post lists with a post whose content has this many bytes. */
  hugeBytes?: number;
  /** Answer every API request with this status and WordPress error. */
  fail?: { status: number; code: string; message: string };
  /**
   * Posts sharing an `orderby` value come in a different order on each request, as MariaDB
   * returns ties (WordPress adds no tie-break to `orderby=modified` or `date`). Default: by id.
   */
  unstableTies?: boolean;
  /** Post lists of two or more repeat their first post in place of their last (the page stays as long). */
  duplicateFirst?: boolean;
  /** A `_fields` request answers an empty list (as a caching layer that drops the query might). */
  emptyFields?: boolean;
}

export interface WordPressServer {
  readonly origin: string;
  readonly posts: Map<number, WpPost>;
  /** Every request, in order (path and query as received). */
  readonly requests: URL[];
  behaviour: WpBehaviour;
  /** Runs before each request is answered (mutate posts mid-pagination here). */
  onRequest: ((url: URL, index: number) => void) | undefined;
  /** Requests to the posts route. */
  postRequests(): URL[];
  /** A newer `modified`, as saving it in the editor does. */
  edit(id: number, title?: string): WpPost;
  unpublish(id: number): void;
  /** A new published post with `date = modified = now`. */
  publish(overrides?: Partial<Omit<WpPost, 'id'>>): WpPost;
  /** A scheduled post going live, as WP-Cron does it: `status` becomes `publish`, `modified` stays. */
  publishScheduled(id: number): WpPost;
  reset(): void;
  close(): Promise<void>;
}

export interface WordPressServerOptions {
  /** @defaultValue 25 */
  posts?: number;
  /** Posts sharing one `modified` second, so ties straddle page boundaries. @defaultValue 7 */
  sameSecond?: number;
  /** @defaultValue 2024-03-01T00:00:00Z */
  start?: string;
}

const CATEGORY_NAMES = ['News', 'Politics &amp; Diplomacy', 'Economy', 'Tech', 'Culture', 'Sport'];

export function categoryName(id: number): string {
  return `${CATEGORY_NAMES[id % CATEGORY_NAMES.length] ?? 'Category'} ${id}`;
}

function term(id: number, taxonomy: 'category' | 'post_tag', origin: string) {
  const name = taxonomy === 'category' ? categoryName(id) : `Tag ${id}`;
  const slug = name
    .toLowerCase()
    .replace(/&amp;/g, '')
    .replace(/[^a-z0-9]+/g, '-');
  const base = taxonomy === 'category' ? 'category' : 'tag';
  return { id, link: `${origin}/${base}/${slug}/`, name, slug, taxonomy };
}

function wpTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

const TIME_PARAMS = ['modified_after', 'modified_before', 'after', 'before'] as const;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

export async function startWordPressServer(options: WordPressServerOptions = {}): Promise<WordPressServer> {
  const start = Date.parse(options.start ?? '2024-03-01T00:00:00Z');
  const sameSecond = options.sameSecond ?? 7;
  const posts = new Map<number, WpPost>();
  let clock = start;
  let nextId = 1;
  const defaults = (): WpBehaviour => ({ permalinks: 'pretty', restDisabled: false, html: false, truncate: false });
  const add = (p: Omit<WpPost, 'id'>): WpPost => {
    const post = { id: nextId++, ...p };
    posts.set(post.id, post);
    return post;
  };
  for (let i = 0; i < (options.posts ?? 25); i++) {
    const at = start + Math.floor(i / sameSecond) * 1000;
    add({
      date: at,
      modified: at,
      status: 'publish',
      title: `Seoul&#8217;s chips &#038; Beijing #${i + 1}`,
      content: `<p>Lead paragraph of post ${i + 1}.</p><p>More text.</p>`,
      categories: [1 + (i % 5)],
      tags: [100 + (i % 3)],
    });
    clock = at;
  }
  const tick = () => {
    clock += 1000;
    return clock;
  };

  const requests: URL[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', state.origin);
    requests.push(url);
    state.onRequest?.(url, requests.length - 1);
    handle(url, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const json = async (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    const b = state.behaviour;
    let text = JSON.stringify(body);
    if (b.truncate && Array.isArray(body)) text = text.slice(0, Math.floor(text.length / 2));
    if (b.html) {
      return send(
        res,
        200,
        '<!DOCTYPE html><html><head><title>Just a moment…</title></head><body>Cache</body></html>',
        {
          'content-type': 'text/html; charset=UTF-8',
        },
      );
    }
    return send(res, status, text, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  };
  const send = async (res: http.ServerResponse, status: number, text: string, headers: Record<string, string>) => {
    const body = Buffer.from(text);
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    res.flushHeaders();
    const slow = state.behaviour.slowMs;
    if (slow) await new Promise((r) => setTimeout(r, slow));
    if (!res.destroyed) res.end(body);
  };
  const wpError = (res: http.ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { code, message, data: { status } });

  async function handle(url: URL, res: http.ServerResponse): Promise<void> {
    const b = state.behaviour;
    let route: string | undefined;
    if (url.pathname.startsWith('/wp-json')) {
      if (b.permalinks === 'plain') {
        res.writeHead(301, { location: `${state.origin}/` });
        res.end();
        return;
      }
      route = url.pathname.slice('/wp-json'.length) || '/';
    } else if (url.searchParams.has('rest_route')) {
      route = url.searchParams.get('rest_route') ?? '/';
    }
    if (route === undefined) {
      const root = b.permalinks === 'plain' ? `${state.origin}/?rest_route=/` : `${state.origin}/wp-json/`;
      const link = b.restDisabled ? {} : { link: `<${root}>; rel="https://api.w.org/"` };
      res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8', ...link });
      res.end('<!DOCTYPE html><html><head><title>Example site</title></head><body>Home</body></html>');
      return;
    }
    if (b.restDisabled)
      return wpError(res, 404, 'rest_no_route', 'No route was found matching the URL and request method.');
    if (b.fail) return wpError(res, b.fail.status, b.fail.code, b.fail.message);
    route = route.replace(/\/+$/, '') || '/';
    if (route === '/') return json(res, 200, { name: 'Example', url: state.origin, namespaces: ['wp/v2'] });
    if (route === '/wp/v2/posts') return listPosts(url, res);
    if (route === '/wp/v2/categories' || route === '/wp/v2/tags') return listTerms(url, res, route);
    return wpError(res, 404, 'rest_no_route', 'No route was found matching the URL and request method.');
  }

  function paging(url: URL, res: http.ServerResponse): { perPage: number; page: number } | undefined {
    const perPage = Number(url.searchParams.get('per_page') ?? '10');
    const page = Number(url.searchParams.get('page') ?? '1');
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      void wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): per_page');
      return undefined;
    }
    if (!Number.isInteger(page) || page < 1) {
      void wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): page');
      return undefined;
    }
    return { perPage, page };
  }

  async function listPosts(url: URL, res: http.ServerResponse): Promise<void> {
    const p = url.searchParams;
    if (p.has('status') && p.get('status') !== 'publish') {
      return wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): status');
    }
    const bounds: Partial<Record<(typeof TIME_PARAMS)[number], number>> = {};
    for (const name of TIME_PARAMS) {
      const value = p.get(name);
      if (value === null) continue;
      if (!RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
        return wpError(res, 400, 'rest_invalid_param', `Invalid parameter(s): ${name}`);
      }
      bounds[name] = Date.parse(/[Zz]|[+-]\d{2}:\d{2}$/.test(value) ? value : `${value}Z`);
    }
    const orderby = p.get('orderby') ?? 'date';
    if (!['date', 'modified', 'id', 'include'].includes(orderby)) {
      return wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): orderby');
    }
    const paged = paging(url, res);
    if (!paged) return;
    const asked = (p.get('include') ?? '').split(',');
    const key = (q: WpPost) =>
      orderby === 'modified'
        ? q.modified
        : orderby === 'date'
          ? q.date
          : orderby === 'include'
            ? asked.indexOf(String(q.id))
            : q.id;
    const dir = (p.get('order') ?? 'desc') === 'asc' ? 1 : -1;
    const shuffle = new Map<number, number>();
    const tie = (q: WpPost) => {
      if (!state.behaviour.unstableTies) return q.id;
      if (!shuffle.has(q.id)) shuffle.set(q.id, Math.random());
      return shuffle.get(q.id) ?? 0;
    };
    const within = (t: number, after?: number, before?: number) =>
      (after === undefined || t > after) && (before === undefined || t < before);
    const matching = [...posts.values()]
      .filter((q) => q.status === 'publish')
      .filter((q) => within(q.modified, bounds.modified_after, bounds.modified_before))
      .filter((q) => within(q.date, bounds.after, bounds.before))
      .filter((q) => !p.get('include') || (p.get('include') ?? '').split(',').includes(String(q.id)))
      .sort((a, z) => dir * (key(a) - key(z)) || dir * (tie(a) - tie(z)));
    const total = matching.length;
    const totalPages = Math.ceil(total / paged.perPage);
    if (paged.page > 1 && paged.page > totalPages) {
      return wpError(
        res,
        400,
        'rest_post_invalid_page_number',
        'The page number requested is larger than the number of pages available.',
      );
    }
    const slice = matching.slice((paged.page - 1) * paged.perPage, paged.page * paged.perPage);
    const embed = p.has('_embed');
    const fields = p.get('_fields')?.split(',');
    const body: unknown[] = slice
      .map((q) => render(q, embed))
      .map((r) => (fields ? Object.fromEntries(fields.map((f) => [f, r[f]])) : r));
    if (state.behaviour.duplicateFirst && body.length >= 2) body[body.length - 1] = body[0];
    if (fields && state.behaviour.emptyFields) body.length = 0;
    const huge = state.behaviour.hugeBytes;
    if (huge)
      body.push({
        ...render(
          slice[0] ?? {
            id: 0,
            date: clock,
            modified: clock,
            status: 'publish',
            title: 'Pad',
            content: '',
            categories: [],
            tags: [],
          },
          false,
        ),
        content: { rendered: 'x'.repeat(huge) },
      });
    const headers: Record<string, string> = {
      'x-wp-total': String(total),
      'x-wp-totalpages': String(state.behaviour.totalPages ?? totalPages),
    };
    const links: string[] = [];
    const at = (n: number) => {
      const u = new URL(url);
      u.searchParams.set('page', String(n));
      return u.href;
    };
    if (paged.page > 1) links.push(`<${at(paged.page - 1)}>; rel="prev"`);
    if (paged.page < totalPages) links.push(`<${at(paged.page + 1)}>; rel="next"`);
    if (links.length > 0) headers.link = links.join(', ');
    return json(res, 200, body, headers);
  }

  async function listTerms(url: URL, res: http.ServerResponse, route: string): Promise<void> {
    const taxonomy = route.endsWith('categories') ? 'category' : 'post_tag';
    const paged = paging(url, res);
    if (!paged) return;
    const include = [url.searchParams.get('include') ?? '', ...url.searchParams.getAll('include[]')]
      .join(',')
      .split(',')
      .filter((s) => s !== '')
      .map(Number);
    const used = new Set([...posts.values()].flatMap((q) => (taxonomy === 'category' ? q.categories : q.tags)));
    const ids = (include.length > 0 ? include.filter((id) => used.has(id)) : [...used]).sort((a, z) => a - z);
    const slice = ids.slice((paged.page - 1) * paged.perPage, paged.page * paged.perPage);
    return json(
      res,
      200,
      slice.map((id) => ({ ...term(id, taxonomy, state.origin), count: 1, description: '', parent: 0 })),
      {
        'x-wp-total': String(ids.length),
        'x-wp-totalpages': String(Math.ceil(ids.length / paged.perPage)),
      },
    );
  }

  function blank(): Omit<WpPost, 'id'> {
    const at = tick();
    return {
      date: at,
      modified: at,
      status: 'publish',
      title: 'New post',
      content: '<p>New.</p>',
      categories: [],
      tags: [],
    };
  }

  function render(q: WpPost, embed: boolean): Record<string, unknown> {
    const o = state.origin;
    const post: Record<string, unknown> = {
      id: q.id,
      date: wpTime(q.date),
      date_gmt: wpTime(q.date),
      guid: { rendered: `${o}/?p=${q.id}` },
      modified: wpTime(q.modified),
      modified_gmt: wpTime(q.modified),
      slug: `post-${q.id}`,
      status: q.status,
      type: 'post',
      link: `${o}/${new Date(q.date).toISOString().slice(0, 10).replace(/-/g, '/')}/post-${q.id}/`,
      title: { rendered: q.title },
      content: { rendered: q.content, protected: false },
      excerpt: { rendered: '', protected: false },
      author: 3,
      featured_media: 0,
      comment_status: 'open',
      sticky: false,
      format: 'standard',
      meta: { footnotes: '' },
      categories: q.categories,
      tags: q.tags,
      class_list: [`post-${q.id}`, 'type-post', 'status-publish'],
      _links: {
        self: [{ href: `${o}/wp-json/wp/v2/posts/${q.id}` }],
        author: [{ embeddable: true, href: `${o}/wp-json/wp/v2/users/3` }],
        'wp:term': [
          { taxonomy: 'category', embeddable: true, href: `${o}/wp-json/wp/v2/categories?post=${q.id}` },
          { taxonomy: 'post_tag', embeddable: true, href: `${o}/wp-json/wp/v2/tags?post=${q.id}` },
        ],
      },
      ...q.raw,
    };
    if (embed) {
      post._embedded = {
        author: [{ id: 3, name: 'Jane O&#8217;Doe', slug: 'jane' }],
        'wp:term': [
          q.categories.slice(0, 10).map((id) => term(id, 'category', o)),
          q.tags.slice(0, 10).map((id) => term(id, 'post_tag', o)),
        ],
      };
    }
    return post;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: WordPressServer = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    requests,
    behaviour: defaults(),
    onRequest: undefined,
    postRequests: () =>
      requests.filter(
        (u) => u.pathname.endsWith('/wp/v2/posts') || u.searchParams.get('rest_route') === '/wp/v2/posts',
      ),
    edit(id, title) {
      const post = posts.get(id);
      if (!post) throw new Error(`no post ${id}`);
      post.modified = tick();
      if (title !== undefined) post.title = title;
      return post;
    },
    unpublish(id) {
      const post = posts.get(id);
      if (!post) throw new Error(`no post ${id}`);
      post.status = 'draft';
      post.modified = tick();
    },
    publish(overrides = {}) {
      return add({ ...blank(), ...overrides });
    },
    publishScheduled(id) {
      const post = posts.get(id);
      if (!post) throw new Error(`no post ${id}`);
      post.status = 'publish';
      return post;
    },
    reset() {
      state.behaviour = defaults();
      state.onRequest = undefined;
      requests.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
