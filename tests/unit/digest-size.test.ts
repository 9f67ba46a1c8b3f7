import { decodeHTML } from 'entities';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderTopicSet } from '../../src/render/digest.js';
import { compilePersonalizer } from '../../src/render/personalize.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { sectionAnchor } from '../../src/render/view.js';
import { ARCHIVE_URL, digestPublication, SAMPLE_READER, sampleEdition, theList } from '../support/digest.js';

const kB = (s: string) => Buffer.byteLength(s, 'utf8') / 1000;
const hrefs = (html: string) => [...html.matchAll(/<a\b[^>]*?\shref="([^"]*)"/g)].map((m) => decodeHTML(m[1] ?? ''));

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

const publication = digestPublication();
const list = theList(publication);
const big = sampleEdition([200, 150, 100, 50]);
const everyTopic = list.topics;
const render = (edition = big, web = false, p = publication, topics = everyTopic) =>
  renderTopicSet({
    publication: p,
    list: theList(p),
    edition,
    topics,
    archiveUrl: ARCHIVE_URL,
    templates,
    web,
  });

/** The section (by heading id) each briefing URL appears under in a rendered HTML. */
function urlsBySection(html: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const parts = html.split(/<h2 id="/).slice(1);
  for (const part of parts) {
    const anchor = part.slice(0, part.indexOf('"'));
    out.set(anchor, new Set(hrefs(part).filter((h) => h.startsWith('https://koreapro.org/'))));
  }
  return out;
}

describe('the size budget', () => {
  it('renders a 500-briefing edition under 102 KB (strict MJML), every briefing in the email or one link away', async () => {
    const digest = await render();
    const mail = compilePersonalizer(digest)({ ...SAMPLE_READER, followed: [] });
    console.log(
      `500 briefings: ${kB(digest.html).toFixed(1)} kB stage 1, ${kB(mail.html).toFixed(1)} kB sent`,
      digest.shown,
    );
    expect(kB(digest.html)).toBeLessThan(90);
    expect(kB(mail.html)).toBeLessThan(102);
    expect(digest.shown.cards + digest.shown.links + digest.shown.web).toBe(500);
    expect(digest.shown.cards).toBeGreaterThan(0);
    expect(digest.shown.web).toBeGreaterThan(0);
    // The reader is told.
    expect(mail.html).toContain('some briefings are shown as headlines only');
    expect(mail.text.replace(/\s+/g, ' ')).toContain('some briefings are shown as headlines only');

    await expectReachable(everyTopic, ARCHIVE_URL);
  });

  it('sends a reader of some topics to the archive page of just those topics', async () => {
    const digest = await render(big, false, publication, ['north-korea', 'diplomacy']);
    expect(kB(digest.html)).toBeLessThan(90);
    expect(digest.shown.cards + digest.shown.links + digest.shown.web).toBe(200 + 150);
    expect(digest.shown.web).toBeGreaterThan(0);
    await expectReachable(['north-korea', 'diplomacy'], `${ARCHIVE_URL}?topics=north-korea%2Cdiplomacy`);
  });

  /** Every briefing of `topics` is a link in the email, or on the web page its section's "more" link opens. */
  async function expectReachable(topics: string[], webPage: string) {
    const mail = compilePersonalizer(await render(big, false, publication, topics))({ ...SAMPLE_READER });
    const inEmail = urlsBySection(mail.html);
    const web = compilePersonalizer(await render(big, true, publication, topics))({ ...SAMPLE_READER });
    const onWeb = urlsBySection(web.html);
    for (const section of big.sections.filter((s) => topics.includes(s.topic))) {
      const anchor = sectionAnchor(section.topic);
      const shown = inEmail.get(anchor) ?? new Set();
      const missing = section.briefings.filter((b) => !shown.has(b.url));
      if (missing.length === 0) continue;
      // "N more on the web" names the count and links the archive page's section…
      const more = new RegExp(`<a href="([^"]+)">${missing.length} more on the web`).exec(mail.html);
      expect(more, `${section.topic}: ${missing.length} more on the web`).not.toBeNull();
      expect(decodeHTML(more?.[1] ?? '')).toBe(`${webPage}#${anchor}`);
      // …where every one of them is.
      for (const b of missing) expect(onWeb.get(anchor)?.has(b.url), b.url).toBe(true);
    }
    // The web page is never trimmed.
    expect(web.html).not.toContain('more on the web');
  }

  it('keeps a small edition whole, and follows a tighter per-list budget', async () => {
    const small = await render(sampleEdition([3, 3, 3, 3]));
    expect(small.shown).toEqual({ cards: 12, links: 0, web: 0 });
    expect(small.html).not.toContain('headlines only');
    const tight = digestPublication({ sizeBudgetKB: 40 });
    const digest = await render(sampleEdition([30, 30, 30, 30]), false, tight);
    expect(kB(digest.html)).toBeLessThan(40);
    expect(digest.shown.links).toBeGreaterThan(0);
    expect(digest.shown.cards + digest.shown.links + digest.shown.web).toBe(120);
  });

  it('takes the global budget when the list sets none', async () => {
    const global = digestPublication({}, { sizeBudgetKB: 30 });
    const digest = await render(sampleEdition([30, 30, 30, 30]), false, global);
    expect(kB(digest.html)).toBeLessThan(30);
  });
});
