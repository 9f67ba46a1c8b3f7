import mjml2html from 'mjml';
import type { Edition, EditionSection } from '../editions/edition.js';
import type { List, Publication } from '../publication.js';
import { fitTrim } from './budget.js';
import { type OfferedTopic, readerSections } from './sections.js';
import { BRACE_SENTINEL, type Templates } from './templates.js';
import { wrapText } from './text.js';
import { type DroppedBriefing, vetEdition } from './vet.js';
import { buildView, NO_TRIM, type Trim } from './view.js';

/**
 * Stage 1 of rendering: one edition for one topic set → HTML and text that still hold the
 * per-reader placeholders (`{{reader.name}}`, `{{reader.preferencesUrl}}`,
 * `{{reader.unsubscribeUrl}}`, `{{reader.following}}`). Runs once per edition and topic set,
 * never per reader; `personalize.ts` fills the placeholders. Which briefing goes where is
 * `sections.ts`, what the templates see `view.ts`, the size budget `budget.ts`, the text
 * layout `text.ts`.
 */

/** A digest rendered for one edition and topic set, before personalization. */
export interface RenderedDigest {
  /** Plain text, one line. */
  subject: string;
  /** Plain text, also in the HTML's hidden preview block. */
  preheader: string;
  /** HTML with reader placeholders; publisher `{` is written `&#123;`. */
  html: string;
  /** Plain text with reader placeholders; publisher `{` is U+E000 until personalized. */
  text: string;
  /** The topic set it was rendered for: deduplicated and sorted (a cache key with the edition id). */
  topics: string[];
  /** The list's topics, in its order: stage 2 names from them what each reader follows. */
  offered: OfferedTopic[];
  /** How many briefings are shown as cards, as title-only links, and only on the web. */
  shown: { cards: number; links: number; web: number };
  /** Briefings left out because their card could not be rendered (see `vet.ts`). */
  dropped?: DroppedBriefing[];
}

/** What `renderTopicSet` needs. */
export interface RenderTopicSetInput {
  publication: Publication;
  list: List;
  edition: Edition;
  /** Topic slugs the reader follows; sections for other topics are left out. */
  topics: string[];
  /** The edition's web archive page ("View in browser"). */
  archiveUrl: string;
  templates: Templates;
  /** The web archive's page: no size budget. @defaultValue false */
  web?: boolean;
}

/** The MJML the templates wrote did not validate. */
export class DigestRenderError extends Error {
  readonly code = 'MJML_INVALID';
  constructor(
    readonly template: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${template}.mjml.hbs produced invalid MJML:\n${problems.map((p) => `  ${p}`).join('\n')}`, options);
    this.name = 'DigestRenderError';
  }
}

async function compileMjml(template: string, mjml: string): Promise<string> {
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    // fonts: {} — no web-font import (MJML adds Google Fonts whenever the stack names Roboto).
    result = await mjml2html(mjml, { validationLevel: 'strict', fonts: {} });
  } catch (err) {
    const errors = (err as { errors?: { formattedMessage?: string; message: string }[] }).errors;
    const problems = errors?.map((e) => e.formattedMessage ?? e.message) ?? [(err as Error).message];
    throw new DigestRenderError(template, problems, { cause: err });
  }
  if (result.errors.length > 0) {
    throw new DigestRenderError(
      template,
      result.errors.map((e) => e.formattedMessage ?? e.message),
    );
  }
  return result.html;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The HTML budget of a list's digests, in bytes. */
export function budgetBytes(publication: Publication, list: List): number {
  return (list.sizeBudgetKB ?? publication.sizeBudgetKB) * 1000;
}

/**
 * Render an edition for one topic set: keep the sections whose topic is in `topics`, each
 * briefing once under its best-scoring topic among them (`readerSections`), write MJML with the
 * list's template and compile it (validation level strict). Past the list's size budget, later
 * cards become title-only links and then "N more on the web" (see `fitTrim`); the web archive
 * (`web: true`) is never trimmed. The plain-text part shows the same, wrapped at 78 columns.
 * The result still holds the reader placeholders; personalize it with `compilePersonalizer`.
 * Briefings whose card cannot be rendered (`vetEdition`) are left out and listed in `dropped`.
 * @throws TemplateError for an unknown template, DigestRenderError for invalid MJML.
 */
export async function renderTopicSet(given: RenderTopicSetInput): Promise<RenderedDigest> {
  // A briefing whose card cannot be rendered is left out and named in `dropped` (see vet.ts).
  const { edition, dropped } = vetEdition(given.edition);
  const input = { ...given, edition };
  const topics = [...new Set(input.topics)].sort();
  const sections = readerSections(input.edition.sections, topics);
  const { templates, list, publication } = input;
  const name = list.template;
  const mjmlFor = (trim: Trim) => templates.render(name, 'mjml', buildView(input, sections, trim).view);
  const htmlFor = async (mjml: string) => (await compileMjml(name, mjml)).replaceAll(BRACE_SENTINEL, '&#123;');

  const budget = input.web ? Number.POSITIVE_INFINITY : budgetBytes(publication, list);
  let trim = NO_TRIM;
  let mjml = mjmlFor(trim);
  let html = await htmlFor(mjml);
  // MJML wraps the cards' HTML without rewriting it: the HTML is the MJML plus a near-constant
  // overhead, so cheap Handlebars renders estimate each candidate and MJML runs once more (or a
  // few times, each with a budget tightened by the last overshoot).
  const overhead = bytes(html) - bytes(mjml);
  let target = budget;
  for (let attempt = 0; attempt < 5 && bytes(html) > budget; attempt++) {
    trim = fitTrim(sections, target, (t) => bytes(mjmlFor(t)) + overhead);
    mjml = mjmlFor(trim);
    html = await htmlFor(mjml);
    target -= Math.max(0, bytes(html) - budget) + 1024;
  }
  const { subject, preheader, view } = buildView(input, sections, trim);
  const text = wrapText(templates.render(name, 'text', view));
  const offered = list.topics.map((slug) => ({
    slug,
    name: publication.topics.find((t) => t.slug === slug)?.name ?? slug,
  }));
  const shown = shownCounts(sections, trim);
  return { subject, preheader, html, text, topics, offered, shown, ...(dropped.length ? { dropped } : {}) };
}

function shownCounts(sections: readonly EditionSection[], trim: Trim): RenderedDigest['shown'] {
  const shown = { cards: 0, links: 0, web: 0 };
  for (const s of sections) {
    const n = s.briefings.length;
    shown.cards += Math.min(n, trim.full);
    shown.links += Math.min(Math.max(0, n - trim.full), trim.links);
    shown.web += Math.max(0, n - trim.full - trim.links);
  }
  return shown;
}
