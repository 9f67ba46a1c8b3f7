import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/briefings/errors.js';
import { recoverJson } from '../../src/briefings/recover.js';
import { parseWordPressPost } from '../../src/briefings/wordpress.js';

function seed(name: string): unknown {
  return recoverJson(readFileSync(fileURLToPath(new URL(`../../sample/briefings/${name}`, import.meta.url)), 'utf8'))
    .value;
}

/** A small, complete post as `/wp/v2/posts?_embed` returns it, with fields Gazette ignores. */
function post(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 42,
    date: '2024-01-02T09:00:00',
    date_gmt: '2024-01-02T00:00:00',
    modified: '2024-01-03T09:30:00',
    modified_gmt: '2024-01-03T00:30:00',
    status: 'publish',
    link: 'https://koreapro.org/2024/01/post/',
    title: { rendered: 'Seoul&#8217;s <em>chips</em> &#038; Beijing' },
    content: { rendered: '<p>The lead.</p>', protected: false },
    class_list: ['post-42', 'type-post'],
    meta: { footnotes: '' },
    _embedded: {
      author: [{ id: 7, name: 'Jane &amp; Doe' }],
      'wp:term': [
        [{ id: 1, name: 'Politics &amp; Diplomacy', slug: 'politics-diplomacy', taxonomy: 'category' }],
        [{ id: 9, name: 'China', slug: 'china', taxonomy: 'post_tag' }],
      ],
    },
    ...overrides,
  };
}

function rejection(raw: unknown): DocumentError {
  try {
    parseWordPressPost(raw, 'korea-pro');
  } catch (err) {
    if (err instanceof DocumentError) return err;
    throw err;
  }
  throw new Error('expected a DocumentError');
}

describe('parseWordPressPost on the seeds', () => {
  it('parses the first seed', () => {
    const briefing = parseWordPressPost(seed('000_2154cd5311bbae3c.txt'), 'korea-pro');
    expect(briefing).toMatchObject({
      source: 'korea-pro',
      sourceId: '2202126',
      url: 'https://koreapro.org/2023/09/korea-and-china-discuss-latters-export-restrictions-signaling-diplomatic-thaw/',
      title: 'Korea and China discuss latter’s export restrictions signaling diplomatic thaw',
      // modified_gmt is earlier than date_gmt in the seed: kept as the publisher gave them.
      publishedAt: '2023-08-31T23:00:37.000Z',
      modifiedAt: '2023-08-31T13:09:19.000Z',
      terms: [],
      published: true,
    });
    expect(briefing.author).toBeUndefined();
    expect(briefing.lead).toMatch(
      /^In bilateral consultations between South Korea and China on Aug\. 29, Beijing clarified its stance/,
    );
    expect(briefing.lead).not.toContain('Why It Matters');
    expect(briefing.whyItMatters).toMatch(/^Diplomatic relations between South Korea and China hit a stumbling block/);
    expect(briefing.html).not.toContain('</span>');
  });

  it('parses the second seed', () => {
    const briefing = parseWordPressPost(seed('002_e09ed9bce8e7f6d7.txt'), 'korea-pro');
    expect(briefing).toMatchObject({
      sourceId: '2206214',
      title: 'ROK-Shandong meeting signals Seoul’s intent to improve ties with China',
      publishedAt: '2024-08-20T23:00:29.000Z',
      modifiedAt: '2024-08-20T06:38:17.000Z',
      published: true,
    });
    expect(briefing.whyItMatters).toMatch(/^The ROK-Shandong meeting spotlights/);
  });
});

describe('parseWordPressPost fields', () => {
  it('decodes entities and drops tags in the title, reads author and terms from _embedded', () => {
    const briefing = parseWordPressPost(post(), 'korea-pro');
    expect(briefing).toMatchObject({
      sourceId: '42',
      title: 'Seoul’s chips & Beijing',
      author: 'Jane & Doe',
      terms: ['Politics & Diplomacy', 'China', 'politics-diplomacy', 'china'],
      publishedAt: '2024-01-02T00:00:00.000Z',
      modifiedAt: '2024-01-03T00:30:00.000Z',
      lead: 'The lead.',
      html: '<p>The lead.</p>',
    });
  });

  it('accepts a numeric string id and ignores a malformed _embedded', () => {
    const briefing = parseWordPressPost(
      post({ id: '2202126', _embedded: { author: [{ code: 'rest_user_invalid_id' }], 'wp:term': 'x' } }),
      's',
    );
    expect(briefing).toMatchObject({ sourceId: '2202126', terms: [] });
    expect(briefing.author).toBeUndefined();
  });

  it('reads status: publish or missing is published, anything else is not', () => {
    expect(parseWordPressPost(post({ status: undefined }), 's').published).toBe(true);
    expect(parseWordPressPost(post({ status: 'draft' }), 's').published).toBe(false);
    expect(parseWordPressPost(post({ status: 'private' }), 's').published).toBe(false);
  });

  it('falls back to date/modified (read as UTC) only when the GMT fields are missing', () => {
    const briefing = parseWordPressPost(post({ date_gmt: null, modified_gmt: undefined }), 's');
    expect(briefing).toMatchObject({ publishedAt: '2024-01-02T09:00:00.000Z', modifiedAt: '2024-01-03T09:30:00.000Z' });
  });

  it('uses the publication time when no modification time is given', () => {
    const briefing = parseWordPressPost(post({ modified_gmt: undefined, modified: undefined }), 's');
    expect(briefing.modifiedAt).toBe('2024-01-02T00:00:00.000Z');
  });
});

describe('parseWordPressPost rejections', () => {
  it.each([
    ['id', { id: undefined }, 'missing field "id"'],
    ['title', { title: undefined }, 'missing field "title.rendered"'],
    ['title.rendered', { title: {} }, 'missing field "title.rendered"'],
    ['content', { content: undefined }, 'missing field "content.rendered"'],
    ['an empty title', { title: { rendered: ' <b></b> ' } }, 'title is empty after removing markup'],
    ['a javascript: link', { link: 'javascript:alert(1)' }, 'field "link" must be an http(s) URL'],
    ['a garbled date', { date_gmt: 'yesterday' }, 'field "date_gmt" is not a date-time'],
  ])('rejects a post with %s, naming the field', (_what, overrides, reason) => {
    const err = rejection(post(overrides));
    expect(err.code).toBe('DOCUMENT_INVALID');
    expect(err.reason).toBe(reason);
  });

  it('names every missing field at once', () => {
    expect(rejection({ status: 'publish' }).reason).toBe(
      'missing fields "id", "title.rendered", "content.rendered", "link"',
    );
  });

  it('rejects a document that is not an object', () => {
    expect(rejection(['a']).reason).toMatch(/expected a JSON object .* got an array/);
    expect(rejection('text').reason).toMatch(/got string/);
  });

  it('rejects a non-numeric id with a zod reason naming it', () => {
    expect(rejection(post({ id: 'abc' })).reason).toMatch(/^invalid id: /);
  });
});
