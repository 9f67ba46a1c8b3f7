import { beforeAll, describe, expect, it } from 'vitest';
import { parseWordPressPost } from '../../src/briefings/wordpress.js';
import type { Edition, EditionBriefing } from '../../src/editions/edition.js';
import { renderTopicSet } from '../../src/render/digest.js';
import { compilePersonalizer } from '../../src/render/personalize.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { ARCHIVE_URL, digestPublication, SAMPLE_READER, theList } from '../support/digest.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const naive = (ms: number) => new Date(ms).toISOString().slice(0, 19);

/**
 * 50 WordPress posts published within 50 minutes of the site's local midnight, as WordPress
 * writes them: `date` in the site's zone, `date_gmt` in UTC. `offsetHours(month)` is the site's
 * UTC offset (written out here, not computed with the code under test).
 */
function postsAroundMidnight(offsetHours: (month: number) => number): { post: unknown; localDay: string }[] {
  return Array.from({ length: 50 }, (_, i) => {
    const month = i % 2 === 0 ? 11 : 6; // December and July: New York is on -5 and on -4.
    const local = Date.UTC(2024, month, 1 + (i % 5), 0, 0) + (i * 2 - 50) * 60_000;
    const gmt = local - offsetHours(month) * 3_600_000;
    return {
      post: {
        id: 1000 + i,
        title: { rendered: `Post number ${i}` },
        content: { rendered: `<p>Lead of post ${i}.</p>` },
        link: `https://site.example/?p=${1000 + i}`,
        date: naive(local),
        date_gmt: naive(gmt),
        modified: naive(local),
        modified_gmt: naive(gmt),
      },
      localDay: naive(local).slice(0, 10),
    };
  });
}

/** `2024-12-01` → `1 Dec 2024`. */
function spelled(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return `${d} ${MONTHS[(m ?? 1) - 1]} ${y}`;
}

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

async function cardDates(tz: string, posts: { post: unknown }[], locale = 'en') {
  const publication = digestPublication({ schedule: { cron: '0 7 * * *', tz }, locale });
  const list = theList(publication);
  const briefings: EditionBriefing[] = posts.map(({ post }, i) => {
    const b = parseWordPressPost(post, 'wp');
    return { ...b, id: `wp-${i}`, topics: ['china'] };
  });
  const edition: Edition = {
    id: 'korea-daily-20241205T220000Z',
    listId: list.id,
    since: '2024-06-01T00:00:00.000Z',
    cutoff: '2024-12-05T22:00:00.000Z',
    plannedAt: '2024-12-05T22:00:01.000Z',
    sections: [{ topic: 'china', name: 'China', briefings }],
  };
  const digest = await renderTopicSet({
    publication,
    list,
    edition,
    topics: ['china'],
    archiveUrl: ARCHIVE_URL,
    templates,
  });
  const mail = compilePersonalizer(digest)(SAMPLE_READER);
  const lines = mail.text.split('\n');
  const text = new Map<number, string>();
  lines.forEach((line, n) => {
    const m = /^Post number (\d+)$/.exec(line);
    if (m) text.set(Number(m[1]), (lines[n + 1] ?? '').replace(/ · .*$/, ''));
  });
  const html = new Map<number, string>();
  for (const m of mail.html.matchAll(/>Post number (\d+)<\/a><\/h3>\s*<p class="g-muted"[^>]*>([^<·]*)/g)) {
    html.set(Number(m[1]), (m[2] ?? '').trim());
  }
  return { text, html, mail };
}

describe('dates in the list’s time zone', () => {
  for (const [tz, offset] of [
    ['Asia/Seoul', () => 9],
    ['America/New_York', (month: number) => (month === 6 ? -4 : -5)],
  ] as const) {
    it(`card dates of a ${tz} list match the site’s local day, for 50 posts around midnight`, async () => {
      const posts = postsAroundMidnight(offset);
      const { text, html } = await cardDates(tz, posts);
      expect(text.size).toBe(50);
      expect(html.size).toBe(50);
      posts.forEach(({ localDay }, i) => {
        expect(text.get(i), `text, post ${i} (${localDay})`).toBe(spelled(localDay));
        expect(html.get(i), `html, post ${i} (${localDay})`).toBe(spelled(localDay));
      });
    });
  }

  it('dates the header in the list’s zone (07:00 in Seoul on 6 Dec is 22:00Z on the 5th)', async () => {
    const { mail } = await cardDates('Asia/Seoul', postsAroundMidnight(() => 9).slice(0, 1));
    expect(mail.text.split('\n')[0]).toBe('Korea Pro Daily · 6 Dec 2024');
    expect(mail.subject).toBe('Korea Pro Daily · 6 Dec 2024: Post number 0');
    expect(mail.html).toContain('>6 Dec 2024</div>');
  });

  it('writes dates in the list’s locale', async () => {
    const { mail } = await cardDates('Asia/Seoul', postsAroundMidnight(() => 9).slice(0, 1), 'ko');
    expect(mail.text.split('\n')[0]).toBe('Korea Pro Daily · 2024년 12월 6일');
    expect(mail.html).toContain('lang="ko"');
  });
});
