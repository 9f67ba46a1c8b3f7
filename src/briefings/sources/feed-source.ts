import type { CursorStore } from '../cursors.js';
import { DocumentError } from '../errors.js';
import { parseFeed } from '../feed.js';
import { safeFetch } from './fetch.js';
import { fromFetchError, retryableStatus, type SourceEntry, SourceError, type SourceRun } from './source.js';

export interface FeedSource {
  id: string;
  url: string;
  allowPrivate: boolean;
  timeoutSeconds: number;
  maxBytes: number;
}

interface FeedCursor {
  etag?: string;
  lastModified?: string;
}

/**
 * An RSS 2.0 or Atom feed, fetched with ETag / Last-Modified: an unchanged feed answers 304 and
 * yields nothing. Items are upserted by guid/id, so re-reading a feed stores nothing twice.
 */
export function feedRun(source: FeedSource, cursors: CursorStore): SourceRun {
  let next: FeedCursor | null = null;
  async function* entries(): AsyncGenerator<SourceEntry> {
    const cursor = (await cursors.get<FeedCursor>(source.id)) ?? {};
    const headers: Record<string, string> = {
      accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1',
    };
    if (cursor.etag) headers['if-none-match'] = cursor.etag;
    if (cursor.lastModified) headers['if-modified-since'] = cursor.lastModified;
    const policy = {
      timeoutMs: source.timeoutSeconds * 1000,
      maxBytes: source.maxBytes,
      allowPrivate: source.allowPrivate,
      maxRedirects: 5,
    };
    const res = await safeFetch(source.url, policy, { headers }).catch((err) =>
      fromFetchError(err, `feed ${source.url}`),
    );
    if (res.status === 304) return;
    if (res.status < 200 || res.status >= 300) {
      throw new SourceError(
        `HTTP_${res.status}`,
        `${source.url} answered HTTP ${res.status}`,
        retryableStatus(res.status),
      );
    }
    let feed: ReturnType<typeof parseFeed>;
    try {
      feed = parseFeed(res.body.toString('utf8'), source.id, { maxBytes: source.maxBytes });
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
      yield { rejected: { origin: source.url, error: err, excerpt: res.body.subarray(0, 2000).toString('utf8') } };
      return;
    }
    for (const briefing of feed.items) yield { briefing };
    for (const rejected of feed.rejected) yield { rejected };
    next = {
      ...(res.headers.get('etag') ? { etag: res.headers.get('etag') as string } : {}),
      ...(res.headers.get('last-modified') ? { lastModified: res.headers.get('last-modified') as string } : {}),
    };
  }
  return {
    entries: entries(),
    commit: async () => {
      if (next) await cursors.set(source.id, next);
    },
  };
}
