import type { Edition, EditionBriefing, EditionSection } from '../editions/edition.js';
import type { List, Publication } from '../publication.js';
import { formatDate } from './dates.js';
import { joinNames } from './sections.js';
import { BRACE_SENTINEL, READER_PLACEHOLDERS } from './templates.js';

/**
 * What the stage-1 templates see (pure): sections trimmed to a size plan, dates in the list's
 * zone and locale, the list's look. Every string but `reader` is shielded (publisher `{` →
 * sentinel), so stage 2 can never evaluate publisher text.
 */

/** Card text limits: a digest teases. */
const LIMITS = { title: 200, subjectTitle: 80, preheader: 120, lead: 360, whyItMatters: 300 } as const;

/**
 * How much of each section is shown in full: the first `full` briefings as cards, the next
 * `links` as title-only links, the rest counted in "N more on the web". Infinity = no cap.
 */
export interface Trim {
  full: number;
  links: number;
}

export const NO_TRIM: Trim = Object.freeze({ full: Number.POSITIVE_INFINITY, links: 0 });

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

/** `topic-north-korea`: the id of a section's heading, for "more on the web" links. */
export function sectionAnchor(topic: string): string {
  return `topic-${topic}`;
}

function count(sections: readonly EditionSection[]): number {
  return sections.reduce((n, s) => n + s.briefings.length, 0);
}

function subjectFor(list: List, date: string, sections: readonly EditionSection[]): string {
  const first = sections[0]?.briefings[0];
  const total = count(sections);
  const values: Record<string, string> = {
    list: list.name,
    date,
    headline: first ? shorten(first.title, LIMITS.subjectTitle) : 'nothing new',
    count: String(total),
    more: total > 1 ? ` (+${total - 1} more)` : '',
  };
  return list.subject.replace(/\{([a-z]+)\}/g, (token, name: string) => values[name] ?? token);
}

function introFor(sections: readonly EditionSection[]): string {
  const total = count(sections);
  if (total === 0) return 'Nothing new in the topics you follow this time.';
  const noun = total === 1 ? 'briefing' : 'briefings';
  return `${total} new ${noun} in ${joinNames(sections.map((s) => s.name))}.`;
}

/**
 * The archive page for the reader's sections: the whole edition, or (`?topics=a,b`) the same
 * topic set the reader gets, so every briefing the email leaves out is in the section its
 * "more on the web" link points to.
 */
function archiveFor(archiveUrl: string, edition: Edition, sections: readonly EditionSection[]): string {
  if (edition.sections.every((e) => sections.some((s) => s.topic === e.topic))) return archiveUrl;
  const url = new URL(archiveUrl);
  url.searchParams.set('topics', sections.map((s) => s.topic).join(','));
  return url.href;
}

/** Everything one render needs to know besides the sections. */
export interface ViewInput {
  publication: Publication;
  list: List;
  edition: Edition;
  archiveUrl: string;
}

/** Build the template view for `sections` shown with `trim`. */
export function buildView(input: ViewInput, sections: readonly EditionSection[], trim: Trim) {
  const { publication, list, edition, archiveUrl } = input;
  const webUrl = archiveFor(archiveUrl, edition, sections);
  const { tz } = list.schedule;
  const date = formatDate(edition.cutoff, tz, list.locale);
  const subject = subjectFor(list, date, sections);
  const firstLead = sections[0]?.briefings[0]?.lead;
  const preheader = firstLead ? shorten(firstLead, LIMITS.preheader) : introFor(sections);
  const card = (b: EditionBriefing) => ({
    title: shorten(b.title, LIMITS.title),
    url: b.url,
    date: formatDate(b.publishedAt, tz, list.locale),
    author: b.author ?? '',
    lead: shorten(b.lead, LIMITS.lead),
    whyItMatters: b.whyItMatters ? shorten(b.whyItMatters, LIMITS.whyItMatters) : '',
  });
  const shown = sections.map((s) => {
    const links = s.briefings.slice(trim.full, trim.full + trim.links);
    const more = Math.max(0, s.briefings.length - trim.full - trim.links);
    return {
      topic: s.topic,
      name: s.name,
      anchor: sectionAnchor(s.topic),
      cards: s.briefings.slice(0, trim.full).map(card),
      links: links.map((b) => ({ title: shorten(b.title, LIMITS.title), url: b.url })),
      more,
      moreUrl: `${webUrl}#${sectionAnchor(s.topic)}`,
    };
  });
  const trimmed = shown.some((s) => s.links.length > 0 || s.more > 0);
  const view = shieldAll({
    subject,
    preheader,
    intro: introFor(sections),
    // `label` keeps name and count on one line of the text part (a no-break space).
    contents: sections.map((s) => ({
      name: s.name,
      count: s.briefings.length,
      label: `${s.name}\u00a0(${s.briefings.length})`,
    })),
    trimmed: trimmed
      ? 'A long issue: to keep this email whole in every inbox, some briefings are shown as headlines only, and the rest are on the web.'
      : '',
    archiveUrl,
    lang: list.locale,
    look: { accent: list.accentColor, logo: list.logo ?? null },
    publication: { name: publication.name },
    list: { name: list.name, postalLines: list.postalAddress.split(/\r?\n/) },
    edition: { id: edition.id, date },
    sections: shown,
  });
  return { subject, preheader, view: { ...view, reader: READER_PLACEHOLDERS } };
}
