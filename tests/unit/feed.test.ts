import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFeed as feedsmithParseFeed } from 'feedsmith';
import { describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/briefings/errors.js';
import { parseFeed } from '../../src/briefings/feed.js';

function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/feeds/${name}`, import.meta.url)), 'utf8');
}

/** The DocumentError thrown by `run`, and how long the call took. */
function refusal(run: () => unknown): { error: DocumentError; ms: number } {
  const start = performance.now();
  try {
    run();
  } catch (err) {
    const ms = performance.now() - start;
    expect(err).toBeInstanceOf(DocumentError);
    return { error: err as DocumentError, ms };
  }
  throw new Error('expected a DocumentError');
}

function rss(items: string): string {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example</link><description>d</description>${items}</channel></rss>`;
}

describe('parseFeed: RSS 2.0 (WordPress)', () => {
  const { items, rejected } = parseFeed(fixture('wordpress-rss.xml'), 'korea-pro');

  it('maps every item, keeping guid (else link) as the source id', () => {
    expect(rejected).toEqual([]);
    expect(items.map((b) => [b.sourceId, b.url])).toEqual([
      ['https://koreapro.example/?p=101', 'https://koreapro.example/2023/08/seouls-chip-subsidies/'],
      ['https://koreapro.example/2023/09/summit-outcomes/', 'https://koreapro.example/2023/09/summit-outcomes/'],
      ['https://koreapro.example/2023/09/quiet-week/', 'https://koreapro.example/2023/09/quiet-week/'],
    ]);
    expect(items.every((b) => b.source === 'korea-pro' && b.published)).toBe(true);
  });

  it('decodes titles, authors and terms to plain text, terms without repeats', () => {
    const [first, second, third] = items;
    expect(first?.title).toBe('Seoul’s chip subsidies & the Beijing question');
    expect(first?.author).toBe('Jane O’Neil');
    expect(first?.terms).toEqual(['Economy', 'Politics & Diplomacy', 'semiconductors']);
    expect(second?.title).toBe('North Korea & Russia: what the summit produced');
    expect(second?.terms).toEqual(['North Korea', 'Russia']);
    // `<author>` is "address (name)": the name is kept, never the address.
    expect(third?.author).toBe('Harbour Desk');
  });

  it('reads dates as UTC: pubDate offsets applied, a zone-less date taken as UTC, dc:date as modified', () => {
    expect(items.map((b) => [b.publishedAt, b.modifiedAt])).toEqual([
      ['2023-08-31T23:00:37.000Z', '2023-08-31T23:00:37.000Z'],
      ['2023-09-01T12:30:00.000Z', '2023-09-01T12:30:00.000Z'],
      ['2023-09-02T08:15:00.000Z', '2023-09-02T10:00:00.000Z'],
    ]);
  });

  it('digests content:encoded (else description): sanitized html, lead, why it matters', () => {
    const [first, second, third] = items;
    expect(first?.lead).toBe('The government will spend ₩26 trillion on chips, the finance minister said on Thursday.');
    expect(first?.whyItMatters).toBe('Subsidies on this scale change who builds the next fab – and where.');
    expect(first?.html).toContain('src="https://koreapro.example/wp-content/uploads/2023/08/fab.jpg"');
    for (const b of items) expect(b.html).not.toMatch(/<script|onerror|alert/i);
    expect(second?.lead).toBe('Arms for food “cooperation”, officials said.');
    expect(third?.lead).toBe('Nothing happened at all.');
  });
});

describe('parseFeed: Atom', () => {
  const { items, rejected } = parseFeed(fixture('atom.xml'), 'example-blog');

  it('maps entries: id (else alternate link) as source id, alternate link as url', () => {
    expect(rejected).toEqual([]);
    expect(items.map((b) => [b.sourceId, b.url])).toEqual([
      ['tag:blog.example.com,2024:entry-1', 'https://blog.example.com/2024/01/chips-and-ships'],
      // Relative link resolved against the feed's xml:base.
      ['tag:blog.example.com,2024:entry-2', 'https://blog.example.com/2024/02/xhtml'],
      ['https://blog.example.com/2024/02/plain', 'https://blog.example.com/2024/02/plain'],
    ]);
  });

  it('reads html titles as markup and text titles as plain text', () => {
    expect(items.map((b) => b.title)).toEqual([
      'Chips & ships: Seoul’s new plan',
      'Inline XHTML works too',
      'A < B, a plain-text summary',
    ]);
  });

  it('uses published, else updated; updated is the modification time; all UTC', () => {
    expect(items.map((b) => [b.publishedAt, b.modifiedAt])).toEqual([
      ['2024-01-15T00:00:00.000Z', '2024-01-16T01:30:00.000Z'],
      ['2024-02-01T13:00:00.000Z', '2024-02-01T13:00:00.000Z'],
      ['2024-02-02T00:00:00.000Z', '2024-02-02T00:00:00.000Z'],
    ]);
  });

  it('takes the entry author, else the feed author; category term and label as terms', () => {
    expect(items.map((b) => b.author)).toEqual(['Ada Kim', 'Editorial Team', 'Editorial Team']);
    expect(items[0]?.terms).toEqual(['economy', 'Economy', 'shipbuilding', 'Shipbuilding']);
    expect(items[1]?.terms).toEqual(['meta']);
  });

  it('digests html, xhtml and text content safely', () => {
    const [html, xhtml, text] = items;
    expect(html?.lead).toBe('Shipyards in Ulsan are hiring again.');
    expect(html?.html).toContain('href="https://blog.example.com/tags/hiring"');
    for (const b of items) expect(b.html).not.toMatch(/<script|onerror|steal/i);
    expect(xhtml?.html).toBe('<p>An <b>XHTML</b> body &amp; more.</p>');
    expect(text?.lead).toBe('Plain text with <tags> that are not markup.');
    expect(text?.html).toBe('<p>Plain text with &lt;tags&gt; that are not markup.</p>');
  });
});

describe('parseFeed: bad items', () => {
  it('rejects the item without a title and keeps the others', () => {
    const { items, rejected } = parseFeed(fixture('rss-missing-title.xml'), 'wire');
    expect(items.map((b) => b.sourceId)).toEqual(['wire-1', 'wire-3']);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.origin).toBe('wire-2');
    expect(rejected[0]?.error.code).toBe('DOCUMENT_INVALID');
    expect(rejected[0]?.error.reason).toBe('missing field "title"');
    expect(rejected[0]?.excerpt).toContain('Two has no title.');
  });

  it('names the field for an item without identity, with a non-http link, or with a bad date', () => {
    const { items, rejected } = parseFeed(
      rss(`
        <item><title>No id</title><description>x</description><pubDate>Mon, 04 Sep 2023 06:00:00 GMT</pubDate></item>
        <item><title>FTP</title><link>ftp://t.example/a</link><pubDate>Mon, 04 Sep 2023 06:00:00 GMT</pubDate></item>
        <item><title>Bad date</title><link>https://t.example/b</link><pubDate>someday soon</pubDate></item>
        <item><title>No date</title><link>https://t.example/c</link></item>
        <item><title>Fine</title><link>https://t.example/d</link><pubDate>Mon, 04 Sep 2023 06:00:00 GMT</pubDate></item>`),
      't',
    );
    expect(items.map((b) => b.url)).toEqual(['https://t.example/d']);
    expect(rejected.map((r) => [r.origin, r.error.reason])).toEqual([
      ['item #0', 'missing field "guid"/"id" (and no link to stand in)'],
      ['ftp://t.example/a', 'field "link" must be an http(s) URL'],
      ['https://t.example/b', 'field "pubDate" is not a date-time'],
      ['https://t.example/c', 'missing field "pubDate"/"published"'],
    ]);
  });
});

describe('parseFeed: hostile and broken documents', () => {
  it('refuses the billion-laughs document within 1 s', () => {
    const xml = fixture('billion-laughs.xml');
    const { error, ms } = refusal(() => parseFeed(xml, 'lol'));
    expect(error.code).toBe('DOCUMENT_UNREADABLE');
    expect(error.reason).toMatch(/declares entities/);
    expect(ms).toBeLessThan(1000);
  });

  it('relies on a parser that leaves entities unexpanded even past the guard', () => {
    const start = performance.now();
    const { feed } = feedsmithParseFeed(fixture('billion-laughs.xml'));
    expect(performance.now() - start).toBeLessThan(1000);
    expect(JSON.stringify(feed).length).toBeLessThan(2000);
    expect(JSON.stringify(feed)).toContain('&lol9;');
  });

  it('accepts a DOCTYPE that declares no entities (old RSS 0.91 feeds carry one)', () => {
    const xml = rss(
      '<item><title>Old</title><link>https://t.example/old</link><pubDate>Mon, 04 Sep 2023 06:00:00 GMT</pubDate></item>',
    ).replace(
      '<rss',
      '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss',
    );
    expect(parseFeed(xml, 't').items.map((b) => b.title)).toEqual(['Old']);
  });

  it('refuses a 10,000-deep document quickly, naming the limit', () => {
    const xml = rss(`<item><title>Deep</title>${'<div>'.repeat(10_000)}${'</div>'.repeat(10_000)}</item>`);
    const { error, ms } = refusal(() => parseFeed(xml, 'deep'));
    expect(error.code).toBe('DOCUMENT_UNREADABLE');
    expect(error.reason).toBe('elements are nested more than 256 deep');
    expect(ms).toBeLessThan(1000);
  });

  it('does not count unclosed HTML inside CDATA or comments as depth', () => {
    const body = `<![CDATA[${'<p>'.repeat(1000)}]]><!-- ${'<b>'.repeat(1000)} -->`;
    const xml = rss(
      `<item><title>Flat</title><link>https://t.example/f</link><pubDate>Mon, 04 Sep 2023 06:00:00 GMT</pubDate><description>${body}</description></item>`,
    );
    expect(parseFeed(xml, 't').items).toHaveLength(1);
  });

  it('refuses a 50 MB document quickly, naming the limit', () => {
    const item = '<item><title>Big</title><link>https://t.example/big</link></item>';
    const xml = rss(item.repeat(Math.ceil((50 * 1024 * 1024) / item.length)));
    const { error, ms } = refusal(() => parseFeed(xml, 'big'));
    expect(error.code).toBe('DOCUMENT_UNREADABLE');
    expect(error.reason).toMatch(/^document is \d+ bytes or more, above the 10485760-byte limit$/);
    expect(ms).toBeLessThan(1000);
  });

  it('applies smaller limits when given', () => {
    const atom = fixture('atom.xml');
    expect(refusal(() => parseFeed(atom, 'a', { maxBytes: 1000 })).error.reason).toMatch(/above the 1000-byte limit/);
    expect(refusal(() => parseFeed(atom, 'a', { maxDepth: 3 })).error.reason).toBe(
      'elements are nested more than 3 deep',
    );
  });

  it('refuses garbage and XML that is not a feed with a readable reason', () => {
    for (const text of [fixture('garbage.txt'), '', '<html><body>hello</body></html>']) {
      const { error } = refusal(() => parseFeed(text, 'junk'));
      expect(error.code).toBe('DOCUMENT_UNREADABLE');
      expect(error.reason).toBe('not an RSS or Atom feed (no <rss> or <feed> root found)');
    }
  });

  it('refuses feed formats it does not map', () => {
    const json = JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'J', items: [] });
    const { error } = refusal(() => parseFeed(json, 'json'));
    expect(error.code).toBe('DOCUMENT_INVALID');
    expect(error.reason).toMatch(/JSON Feed is not supported/);
  });
});
