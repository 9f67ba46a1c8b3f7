/**
 * WordPressClient against a local WordPress stand-in (tests/support/wordpress-server.ts), over real
 * sockets on 127.0.0.1 (hence `allowPrivate: true`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/briefings/sources/source.js';
import {
  WordPressClient,
  type WordPressCursor,
  type WordPressEntry,
  type WordPressSite,
} from '../../src/briefings/sources/wordpress-client.js';
import { parseWordPressPost } from '../../src/briefings/wordpress.js';
import { categoryName, startWordPressServer, type WordPressServer } from '../support/wordpress-server.js';

const servers: WordPressServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function site(options: Parameters<typeof startWordPressServer>[0] = {}): Promise<WordPressServer> {
  const server = await startWordPressServer(options);
  servers.push(server);
  return server;
}

function client(server: WordPressServer, extra: Partial<WordPressSite> = {}): WordPressClient {
  return new WordPressClient({ baseUrl: server.origin, allowPrivate: true, timeoutMs: 5_000, ...extra });
}

async function run(c: WordPressClient, cursor: WordPressCursor = {}): Promise<WordPressEntry[]> {
  const entries: WordPressEntry[] = [];
  for await (const entry of c.changedSince(cursor)) entries.push(entry);
  return entries;
}

function ids(entries: WordPressEntry[]): string[] {
  return entries.flatMap((e) => ('id' in e ? [e.id] : []));
}

async function sourceError(c: WordPressClient, cursor: WordPressCursor = {}): Promise<SourceError> {
  try {
    await run(c, cursor);
  } catch (err) {
    if (err instanceof SourceError) return err;
    throw err;
  }
  throw new Error('expected a SourceError');
}

describe('WordPressClient: changes since a cursor', () => {
  it('yields each of 1,000 posts (ties across pages, one published mid-run) exactly once, then nothing', async () => {
    const server = await site({ posts: 1000, sameSecond: 7 });
    let published: string | undefined;
    server.onRequest = (url) => {
      if (published === undefined && url.searchParams.get('page') === null && server.postRequests().length === 5) {
        published = String(server.publish().id);
      }
    };
    const c = client(server);
    const counts = new Map<string, number>();
    let cursor: WordPressCursor = {};
    let errors = 0;
    for (let runs = 0; runs < 10; runs++) {
      const entries = await run(c, cursor);
      errors += entries.length - ids(entries).length;
      const fresh = ids(entries).filter((id) => !counts.has(id));
      for (const id of ids(entries)) counts.set(id, (counts.get(id) ?? 0) + 1);
      cursor = c.cursor;
      if (fresh.length === 0) break;
    }
    expect(errors).toBe(0);
    expect(published).toBeDefined();
    expect(counts.size).toBe(1001);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.has(published ?? '')).toBe(true);
    expect(cursor.seen).toEqual([published]);

    // Nothing new: at most 2 requests, nothing yielded, cursor unchanged.
    const before = server.requests.length;
    expect(await run(c, cursor)).toEqual([]);
    expect(server.requests.length - before).toBeLessThanOrEqual(2);
    expect(c.cursor).toEqual(cursor);
    // A fresh client (no remembered API root) too.
    const again = server.requests.length;
    expect(await run(client(server), cursor)).toEqual([]);
    expect(server.requests.length - again).toBeLessThanOrEqual(2);
  });

  it('loses nothing when posts are edited and unpublished while it pages', async () => {
    const server = await site({ posts: 500, sameSecond: 7 });
    server.onRequest = () => {
      if (server.postRequests().length === 3) {
        server.unpublish(10);
        server.unpublish(150);
        server.edit(20, 'Edited mid-run');
      }
    };
    const entries = await run(client(server));
    const seen = ids(entries);
    const published = [...server.posts.values()].filter((p) => p.status === 'publish').map((p) => String(p.id));
    for (const id of published) expect(seen).toContain(id);
    // Post 20 comes again in its newer version; every other id once.
    expect(seen.filter((id) => id === '20')).toHaveLength(2);
    expect(seen.length).toBe(new Set(seen).size + 1);
  });

  it('sends the documented query: modified_after with overlap ending in Z, asc by modified, no status', async () => {
    const server = await site({ posts: 3 });
    await run(client(server), { modifiedAfter: '2024-03-01T00:00:00Z', seen: ['1'] });
    const url = server.postRequests()[0];
    expect(url?.pathname).toBe('/wp-json/wp/v2/posts');
    expect(url?.searchParams.get('modified_after')).toBe('2024-02-29T23:59:59Z');
    expect(url?.search).toContain('modified_after=2024-02-29T23%3A59%3A59Z');
    expect(url?.searchParams.get('orderby')).toBe('modified');
    expect(url?.searchParams.get('order')).toBe('asc');
    expect(url?.searchParams.get('per_page')).toBe('100');
    expect(url?.searchParams.get('_embed')).toBe('wp:term,author');
    expect(url?.searchParams.has('status')).toBe(false);
  });

  it('pages through a bulk edit larger than a page (250 posts in one second)', async () => {
    const server = await site({ posts: 250, sameSecond: 250 });
    const entries = await run(client(server));
    expect(new Set(ids(entries)).size).toBe(250);
    expect(ids(entries)).toHaveLength(250);
    // A page that is all one second is not paged on: that second is read on its own, by id, then the walk goes past it.
    const asked = server.postRequests().map((u) => {
      const p = u.searchParams;
      return [p.get('orderby'), p.get('modified_after'), p.get('modified_before'), p.get('page')];
    });
    expect(asked).toEqual([
      ['modified', null, null, null],
      ['id', '2024-02-29T23:59:59Z', '2024-03-01T00:00:01Z', null],
      ['id', '2024-02-29T23:59:59Z', '2024-03-01T00:00:01Z', '2'],
      ['id', '2024-02-29T23:59:59Z', '2024-03-01T00:00:01Z', '3'],
      ['modified', '2024-03-01T00:00:00Z', null, null],
    ]);
  });

  it('the stand-in can return posts sharing a second in a different order on each request', async () => {
    const server = await site({ posts: 250, sameSecond: 250 });
    server.behaviour.unstableTies = true;
    const order = async () => {
      const res = await fetch(
        `${server.origin}/wp-json/wp/v2/posts?orderby=modified&order=asc&per_page=100&_fields=id`,
      );
      return ((await res.json()) as Array<{ id: number }>).map((p) => p.id);
    };
    expect(await order()).not.toEqual(await order());
  });

  it('yields each of 250 posts sharing one modified second exactly once when ties come in an unstable order', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = await site({ posts: 250, sameSecond: 250 });
      server.behaviour.unstableTies = true;
      const c = client(server);
      const seen = ids(await run(c));
      expect(seen).toHaveLength(250);
      expect(new Set(seen).size).toBe(250);
      // And the next run, from the stored cursor, yields nothing again.
      expect(ids(await run(c, c.cursor))).toEqual([]);
    }
  });

  it('yields each of 250 tied posts once, and the edited one again in its new version, when one is edited mid-group', async () => {
    const server = await site({ posts: 250, sameSecond: 250 });
    server.behaviour.unstableTies = true;
    let edited: number | undefined;
    server.onRequest = (url) => {
      // Between the first and second page of the tie group (orderby=id): pages shift under the reader.
      if (edited === undefined && url.searchParams.get('orderby') === 'id' && url.searchParams.get('page') === '2') {
        edited = 5;
        server.edit(edited, 'Edited mid-group');
      }
    };
    const entries = await run(client(server));
    const seen = ids(entries);
    expect(edited).toBe(5);
    expect(new Set(seen).size).toBe(250);
    expect(seen.filter((id) => id === '5')).toHaveLength(2);
    expect(seen).toHaveLength(251);
    const last = entries.filter((e) => 'id' in e && e.id === '5').at(-1);
    expect(last && 'briefing' in last ? last.briefing.title : '').toBe('Edited mid-group');
  });

  it('gives raw posts parseWordPressPost reads, with decoded titles and the cursor time', async () => {
    const server = await site({ posts: 2 });
    const [first] = await run(client(server));
    if (!first || !('raw' in first)) throw new Error('expected a post');
    expect(first.modifiedGmt).toBe('2024-03-01T00:00:00Z');
    const briefing = parseWordPressPost(first.raw, 'wp');
    expect(briefing.title).toBe('Seoul’s chips & Beijing #1');
    expect(briefing.author).toBe('Jane O’Doe');
    expect(briefing.terms).toContain('Politics & Diplomacy 1');
  });

  it('sees edits again, drops unpublished posts and picks up new ones on the next run', async () => {
    const server = await site({ posts: 30 });
    const c = client(server);
    await run(c);
    const cursor = c.cursor;
    server.edit(3, 'Edited title');
    server.unpublish(4);
    const added = server.publish();
    const entries = await run(c, cursor);
    expect(ids(entries)).toEqual(['3', String(added.id)]);
    expect(c.cursor.modifiedAfter).toBe(`${new Date(added.modified).toISOString().slice(0, 19)}Z`);
  });

  it('yields a post it cannot read as an error entry and goes on', async () => {
    const server = await site({ posts: 3 });
    const post = server.posts.get(2);
    if (post) post.title = '';
    const entries = await run(client(server));
    expect(ids(entries)).toEqual(['1', '3']);
    const bad = entries.find((e) => 'error' in e);
    expect(bad && 'error' in bad ? bad.error.reason : '').toBe('title is empty after removing markup');
    expect(bad && 'error' in bad ? bad.origin : '').toBe(`${server.origin}/?p=2`);
  });

  it('copes with a wrong X-WP-TotalPages', async () => {
    for (const totalPages of [1, 40]) {
      const server = await site({ posts: 230, sameSecond: 3 });
      server.behaviour.totalPages = totalPages;
      const entries = await run(client(server));
      expect(new Set(ids(entries)).size).toBe(230);
    }
  });
});

describe('WordPressClient: posts published since a time', () => {
  it('finds a scheduled post that went live without a new modified_gmt, which the cursor poll misses', async () => {
    const server = await site({ posts: 10, start: '2026-03-01T20:00:00Z' });
    const scheduled = server.publish({
      status: 'future',
      date: Date.parse('2026-03-01T21:58:00Z'),
      modified: Date.parse('2026-03-01T19:00:00Z'),
    });
    const c = client(server);
    await run(c);
    const cursor = c.cursor;
    server.publishScheduled(scheduled.id);
    const again = client(server);
    expect(ids(await run(again, cursor))).toEqual([]);
    const swept: WordPressEntry[] = [];
    for await (const e of again.publishedSince(new Date('2026-03-01T21:00:00Z'))) swept.push(e);
    expect(ids(swept)).toEqual([String(scheduled.id)]);
    const url = server.postRequests().at(-1);
    expect(url?.searchParams.get('orderby')).toBe('date');
    expect(url?.searchParams.get('after')).toBe('2026-03-01T21:00:00Z');
  });

  it('does not yield again what the changes already yielded in the same run', async () => {
    const server = await site({ posts: 3, start: '2026-03-01T20:00:00Z' });
    const c = client(server);
    expect(ids(await run(c))).toEqual(['1', '2', '3']);
    const swept: WordPressEntry[] = [];
    for await (const e of c.publishedSince(new Date('2026-03-01T19:00:00Z'))) swept.push(e);
    expect(swept).toEqual([]);
  });

  it('pages 250 posts published in one second, in an unstable order, each once', async () => {
    const server = await site({ posts: 250, sameSecond: 250, start: '2026-03-01T20:00:00Z' });
    server.behaviour.unstableTies = true;
    const swept: WordPressEntry[] = [];
    for await (const e of client(server).publishedSince(new Date('2026-03-01T19:00:00Z'))) swept.push(e);
    expect(ids(swept)).toHaveLength(250);
    expect(new Set(ids(swept)).size).toBe(250);
    expect(server.postRequests().some((u) => u.searchParams.get('before') === '2026-03-01T20:00:01Z')).toBe(true);
  });
});

describe('WordPressClient: still published', () => {
  it('asks in chunks of at most 100 ids and leaves out only the posts that are gone', async () => {
    const server = await site({ posts: 250 });
    server.unpublish(7);
    server.unpublish(180);
    const wanted = Array.from({ length: 250 }, (_, i) => String(i + 1));
    const listed = await client(server).stillPublished(wanted);
    expect(wanted.filter((id) => !listed.has(id))).toEqual(['7', '180']);
    const chunks = server.postRequests().map((u) => u.searchParams.get('include')?.split(',') ?? []);
    expect(chunks.every((chunk) => chunk.length <= 100)).toBe(true);
    expect(new Set(chunks.flat()).size).toBe(250);
  });

  it('is not fooled by an answer that repeats a post in place of another', async () => {
    const server = await site({ posts: 150 });
    server.behaviour.duplicateFirst = true;
    server.unpublish(120);
    const wanted = Array.from({ length: 150 }, (_, i) => String(i + 1));
    const listed = await client(server).stillPublished(wanted);
    expect(wanted.filter((id) => !listed.has(id))).toEqual(['120']);
  });
});

describe('WordPressClient: REST root', () => {
  it('falls back to ?rest_route= when /wp-json/ redirects (plain permalinks), and remembers it', async () => {
    const server = await site({ posts: 5 });
    server.behaviour.permalinks = 'plain';
    const c = client(server);
    expect(ids(await run(c))).toEqual(['1', '2', '3', '4', '5']);
    const last = server.requests.at(-1);
    expect(last?.searchParams.get('rest_route')).toBe('/wp/v2/posts');
    server.requests.length = 0;
    await run(c, c.cursor);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.searchParams.get('rest_route')).toBe('/wp/v2/posts');
  });

  it("uses ?rest_route= directly with restRoute: 'query'", async () => {
    const server = await site({ posts: 5 });
    server.behaviour.permalinks = 'plain';
    expect(ids(await run(client(server, { restRoute: 'query' })))).toHaveLength(5);
    expect(server.requests).toHaveLength(1);
  });
});

describe('WordPressClient: terms beyond the embedded 10', () => {
  it('resolves all 12 category names through /wp/v2/categories', async () => {
    const server = await site({ posts: 2 });
    const twelve = Array.from({ length: 12 }, (_, i) => i + 1);
    server.publish({ categories: twelve, tags: [100] });
    const entries = await run(client(server));
    const last = entries.at(-1);
    if (!last || !('raw' in last)) throw new Error('expected a post');
    const names = parseWordPressPost(last.raw, 'wp').terms;
    for (const id of twelve) expect(names).toContain(categoryName(id).replace('&amp;', '&'));
    const termRequests = server.requests.filter((u) => u.pathname.endsWith('/wp/v2/categories'));
    expect(termRequests).toHaveLength(1);
    expect(termRequests[0]?.searchParams.get('include')?.split(',')).toHaveLength(12);
    expect(server.requests.some((u) => u.pathname.endsWith('/wp/v2/tags'))).toBe(false);
  });
});

describe('WordPressClient: broken sites', () => {
  const cases: Array<{
    name: string;
    set: (s: WordPressServer) => void;
    code: string;
    retryable: boolean;
    says: RegExp;
    extra?: Partial<WordPressSite>;
  }> = [
    {
      name: 'REST API disabled',
      set: (s) => {
        s.behaviour.restDisabled = true;
      },
      code: 'WP_REST_UNAVAILABLE',
      retryable: false,
      says: /HTTP 404 \(rest_no_route/,
    },
    {
      name: 'HTML page with status 200',
      set: (s) => {
        s.behaviour.html = true;
      },
      code: 'WP_NOT_JSON',
      retryable: false,
      says: /HTML page instead of JSON/,
    },
    {
      name: 'truncated JSON',
      set: (s) => {
        s.behaviour.truncate = true;
      },
      code: 'WP_BAD_JSON',
      retryable: true,
      says: /truncated or malformed JSON/,
    },
    {
      name: '400 rest_invalid_param',
      set: (s) => {
        s.behaviour.fail = { status: 400, code: 'rest_invalid_param', message: 'Invalid parameter(s): modified_after' };
      },
      code: 'WP_INVALID_PARAM',
      retryable: false,
      says: /rest_invalid_param: Invalid parameter\(s\): modified_after/,
    },
    {
      name: '401',
      set: (s) => {
        s.behaviour.fail = { status: 401, code: 'rest_not_logged_in', message: 'You are not currently logged in.' };
      },
      code: 'WP_UNAUTHORIZED',
      retryable: false,
      says: /HTTP 401 .*requires authentication/,
    },
    {
      name: '403',
      set: (s) => {
        s.behaviour.fail = { status: 403, code: 'rest_forbidden', message: 'Sorry, you are not allowed to do that.' };
      },
      code: 'WP_FORBIDDEN',
      retryable: false,
      says: /HTTP 403/,
    },
    {
      name: '503',
      set: (s) => {
        s.behaviour.fail = { status: 503, code: 'maintenance', message: 'Briefly unavailable for maintenance.' };
      },
      code: 'HTTP_503',
      retryable: true,
      says: /HTTP 503/,
    },
    {
      name: '429',
      set: (s) => {
        s.behaviour.fail = { status: 429, code: 'too_many', message: 'Slow down.' };
      },
      code: 'HTTP_429',
      retryable: true,
      says: /HTTP 429/,
    },
    {
      name: 'slow body',
      set: (s) => {
        s.behaviour.slowMs = 2_000;
      },
      code: 'FETCH_TIMEOUT',
      retryable: true,
      says: /timed out after 300 ms/,
      extra: { timeoutMs: 300 },
    },
    {
      name: 'huge body',
      set: (s) => {
        s.behaviour.hugeBytes = 300_000;
      },
      code: 'FETCH_TOO_LARGE',
      retryable: false,
      says: /larger than 100000 bytes/,
      extra: { maxBytes: 100_000 },
    },
  ];

  for (const { name, set, code, retryable, says, extra } of cases) {
    it(`${name} → SourceError ${code}`, async () => {
      const server = await site({ posts: 5 });
      set(server);
      const err = await sourceError(client(server, extra));
      expect(err.code).toBe(code);
      expect(err.retryable).toBe(retryable);
      expect(err.message).toMatch(says);
      expect(err.message).toContain(server.origin);
      expect(err.message.length).toBeLessThan(400);
    });
  }

  it('the stand-in rejects a modified_after with a space, as WordPress does', async () => {
    const server = await site({ posts: 1 });
    const res = await fetch(`${server.origin}/wp-json/wp/v2/posts?modified_after=2024-03-01%2000:00:00`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('rest_invalid_param');
  });
});
