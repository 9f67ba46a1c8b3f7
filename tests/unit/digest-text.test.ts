import { beforeAll, describe, expect, it } from 'vitest';
import type { Edition } from '../../src/editions/edition.js';
import { renderTopicSet } from '../../src/render/digest.js';
import { compilePersonalizer } from '../../src/render/personalize.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { wrapText } from '../../src/render/text.js';
import { ARCHIVE_URL, digestPublication, SAMPLE_READER, sampleEdition, theList } from '../support/digest.js';

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

const chars = (s: string) => [...s].length;
/** A line a reader's client may show wider than 78 columns: a URL alone, nothing else. */
const unbreakable = (line: string) => /^\s*(?:https?:\/\/|mailto:)\S+$/.test(line);

function longLines(text: string): string[] {
  return text.split('\n').filter((line) => chars(line) > 78 && !unbreakable(line));
}

describe('the plain-text part', () => {
  it('has no line over 78 characters except unbreakable URLs, which stand alone', async () => {
    const publication = digestPublication({
      name: 'The Extraordinarily Long-Named Korea Pro Morning Briefing for Subscribers in Seoul',
    });
    const list = theList(publication);
    const base = sampleEdition([12, 12, 12, 12]);
    const word = 'Supercalifragilisticexpialidocious-and-then-some-more-letters-to-pass-the-width-easily';
    const edition: Edition = {
      ...base,
      sections: base.sections.map((s, i) => ({
        ...s,
        briefings: s.briefings.map((b, n) => ({
          ...b,
          title: `${b.title}: ${'and the talks went on and on '.repeat(4)}${n === 0 ? word : ''}`,
          author: 'A Very Long Author Name Indeed, With Co-Authors From Several Bureaus And Desks',
          lead: `See https://koreapro.org/${'x'.repeat(90)} first. ${b.lead} ${'Another sentence in the lead. '.repeat(5)}`,
          whyItMatters: 'Why it matters, at length: '.repeat(8),
          url: i === 0 ? `https://koreapro.org/${'very-long-slug-'.repeat(8)}${n}/` : b.url,
        })),
      })),
    };
    // A small budget, so that title-only links and "more on the web" are in the text too.
    for (const sizeBudgetKB of [90, 30]) {
      const p = { ...publication, sizeBudgetKB, lists: [{ ...list, sizeBudgetKB }] };
      const digest = await renderTopicSet({
        publication: p,
        list: { ...list, sizeBudgetKB },
        edition,
        topics: list.topics,
        archiveUrl: ARCHIVE_URL,
        templates,
      });
      // Long reader links and a reader following many topics.
      const mail = compilePersonalizer(digest)({ ...SAMPLE_READER, followed: list.topics });
      expect(longLines(digest.text)).toEqual([]);
      expect(longLines(mail.text)).toEqual([]);
      // URLs, the long ones included, stand on lines of their own.
      for (const line of mail.text.split('\n')) {
        if (/https?:\/\//.test(line)) expect(line.trim(), line).toMatch(/^https?:\/\/\S+$/);
      }
      expect(mail.text).toContain(`\n${SAMPLE_READER.unsubscribeUrl}\n`);
      if (sizeBudgetKB === 90) expect(mail.text).toContain(`\nhttps://koreapro.org/${'x'.repeat(90)}\n`);
      if (sizeBudgetKB === 30) expect(mail.text).toMatch(/\d+ more on the web:\nhttps:\/\/news\.example\/archive\//);
    }
  });

  it('wraps on spaces, keeps indentation, cuts a word only when it cannot fit', () => {
    expect(wrapText(`  ${'word '.repeat(30).trim()}`, 20).split('\n')).toEqual([
      '  word word word',
      ...Array.from({ length: 8 }, () => '  word word word'),
      '  word word word',
    ]);
    expect(wrapText('see https://a.example/x now', 78)).toBe('see\nhttps://a.example/x\nnow');
    expect(wrapText('x'.repeat(100), 78).split('\n').map(chars)).toEqual([78, 22]);
    expect(wrapText('a\n\n\nb')).toBe('a\n\n\nb');
  });
});
