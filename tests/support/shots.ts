/**
 * Screenshots of a rendered digest for a person to look at: a 4-section edition, personalized,
 * shown by headless Chromium at 600 px and 375 px wide, light and dark
 * (`prefers-color-scheme` emulated). Used by `npm run preview:shots` and by a test.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { renderTopicSet } from '../../src/render/digest.js';
import { compilePersonalizer } from '../../src/render/personalize.js';
import { loadTemplates } from '../../src/render/templates.js';
import { SCREENSHOTS, startBrowser } from './browser.js';
import { ARCHIVE_URL, digestPublication, SAMPLE_READER, sampleEdition, theList } from './digest.js';

export const LOGO_URL = 'https://news.example/static/logo.svg';

/** A logo served to the browser in place of the network (the tests run offline). */
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="64" viewBox="0 0 320 64">
<rect width="64" height="64" rx="12" fill="#8a1538"/><text x="32" y="44" font-family="Georgia,serif" font-size="36" fill="#fff" text-anchor="middle">K</text>
<text x="80" y="42" font-family="Georgia,serif" font-size="28" fill="#8a1538">Korea Pro</text></svg>`;

/**
 * Computed colours: in the first topic section (the second `.g-card`; the first is the header),
 * of the page around the cards, and of the footer's text.
 */
const COLORS = `(() => {
  const section = document.querySelectorAll('.g-card')[1];
  const style = (el, prop) => (el ? getComputedStyle(el)[prop] : '');
  // What shows around the cards: the first opaque background under the page's top-left corner.
  let under = document.elementFromPoint(4, 4);
  while (under && style(under, 'backgroundColor') === 'rgba(0, 0, 0, 0)') under = under.parentElement;
  const footer = document.querySelector('.g-footer p');
  return {
    page: style(under, 'backgroundColor'),
    footer: style(footer, 'color'),
    background: style(section, 'backgroundColor'),
    text: style(section && section.querySelector('h3 + p + p'), 'color'),
    headline: style(section && section.querySelector('h3 a'), 'color'),
  };
})()`;

export interface Shot {
  file: string;
  width: number;
  scheme: 'light' | 'dark';
  /** Computed colours in the first topic section (`rgb(…)`): background, a lead's text, a headline. */
  colors: { background: string; text: string; headline: string; page: string; footer: string };
}

/** The personalized HTML of a 4-section digest with the list's logo and accent colour. */
export async function sampleDigestHtml(): Promise<string> {
  const publication = digestPublication({
    logo: { url: LOGO_URL, alt: 'Korea Pro', width: 160 },
    accentColor: '#8a1538',
  });
  const list = theList(publication);
  const digest = await renderTopicSet({
    publication,
    list,
    edition: sampleEdition([3, 2, 2, 2]),
    topics: list.topics,
    archiveUrl: ARCHIVE_URL,
    templates: await loadTemplates(),
  });
  return compilePersonalizer(digest)({ ...SAMPLE_READER, followed: ['north-korea', 'diplomacy', 'trade', 'china'] })
    .html;
}

/** Save the four screenshots under `dir` (default `tests/screenshots/`); returns what was written. */
export async function takeScreenshots(dir = SCREENSHOTS): Promise<Shot[]> {
  await mkdir(dir, { recursive: true });
  const html = await sampleDigestHtml();
  const { browser, close } = await startBrowser();
  const shots: Shot[] = [];
  try {
    for (const width of [600, 375]) {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
        const page = await context.newPage();
        await page.route('**/*', (route) =>
          route.request().url() === LOGO_URL
            ? route.fulfill({ contentType: 'image/svg+xml', body: LOGO_SVG })
            : route.abort(),
        );
        await page.setContent(html, { waitUntil: 'load' });
        const file = join(dir, `digest-${width}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        // A string, not a function: the project compiles without the DOM library.
        const colors = (await page.evaluate(COLORS)) as Shot['colors'];
        shots.push({ file, width, scheme, colors });
        await context.close();
      }
    }
  } finally {
    await close();
  }
  return shots;
}
