import Handlebars from 'handlebars';
import type { Edition, EditionBriefing } from '../editions/edition.js';
import { BRACE_SENTINEL } from './templates.js';

/**
 * Stage-1 input, checked briefing by briefing (pure). A briefing whose card cannot be rendered
 * safely is dropped from the edition's render with a reason, so one bad briefing (a NUL stored
 * before collection normalized text, a `javascript:` URL from a files source) never takes the
 * whole edition, or a topic set of it, down with it. Collection normalizes text too; this is
 * the renderer defending itself against briefings already stored.
 */

/** A briefing left out of an edition's render, and why. */
export interface DroppedBriefing {
  id: string;
  /** The title, made printable for status reports (controls shown as U+FFFD). */
  title: string;
  reason: string;
}

// C0 but TAB, LF, CR (the card collapses those to spaces), DEL, C1.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;
// The stage-2 marks and the brace sentinel are Gazette's own; publisher text must not hold them.
const RESERVED = /[\uE001-\uE004]/u;
const CARD_TEXT = ['title', 'lead', 'whyItMatters', 'author'] as const;

const hb = Handlebars.create();

function printable(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/gu, '\uFFFD').slice(0, 120);
}

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `b`'s card cannot be rendered, or null when it can. */
export function cardProblem(b: EditionBriefing): string | null {
  for (const field of CARD_TEXT) {
    const value = b[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return `${field} is not text`;
    const control = CONTROL.exec(value);
    if (control) return `control character ${codePoint(control[0])} in ${field}`;
    if (RESERVED.test(value)) return `reserved character in ${field}`;
  }
  if (typeof b.title !== 'string' || !b.title.trim()) return 'empty title';
  // An empty url: collected without a link it may carry, a card without "Read more".
  if (b.url !== '') {
    const problem = urlProblem(b.url);
    if (problem) return problem;
  }
  // What stage 2 will parse: the card's text as stage 1 writes it (braces shielded, escaped).
  const card = CARD_TEXT.map((f) => hb.escapeExpression(String(b[f] ?? '').replaceAll('{', BRACE_SENTINEL))).join('\n');
  try {
    const program = hb.parseWithoutProcessing(card);
    if (program.body.some((n) => n.type !== 'ContentStatement')) return 'card text holds a template expression';
  } catch (err) {
    return `card text cannot be parsed: ${(err as Error).message.split('\n')[0]}`;
  }
  return null;
}

/**
 * The edition without the briefings whose card cannot be rendered (sections left empty are
 * removed), and those briefings with their reasons (each once, even when in several sections).
 */
export function vetEdition(edition: Edition): { edition: Edition; dropped: DroppedBriefing[] } {
  const dropped = new Map<string, DroppedBriefing>();
  const sections = edition.sections
    .map((s) => ({
      ...s,
      briefings: s.briefings.filter((b) => {
        const reason = dropped.get(b.id)?.reason ?? cardProblem(b);
        if (reason) dropped.set(b.id, { id: b.id, title: printable(String(b.title ?? '')), reason });
        return !reason;
      }),
    }))
    .filter((s) => s.briefings.length > 0);
  if (dropped.size === 0) return { edition, dropped: [] };
  return { edition: { ...edition, sections }, dropped: [...dropped.values()] };
}

function urlProblem(link: string): string | null {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return 'url is not a valid URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `url scheme ${url.protocol} is not http(s)`;
  if (CONTROL.test(link)) return 'control character in url';
  return null;
}
