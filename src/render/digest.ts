import mjml2html from 'mjml';
import type { Edition, EditionBriefing, EditionSection } from '../editions/edition.js';
import type { List, Publication } from '../publication.js';
import { BRACE_SENTINEL, formatDate, READER_PLACEHOLDERS, type Templates } from './templates.js';

/**
 * Stage 1 of rendering: one edition for one topic set → HTML and text that still hold the
 * per-reader placeholders (`{{reader.name}}`, `{{reader.preferencesUrl}}`,
 * `{{reader.unsubscribeUrl}}`). Runs once per edition and topic set, never per reader;
 * `personalize.ts` fills the placeholders.
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

/** Card text limits: a digest teases, and bounded cards keep 30 briefings well under Gmail's 102 KB clip. */
const LIMITS = { title: 200, subjectTitle: 80, preheader: 120, lead: 360, whyItMatters: 300 } as const;

const words = new Intl.Segmenter('en', { granularity: 'word' });

/**
 * Collapse whitespace and cut `text` to at most `max` characters on a word boundary,
 * adding `…` when it was cut.
 */
export function shorten(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  let out = '';
  for (const { segment } of words.segment(clean)) {
    if (out.length + segment.length > max - 1) break;
    out += segment;
  }
  out = out.replace(/[\s,;:.\-–—]+$/u, '');
  if (!out)
    out = Array.from(clean)
      .slice(0, max - 1)
      .join('');
  return `${out}…`;
}

/** `a`, `a and b`, `a, b and c`. */
function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** Publisher text for stage 1: `{` becomes the sentinel, so stage 2 can never evaluate it. */
function shieldAll<T>(value: T): T {
  if (typeof value === 'string') {
    return value.replaceAll(BRACE_SENTINEL, '').replaceAll('{', BRACE_SENTINEL) as T;
  }
  if (Array.isArray(value)) return value.map(shieldAll) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shieldAll(v)])) as T;
  }
  return value;
}

function cardView(b: EditionBriefing) {
  return {
    title: shorten(b.title, LIMITS.title),
    url: b.url,
    publishedAt: b.publishedAt,
    author: b.author ?? '',
    lead: shorten(b.lead, LIMITS.lead),
    whyItMatters: b.whyItMatters ? shorten(b.whyItMatters, LIMITS.whyItMatters) : '',
  };
}

function subjectFor(list: List, date: string, sections: EditionSection[]): string {
  const all = sections.flatMap((s) => s.briefings);
  const first = all[0];
  if (!first) return `${list.name} · ${date}: nothing new`;
  const more = all.length > 1 ? ` (+${all.length - 1} more)` : '';
  return `${list.name} · ${date}: ${shorten(first.title, LIMITS.subjectTitle)}${more}`;
}

function introFor(sections: EditionSection[]): string {
  const count = sections.reduce((n, s) => n + s.briefings.length, 0);
  if (count === 0) return 'Nothing new in the topics you follow this time.';
  const noun = count === 1 ? 'briefing' : 'briefings';
  return `${count} new ${noun} in ${joinNames(sections.map((s) => s.name))}.`;
}

/** Everything the stage-1 templates see; all strings except `reader` are shielded. */
function buildView(input: RenderTopicSetInput, topics: string[], sections: EditionSection[]) {
  const { publication, list, edition, archiveUrl } = input;
  const date = formatDate(edition.cutoff, list.schedule.tz);
  const subject = subjectFor(list, date, sections);
  const firstLead = sections[0]?.briefings[0]?.lead;
  const preheader = firstLead ? shorten(firstLead, LIMITS.preheader) : introFor(sections);
  const topicNames = list.topics
    .filter((t) => topics.includes(t))
    .map((t) => publication.topics.find((p) => p.slug === t)?.name ?? t);
  const view = shieldAll({
    subject,
    preheader,
    intro: introFor(sections),
    archiveUrl,
    topicNames: joinNames(topicNames),
    publication: { name: publication.name },
    list: { name: list.name, tz: list.schedule.tz, postalLines: list.postalAddress.split(/\r?\n/) },
    edition: { id: edition.id, cutoff: edition.cutoff },
    sections: sections.map((s) => ({ topic: s.topic, name: s.name, briefings: s.briefings.map(cardView) })),
  });
  return { subject, preheader, view: { ...view, reader: READER_PLACEHOLDERS } };
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

/**
 * A briefing in several of the reader's topics is shown once, in the first of them; sections
 * left empty by that are dropped.
 */
function onceEach(sections: EditionSection[]): EditionSection[] {
  const seen = new Set<string>();
  return sections
    .map((s) => ({
      ...s,
      briefings: s.briefings.filter((b) => {
        if (seen.has(b.id)) return false;
        seen.add(b.id);
        return true;
      }),
    }))
    .filter((s) => s.briefings.length > 0);
}

/**
 * Render an edition for one topic set: keep the sections whose topic is in `topics` (in edition
 * order, each briefing once), write MJML with the list's template, compile it (validation level strict) and render
 * the plain-text part. The result still holds the reader placeholders; personalize it per reader
 * with `compilePersonalizer`.
 * @throws TemplateError for an unknown template, DigestRenderError for invalid MJML.
 */
export async function renderTopicSet(input: RenderTopicSetInput): Promise<RenderedDigest> {
  const topics = [...new Set(input.topics)].sort();
  const sections = onceEach(input.edition.sections.filter((s) => topics.includes(s.topic)));
  const { subject, preheader, view } = buildView(input, topics, sections);
  const name = input.list.template;
  const mjml = input.templates.render(name, 'mjml', view);
  const html = (await compileMjml(name, mjml)).replaceAll(BRACE_SENTINEL, '&#123;');
  const text = input.templates.render(name, 'text', view);
  return { subject, preheader, html, text, topics };
}
