import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPublication, PublicationError, parsePublication } from '../../src/publication.js';
import { SAMPLE_PUBLICATION } from '../support/gazette.js';

function problems(raw: unknown): string[] {
  try {
    parsePublication(raw, 'gazette.json', '/srv');
  } catch (err) {
    if (err instanceof PublicationError) return err.problems;
    throw err;
  }
  return [];
}

const valid = {
  name: 'P',
  topics: [
    { slug: 'china', name: 'China' },
    { slug: 'general', name: 'Other' },
  ],
  fallbackTopic: 'general',
  lists: [
    {
      id: 'daily',
      name: 'Daily',
      postalAddress: '1 Main St',
      schedule: { cron: '0 7 * * *', tz: 'Asia/Seoul' },
      topics: ['china'],
    },
  ],
  sources: [{ id: 'files', type: 'files', path: 'briefings' }],
};

describe('the publication file', () => {
  it('loads the bundled sample, resolving source paths against the file', async () => {
    const p = await loadPublication(SAMPLE_PUBLICATION);
    expect(p.lists.map((l) => l.id)).toEqual(['korea-daily']);
    expect(p.sources[0]).toMatchObject({
      type: 'files',
      path: path.join(path.dirname(SAMPLE_PUBLICATION), 'briefings'),
    });
  });

  it('fills defaults', () => {
    const p = parsePublication(valid, 'gazette.json', '/srv');
    expect(p.lists[0]).toMatchObject({ batchSize: 100, template: 'digest', whenNothingFollowed: 'skip' });
    expect(p.sources[0]).toMatchObject({ path: '/srv/briefings' });
  });

  it('names the field of every problem', () => {
    const lines = problems({
      ...valid,
      fallbackTopic: 'nope',
      lists: [{ ...valid.lists[0], topics: ['china', 'mars'], name: 'Daily\r\nBcc: x', postalAddress: '' }],
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        'fallbackTopic: unknown topic "nope"',
        'lists.0.topics: unknown topic "mars"',
        'lists.0.name: must not contain line breaks',
        expect.stringMatching(/^lists\.0\.postalAddress: /),
      ]),
    );
  });

  it('explains a bad schedule', () => {
    const bad = { ...valid, lists: [{ ...valid.lists[0], schedule: { cron: '0 7 * * *', tz: 'Mars/Base' } }] };
    expect(problems(bad)).toEqual(['lists.daily.schedule: unknown time zone "Mars/Base"']);
  });

  it('defaults and validates the digest settings: locale, logo, accent colour, subject, size budget', () => {
    const p = parsePublication(valid, 'gazette.json', '/srv');
    expect(p.sizeBudgetKB).toBe(90);
    expect(p.lists[0]).toMatchObject({
      locale: 'en',
      accentColor: '#0b5cad',
      subject: '{list} · {date}: {headline}{more}',
    });
    expect(p.lists[0]?.logo).toBeUndefined();
    const styled = parsePublication(
      {
        ...valid,
        lists: [
          { ...valid.lists[0], locale: 'ko', logo: { url: 'https://x.example/l.png', alt: 'X' }, sizeBudgetKB: 60 },
        ],
      },
      'gazette.json',
      '/srv',
    );
    expect(styled.lists[0]).toMatchObject({ locale: 'ko', logo: { width: 160 }, sizeBudgetKB: 60 });
    const list = (fields: Record<string, unknown>) => problems({ ...valid, lists: [{ ...valid.lists[0], ...fields }] });
    expect(list({ accentColor: 'red' })).toEqual([
      'lists.0.accentColor: must be a colour written #rrggbb, e.g. "#0b5cad"',
    ]);
    expect(list({ accentColor: '#ffdd00' })).toEqual([
      'lists.0.accentColor: is too light: white text on it has contrast 1.3:1, at least 4.5:1 is needed',
    ]);
    expect(list({ logo: { url: 'http://x.example/l.png', alt: 'X' } })).toEqual([
      'lists.0.logo.url: must be an https:// URL',
    ]);
    expect(list({ logo: { url: 'https://x.example/l.png', alt: '' } })).toEqual([
      'lists.0.logo.alt: must say what the logo shows (shown when images are off)',
    ]);
    expect(list({ subject: '{list}: {title}' })).toEqual([
      'lists.0.subject: unknown token "{title}" (known: {list}, {date}, {headline}, {count}, {more})',
    ]);
    expect(list({ locale: 'not a locale!' })).toEqual([
      'lists.0.locale: must be a BCP 47 language tag this Node.js knows, e.g. "en", "en-GB", "ko"',
    ]);
    expect(list({ sizeBudgetKB: 200 })).toEqual([expect.stringMatching(/^lists\.0\.sizeBudgetKB: /)]);
  });

  it('reports an unreadable or non-JSON file clearly', async () => {
    await expect(loadPublication('/nonexistent/gazette.json')).rejects.toThrow(/cannot read: ENOENT/);
    await expect(
      loadPublication(path.join(path.dirname(SAMPLE_PUBLICATION), 'briefings', '000_2154cd5311bbae3c.txt')),
    ).rejects.toThrow(/not valid JSON/);
  });
});
