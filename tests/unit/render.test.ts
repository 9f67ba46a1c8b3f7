import { decodeHTML } from 'entities';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Edition, EditionBriefing } from '../../src/editions/edition.js';
import { type List, listSchema, type Publication, publicationSchema } from '../../src/publication.js';
import { type RenderedDigest, renderTopicSet } from '../../src/render/digest.js';
import { compilePersonalizer, PersonalizeError, type ReaderValues } from '../../src/render/personalize.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';

const ARCHIVE = 'https://gazette.example/archive/korea-daily/daily-20240820T220000Z?topics=diplomacy%2Ceconomy';
const POSTAL = 'Korea Pro, 12 Example-ro\nJongno-gu, Seoul 03100, Republic of Korea';
const EVIL_LEAD =
  'Officials met in Jakarta. Tokens like {{reader.unsubscribeUrl}} and {{#each x}}loops{{/each}} must stay ' +
  'literal text, because publisher data is never a template, not even in a digest preheader that is cut short.';
const ADA: ReaderValues = {
  name: 'Ada',
  preferencesUrl: 'https://gazette.example/p/prefs?token=tok-PREFS_123&list=korea-daily',
  unsubscribeUrl: 'https://gazette.example/u/unsub?token=tok-UNSUB_456&list=korea-daily',
};

// Through the schemas, so defaults fill in whatever fields the list gains.
const list: List = listSchema.parse({
  id: 'korea-daily',
  name: 'Korea Daily',
  postalAddress: POSTAL,
  schedule: { cron: '0 7 * * *', tz: 'Asia/Seoul' },
  topics: ['diplomacy', 'economy'],
});

const publication: Publication = publicationSchema.parse({
  name: 'Korea Pro',
  topics: [
    { slug: 'diplomacy', name: 'Diplomacy' },
    { slug: 'economy', name: 'Economy & Trade' },
  ],
  fallbackTopic: 'diplomacy',
  lists: [list],
});

function briefing(id: string, title: string, extra: Partial<EditionBriefing> = {}): EditionBriefing {
  return {
    id,
    url: `https://koreapro.org/2023/08/${id}/`,
    title,
    publishedAt: '2023-08-31T23:00:37.000Z',
    modifiedAt: '2023-08-31T23:00:37.000Z',
    lead: `Lead of ${id}.`,
    ...extra,
  };
}

const b1 = briefing('thaw', 'Korea’s & China’s <b>thaw</b>', {
  lead: EVIL_LEAD,
  whyItMatters: 'Seoul & Beijing want a stable supply chain.',
  author: 'Jeongmin Kim',
});
const b2 = briefing('g20', 'Yoon meets Xi at the G20');
const b3 = briefing('gallium', 'Gallium export curbs ease', {
  lead: 'China says exports to Korean firms can resume with permits.',
  whyItMatters: 'Chips need gallium & germanium.',
});

const edition: Edition = {
  id: 'korea-daily-20240820T220000Z',
  listId: list.id,
  since: '2024-08-19T22:00:00.000Z',
  cutoff: '2024-08-20T22:00:00.000Z',
  plannedAt: '2024-08-20T22:00:01.000Z',
  sections: [
    { topic: 'diplomacy', name: 'Diplomacy', briefings: [b1, b2] },
    { topic: 'economy', name: 'Economy & Trade', briefings: [b3] },
  ],
};

/** `href` values of `<a>` tags, entity-decoded (a test-only scan of our own output). */
function hrefs(html: string): string[] {
  return [...html.matchAll(/<a\b[^>]*?\shref="([^"]*)"/g)].map((m) => decodeHTML(m[1] ?? ''));
}

/** The anchor whose text is `label`, decoded href. */
function hrefOf(html: string, label: string): string | undefined {
  const m = [...html.matchAll(/<a\b[^>]*?\shref="([^"]*)"[^>]*>([^<]*)<\/a>/g)].find((a) => a[2]?.trim() === label);
  return m ? decodeHTML(m[1] ?? '') : undefined;
}

/** Text with its line wrapping undone, to look for a sentence. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

let templates: Templates;
let both: RenderedDigest;
const render = (topics: string[], ed: Edition = edition, l: List = list) =>
  renderTopicSet({ publication, list: l, edition: ed, topics, archiveUrl: ARCHIVE, templates });

beforeAll(async () => {
  templates = await loadTemplates();
  both = await render(['economy', 'diplomacy']);
});

describe('stage 1: renderTopicSet', () => {
  it('compiles at validation level strict and keeps the reader placeholders, not reader data', () => {
    for (const part of [both.html, both.text]) {
      expect(part).toContain('{{reader.preferencesUrl}}');
      expect(part).toContain('{{reader.unsubscribeUrl}}');
      expect(part).toContain('{{reader.name}}');
      expect(part).not.toContain('Ada');
      expect(part).not.toContain('tok-');
    }
    expect(hrefs(both.html)).toEqual(
      expect.arrayContaining(['{{reader.preferencesUrl}}', '{{reader.unsubscribeUrl}}']),
    );
    expect(both.topics).toEqual(['diplomacy', 'economy']);
  });

  it('builds subject and preheader from the first briefing', () => {
    expect(both.subject).toBe('Korea Daily · 21 Aug 2024: Korea’s & China’s <b>thaw</b> (+2 more)');
    expect(both.preheader.length).toBeLessThanOrEqual(120);
    expect(both.preheader.endsWith('…')).toBe(true);
    expect(EVIL_LEAD.startsWith(both.preheader.slice(0, -1))).toBe(true);
  });

  it('renders a briefing collected without a link as a card with no link and no "Read more"', async () => {
    const linkless = briefing('offsite', 'Links away', { url: '' });
    const ed: Edition = {
      ...edition,
      sections: [{ topic: 'diplomacy', name: 'Diplomacy', briefings: [linkless, b2] }],
    };
    const out = await render(['diplomacy'], ed);
    expect(out.dropped ?? []).toEqual([]);
    expect(hrefs(out.html)).not.toContain('');
    expect(out.html).toContain('Links away');
    expect(out.html.match(/>Read more</g)).toHaveLength(1); // b2's only
    expect(flat(out.text)).toContain('Links away');
    expect(out.text.match(/Read more:/g)).toHaveLength(1);
  });

  it('refuses an unknown template name', async () => {
    await expect(render(['economy'], edition, { ...list, template: 'nope' })).rejects.toMatchObject({
      code: 'TEMPLATE_UNKNOWN',
      message: expect.stringContaining('nope.mjml.hbs'),
    });
  });

  it('keeps only the chosen topics, in edition order', async () => {
    const economy = await render(['economy']);
    for (const part of [economy.html, economy.text]) {
      expect(part).toContain('Gallium export curbs ease');
      expect(part).not.toContain('Yoon meets Xi');
      expect(part).not.toContain('Diplomacy');
    }
    expect(economy.subject).toBe('Korea Daily · 21 Aug 2024: Gallium export curbs ease');
    expect(both.text.indexOf('Yoon meets Xi')).toBeLessThan(both.text.indexOf('Gallium export'));
  });

  it('shows a briefing in several chosen topics once, under the first of them', async () => {
    const shared: Edition = {
      ...edition,
      sections: [
        { topic: 'diplomacy', name: 'Diplomacy', briefings: [b3] },
        { topic: 'economy', name: 'Economy & Trade', briefings: [b3] },
      ],
    };
    const digest = await render(['economy', 'diplomacy'], shared);
    expect(digest.text.split('Gallium export curbs ease')).toHaveLength(2);
    expect(digest.text).toContain('== Diplomacy ==');
    expect(digest.text).not.toContain('== Economy & Trade ==');
    const economyOnly = await render(['economy'], shared);
    expect(economyOnly.text).toContain('== Economy & Trade ==');
  });

  it('still renders a short digest when the topics have nothing new', async () => {
    const empty = await render(['economy'], { ...edition, sections: edition.sections.slice(0, 1) });
    expect(empty.subject).toBe('Korea Daily · 21 Aug 2024: nothing new');
    expect(empty.html).toContain('Nothing new in your topics');
  });
});

describe('stage 2: compilePersonalizer', () => {
  it('fills name and links in html and text, and evaluates no publisher text', () => {
    const mail = compilePersonalizer(both)(ADA);
    expect(mail.subject).toBe(both.subject);
    expect(mail.html).toContain('Hello Ada,');
    expect(mail.text).toContain('Hello Ada,');
    expect(hrefOf(mail.html, 'Manage preferences')).toBe(ADA.preferencesUrl);
    expect(hrefOf(mail.html, 'Unsubscribe')).toBe(ADA.unsubscribeUrl);
    expect(mail.text).toContain(`Manage preferences:\n${ADA.preferencesUrl}\n`);
    expect(mail.text).toContain(`Unsubscribe:\n${ADA.unsubscribeUrl}\n`);
    // The publisher's own "{{…}}" is shown as text, not replaced by the reader's URL.
    expect(mail.html).not.toContain('{{');
    expect(mail.html).toContain('Tokens like &#123;&#123;reader.unsubscribeUrl}} and &#123;&#123;#each x}}loops');
    expect(flat(mail.text)).toContain(EVIL_LEAD);
    expect(flat(mail.text).replaceAll(EVIL_LEAD, '')).not.toContain('{{');
    expect(mail.html.split('tok-UNSUB_456').length - 1).toBe(1);
    expect(mail.text.split('tok-UNSUB_456').length - 1).toBe(1);
  });

  it('greets a reader without a name with "Hello," and escapes names in HTML', () => {
    const personalize = compilePersonalizer(both);
    const anonymous = personalize({ ...ADA, name: '' });
    expect(anonymous.html).toContain('Hello,');
    expect(anonymous.text).toMatch(/^Hello,$/m);
    expect(anonymous.html).not.toMatch(/Hello\s+,/);
    const odd = personalize({ ...ADA, name: 'Ada <b>{{x}}</b>' });
    expect(odd.html).toContain('Hello Ada &lt;b&gt;{{x}}&lt;/b&gt;,');
    expect(odd.text).toContain('Hello Ada <b>{{x}}</b>,');
  });

  it('escapes publisher markup and shows the preheader', () => {
    const { html } = compilePersonalizer(both)(ADA);
    expect(html).toContain('Korea’s &amp; China’s &lt;b&gt;thaw&lt;/b&gt;');
    expect(html).not.toContain('<b>thaw');
    const preview = /<div style="display:none;[^"]*">([^<]*)<\/div>/.exec(html);
    expect(decodeHTML(preview?.[1] ?? '').trim()).toBe(both.preheader);
  });

  it('has the archive link, postal address and only https or mailto links', () => {
    const { html, text } = compilePersonalizer(both)(ADA);
    expect(hrefOf(html, 'View in browser')).toBe(ARCHIVE);
    expect(text).toContain(`View in browser:\n${ARCHIVE}\n`);
    for (const line of POSTAL.split('\n')) {
      expect(html).toContain(line);
      expect(text).toContain(line);
    }
    const links = hrefs(html);
    expect(links.length).toBeGreaterThan(5);
    for (const href of links) expect(href).toMatch(/^(https:\/\/|mailto:)/);
  });

  it('writes a plain-text part with title, date, URL, lead and why it matters', () => {
    const { text } = compilePersonalizer(both)(ADA);
    expect(text).toContain('Gallium export curbs ease');
    // 23:00Z on 31 Aug is 1 Sep in Seoul, the list's zone (it was printed in UTC before).
    expect(text).toContain('1 Sep 2023 · Jeongmin Kim');
    expect(text).toContain(`Read more:\n${b3.url}\n`);
    expect(flat(text)).toContain(b3.lead);
    expect(flat(text)).toContain(`Why it matters: ${b3.whyItMatters}`);
    expect(text).toContain('Korea’s & China’s <b>thaw</b>');
    expect(text).toContain('== Economy & Trade ==');
    expect(text).not.toContain('\uE000');
  });

  it('refuses a digest holding any other expression', () => {
    const bad = { ...both, html: `${both.html}{{lookup reader "name"}}` };
    expect(() => compilePersonalizer(bad)).toThrow(PersonalizeError);
    expect(() => compilePersonalizer({ ...both, text: '{{{reader.name}}} {{reader.token}}' })).toThrow(/line 1/);
  });
});

describe('size and cost', () => {
  const long = (n: number, word: string) => Array.from({ length: n }, () => word).join(' ');
  const thirty: Edition = {
    ...edition,
    sections: ['diplomacy', 'economy'].map((topic, s) => ({
      topic,
      name: topic,
      briefings: Array.from({ length: 15 }, (_, i) =>
        briefing(
          `long-${s}-${i}-korea-and-china-discuss-latters-export-restrictions-signaling-thaw`,
          long(14, 'Diplomatic'),
          {
            lead: long(100, 'gallium’s'),
            whyItMatters: long(250, 'germanium'),
            author: 'Jeongmin Kim',
          },
        ),
      ),
    })),
  };

  it('stays under 102 KB with 30 briefings, before and after personalization', async () => {
    const rendered = await render(['diplomacy', 'economy'], thirty);
    const mail = compilePersonalizer(rendered)({ ...ADA, name: 'Alexandra Konstantinopoulou' });
    const kb = (s: string) => Buffer.byteLength(s, 'utf8') / 1000;
    console.log(
      `30 briefings: stage-1 html ${kb(rendered.html).toFixed(1)} kB, personalized ${kb(mail.html).toFixed(1)} kB`,
    );
    expect(kb(rendered.html)).toBeLessThan(102);
    expect(kb(mail.html)).toBeLessThan(102);
  });

  it('personalizes far more cheaply than it renders (logged, not asserted)', async () => {
    const t0 = performance.now();
    const rendered = await render(['diplomacy', 'economy'], thirty);
    const t1 = performance.now();
    const personalize = compilePersonalizer(rendered);
    const t2 = performance.now();
    const runs = 200;
    for (let i = 0; i < runs; i++) personalize({ ...ADA, name: `Reader ${i}` });
    const perReader = (performance.now() - t2) / runs;
    console.log(
      `stage 1 (handlebars+mjml): ${(t1 - t0).toFixed(1)} ms; compile personalizer: ${(t2 - t1).toFixed(1)} ms; ` +
        `stage 2 per reader: ${perReader.toFixed(3)} ms (${((t1 - t0) / perReader).toFixed(0)}× cheaper)`,
    );
    expect(perReader).toBeGreaterThan(0);
  });
});

describe('the look of a list’s digest', () => {
  it('lists the sections with counts under the greeting, in HTML and text', async () => {
    const mail = compilePersonalizer(both)(ADA);
    expect(mail.html).toMatch(
      /Hello Ada,[\s\S]*<strong>In this issue:<\/strong> Diplomacy&nbsp;\(2\) · Economy &amp; Trade&nbsp;\(1\)/,
    );
    expect(mail.text).toMatch(/^Hello Ada,\n.*\nIn this issue: Diplomacy\u00a0\(2\) · Economy & Trade\u00a0\(1\)$/m);
  });

  it('shows the list’s logo (with alt text) and accent colour, and declares light and dark schemes', async () => {
    const styled = listSchema.parse({
      ...list,
      logo: { url: 'https://koreapro.org/logo.png', alt: 'Korea Pro logo', width: 120 },
      accentColor: '#8a1538',
    });
    const { html } = compilePersonalizer(await render(['diplomacy'], edition, styled))(ADA);
    expect(html).toMatch(/<img[^>]+alt="Korea Pro logo"[^>]+src="https:\/\/koreapro\.org\/logo\.png"/);
    expect(html).toContain('background:#8a1538');
    expect(html).not.toContain('#0b5cad');
    expect(html).toContain('<meta name="color-scheme" content="light dark"');
    expect(html).toMatch(/@media \(prefers-color-scheme: dark\)/);
    const plain = compilePersonalizer(await render(['diplomacy']))(ADA).html;
    expect(plain).not.toContain('<img');
    expect(plain).toContain('background:#0b5cad');
  });

  it('writes the subject from the list’s pattern', async () => {
    const patterned = listSchema.parse({ ...list, subject: '{count} briefings: {headline} — {list}, {date}' });
    const digest = await render(['diplomacy', 'economy'], edition, patterned);
    expect(digest.subject).toBe('3 briefings: Korea’s & China’s <b>thaw</b> — Korea Daily, 21 Aug 2024');
  });
});
