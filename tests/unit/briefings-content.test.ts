import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { digestContent, LEAD_MAX_CHARS } from '../../src/briefings/content.js';
import { recoverJson } from '../../src/briefings/recover.js';

function seed(name: string): { html: string; link: string } {
  const text = readFileSync(fileURLToPath(new URL(`../../sample/briefings/${name}`, import.meta.url)), 'utf8');
  const post = recoverJson(text).value as { content: { rendered: string }; link: string };
  return { html: post.content.rendered, link: post.link };
}

const SEED_000 = seed('000_2154cd5311bbae3c.txt');
const SEED_002 = seed('002_e09ed9bce8e7f6d7.txt');

function count(haystack: string, needle: RegExp): number {
  return haystack.match(needle)?.length ?? 0;
}

/** What a reader must never get in an email body. */
function expectSafe(html: string): void {
  expect(html).not.toContain('</span>');
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/onerror/i);
  expect(html).not.toMatch(/javascript:/i);
  expect(html).not.toMatch(/<iframe|<style/i);
  expect(count(html, /<a[\s>]/g)).toBe(count(html, /<\/a>/g));
  expect(count(html, /<p>/g)).toBe(count(html, /<\/p>/g));
}

describe('digestContent on the seeds (opening tags stripped)', () => {
  const first = digestContent(SEED_000.html, SEED_000.link);
  const second = digestContent(SEED_002.html, SEED_002.link);

  it('takes the first paragraph as the lead, keeping the spaces where tags were stripped', () => {
    expect(first.lead).toMatch(
      /^In bilateral consultations between South Korea and China on Aug\. 29, Beijing clarified its stance on the gallium/,
    );
    expect(first.lead).toMatch(/60% of germanium, materials vital for manufacturing semiconductors\.$/);
    expect(second.lead).toMatch(/^South Korea and China’s Shandong Province held the Seventh ROK-Shandong/);
  });

  it('never takes the heading, or text past it, as the lead', () => {
    for (const { lead } of [first, second]) {
      expect(lead).not.toMatch(/why it matters/i);
      expect(lead).not.toContain('\n');
    }
  });

  it('finds the section after "Why It Matters" and "WHY IT MATTERS"', () => {
    expect(first.whyItMatters).toMatch(/^Diplomatic relations between South Korea and China hit a stumbling block/);
    expect(first.whyItMatters).toMatch(/searching for common ground amid their differences\.$/);
    expect(first.whyItMatters?.split('\n\n')).toHaveLength(2);
    expect(second.whyItMatters).toMatch(/^The ROK-Shandong meeting spotlights/);
    expect(second.whyItMatters?.split('\n\n')).toHaveLength(3);
  });

  it('rebuilds the paragraphs and leaves no stray closing tags', () => {
    expectSafe(first.html);
    expectSafe(second.html);
    expect(count(first.html, /<p>/g)).toBe(5);
    expect(first.html).toContain('<p><b>Why It Matters</b></p>');
    expect(first.html).toContain('remarks to <i>Reuters</i> —');
  });
});

describe('digestContent sanitizing', () => {
  it.each([
    ['<p>a<script>alert(1)</script>b</p>', '<p>ab</p>'],
    ['<p>a<img src=x onerror=alert(1)>b</p>', '<p>a<img src="https://example.com/post/x" alt="" />b</p>'],
    ['<p><a href="javascript:alert(1)">click</a></p>', '<p>click</p>'],
    ['<p><a href=" JaVa\tScRiPt:alert(1)">click</a></p>', '<p>click</p>'],
    ['<p>a<iframe src="https://evil.example/">fallback</iframe>b</p>', '<p>ab</p>'],
    ['<style>p { color: red }</style><p>a</p>', '<p>a</p>'],
    ['<p onclick="alert(1)" style="color:red" class="x">a</p>', '<p>a</p>'],
    ['<p><img src="http://example.com/pixel.gif">a</p>', '<p>a</p>'],
    ['<p><a href="data:text/html,x">a</a></p>', '<p>a</p>'],
  ])('removes the hostile part of %j', (input, expected) => {
    expect(digestContent(input, 'https://example.com/post/').html).toBe(expected);
  });

  it('absolutizes relative links and images against the post URL and adds rel="noopener"', () => {
    const { html } = digestContent(
      '<p><a href="../other/">other</a> <img src="/img/a.png" alt="A" width="300" height="200"></p>',
      'https://koreapro.org/2023/09/post/',
    );
    expect(html).toBe(
      '<p><a href="https://koreapro.org/2023/09/other/" rel="noopener">other</a> <img src="https://koreapro.org/img/a.png" alt="A" width="300" height="200" /></p>',
    );
  });

  it('keeps mailto links and drops relative URLs when there is no base to resolve them', () => {
    expect(digestContent('<p><a href="mailto:desk@example.com">desk</a> <a href="/x">x</a></p>').html).toBe(
      '<p><a href="mailto:desk@example.com" rel="noopener">desk</a> x</p>',
    );
  });

  it('passes well-formed HTML through unchanged', () => {
    const html =
      '<h2>Title</h2><p>One <strong>two</strong> <em>three</em></p><ul><li>a</li><li>b</li></ul><blockquote><p>q</p></blockquote><p>end</p>';
    expect(digestContent(html).html).toBe(html);
  });

  it('does not turn stray </p> and </br> into empty paragraphs', () => {
    const { html } = digestContent('<p>a</p></p>b</br>c</p>');
    expect(html).toBe('<p>a</p><p>b<br />c</p>');
  });

  it('removes the U+E000 sentinel, literal or as an entity', () => {
    const { html, lead } = digestContent(
      '<p>a\uE000b&#xE000;c<img src="https://example.com/i.png" alt="x&#57344;y"></p>',
    );
    expect(html).not.toContain('\uE000');
    expect(lead).toBe('abc');
    expect(html).toContain('alt="xy"');
  });
});

describe('digestContent lead and why it matters', () => {
  it('decodes entities in the lead and collapses whitespace', () => {
    expect(digestContent('<p>\n  Seoul&#8217;s   <b>AT&amp;T</b>\n deal&nbsp;now</p>').lead).toBe(
      'Seoul’s AT&T deal now',
    );
  });

  it('skips empty and heading paragraphs when choosing the lead', () => {
    expect(digestContent('<p>&nbsp;</p><h2>Intro</h2><p><strong>Seoul</strong></p><p>The lead.</p>').lead).toBe(
      'The lead.',
    );
  });

  it('caps the lead at 600 characters on a word boundary', () => {
    const { lead } = digestContent(`<p>${'Korea '.repeat(200)}</p>`);
    expect(lead.length).toBeLessThanOrEqual(LEAD_MAX_CHARS);
    expect(lead).toMatch(/ Korea…$/);
  });

  it('reads the section under an h3 heading up to the next heading', () => {
    const html =
      '<p>Lead.</p><h3>Why it matters:</h3><p>First.</p><ul><li>Point</li></ul><p>Second.</p><h3>What’s next</h3><p>Later.</p>';
    expect(digestContent(html)).toMatchObject({ lead: 'Lead.', whyItMatters: 'First.\n\n• Point\n\nSecond.' });
  });

  it('stops at a short all-bold paragraph', () => {
    const html = '<p>Lead.</p><p><b>Why it matters.</b></p><p>Because.</p><p><strong>Context</strong></p><p>Other.</p>';
    expect(digestContent(html).whyItMatters).toBe('Because.');
  });

  it('has no why it matters without the heading, even when the words appear in a sentence', () => {
    expect(digestContent('<p>Here is why it matters to us.</p><p>More.</p>').whyItMatters).toBeUndefined();
  });
});
