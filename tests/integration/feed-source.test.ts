import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefingId } from '../../src/briefings/briefing.js';
import { Collector } from '../../src/briefings/collect.js';
import { CursorStore } from '../../src/briefings/cursors.js';
import { Quarantine } from '../../src/briefings/quarantine.js';
import { BriefingStore } from '../../src/briefings/store.js';
import { sourceSchema } from '../../src/publication.js';
import { keys } from '../../src/store/keys.js';
import { createClassifier } from '../../src/topics/classify.js';
import { ROOT } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';

/** A feed server with an ETag, that can be told to change its feed or break. */
function feedServer(initial: string) {
  let body = initial;
  let etag = '"v1"';
  let mode: 'ok' | 'html' | 'down' = 'ok';
  const requests: Array<{ ifNoneMatch?: string }> = [];
  const server: Server = createServer((req, res) => {
    requests.push({ ifNoneMatch: req.headers['if-none-match'] });
    if (mode === 'down') return void res.writeHead(503).end('maintenance');
    if (mode === 'html')
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Login</body></html>');
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': 'application/rss+xml', etag }).end(body);
  });
  return {
    requests,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/feed/`),
        ),
      ),
    change(next: string, tag: string) {
      body = next;
      etag = tag;
    },
    set mode(m: 'ok' | 'html' | 'down') {
      mode = m;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('collecting an RSS feed', () => {
  const redis = testRedis('feed-source');
  const client = redis.connect();
  const k = keys(redis.prefix);
  const store = new BriefingStore(client, k);
  const quarantine = new Quarantine(client, k);
  const collector = new Collector(
    store,
    quarantine,
    new CursorStore(client, k),
    createClassifier([{ slug: 'all', name: 'All', terms: [], keywords: [] }], 'all'),
  );
  let rss: string;
  let server: ReturnType<typeof feedServer>;
  let source: ReturnType<typeof sourceSchema.parse>;

  beforeAll(async () => {
    rss = await readFile(path.join(ROOT, 'tests/fixtures/feeds/wordpress-rss.xml'), 'utf8');
    server = feedServer(rss);
    source = sourceSchema.parse({ id: 'rss', type: 'feed', url: await server.listen(), allowPrivate: true });
  });
  afterAll(async () => {
    await server.close();
    await redis.cleanup();
  });

  it('stores the feed’s items once, then asks with its ETag and gets a 304 when nothing changed', async () => {
    expect(await collector.collect(source)).toMatchObject({ new: 3, quarantined: 0 });
    expect(await collector.collect(source)).toMatchObject({ new: 0, updated: 0, unchanged: 0 });
    expect(server.requests.at(-1)?.ifNoneMatch).toBe('"v1"');
    const stored = await store.get(briefingId('rss', 'https://koreapro.example/?p=101'));
    expect(stored?.title).toBe('Seoul’s chip subsidies & the Beijing question');
  });

  it('stores an edited item as updated when the feed changes', async () => {
    server.change(rss.replace('Seoul&#8217;s chip subsidies', 'Seoul&#8217;s revised chip subsidies'), '"v2"');
    const report = await collector.collect(source);
    expect(report).toMatchObject({ new: 0, updated: 1, unchanged: 2 });
    expect((await store.get(briefingId('rss', 'https://koreapro.example/?p=101')))?.title).toBe(
      'Seoul’s revised chip subsidies & the Beijing question',
    );
  });

  it('cleans the text of an item on the way in: DEL and C1 controls (legal in XML) are removed', async () => {
    server.change(rss.replace('Seoul&#8217;s chip subsidies', 'Seoul&#8217;s&#x7f; chip&#x9d; subsidies'), '"v2c"');
    await collector.collect(source);
    expect((await store.get(briefingId('rss', 'https://koreapro.example/?p=101')))?.title).toBe(
      'Seoul’s chip subsidies & the Beijing question',
    );
  });

  it('refuses a private target unless the source allows it', async () => {
    const guarded = sourceSchema.parse({
      id: 'rss-guarded',
      type: 'feed',
      url: source.type === 'feed' ? source.url : '',
    });
    await expect(collector.collect(guarded)).rejects.toMatchObject({ code: 'FETCH_BLOCKED', retryable: false });
  });

  it('quarantines an HTML page served as the feed, and reports a 503 as retryable', async () => {
    server.mode = 'html';
    server.change(rss, '"v3"');
    expect(await collector.collect(source)).toMatchObject({ quarantined: 1 });
    const [entry] = await quarantine.list(1);
    expect(entry).toMatchObject({ source: 'rss', code: 'DOCUMENT_UNREADABLE' });
    expect(entry?.reason).toMatch(/not an RSS or Atom feed/);
    server.mode = 'down';
    await expect(collector.collect(source)).rejects.toMatchObject({ code: 'HTTP_503', retryable: true });
  });
});
