import type { EditionBriefing, EditionSection } from '../editions/edition.js';

/**
 * Which briefings a reader sees, under which topic (pure). An edition lists a briefing in every
 * one of the list's topics it belongs to; a reader sees it once, under the best-scoring of the
 * topics they receive (the briefing's `topics` are in score order, best first — see
 * `src/topics/classify.ts`). Sections keep the edition's order, which is the list's.
 */
export function readerSections(sections: readonly EditionSection[], topics: readonly string[]): EditionSection[] {
  const chosen = sections.filter((s) => topics.includes(s.topic));
  const present = new Set(chosen.map((s) => s.topic));
  const home = new Map<string, string>();
  for (const section of chosen) {
    for (const b of section.briefings) {
      if (home.has(b.id)) continue;
      home.set(b.id, bestTopic(b, present) ?? section.topic);
    }
  }
  return chosen
    .map((s) => ({ ...s, briefings: s.briefings.filter((b) => home.get(b.id) === s.topic) }))
    .filter((s) => s.briefings.length > 0);
}

/**
 * The first of the briefing's topics (best first) that the reader gets a section for; undefined
 * for a briefing frozen before editions kept topics (it then stays in the first section holding it).
 */
function bestTopic(b: EditionBriefing, present: ReadonlySet<string>): string | undefined {
  return b.topics?.find((t) => present.has(t));
}

/** `a`, `a and b`, `a, b and c`. */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** A topic offered by a list, for naming what a reader follows. */
export interface OfferedTopic {
  slug: string;
  name: string;
}

/**
 * What a reader follows, in words for the footer: the names of the chosen topics the list still
 * offers, in the list's order; "all topics" when they chose none (or none still offered).
 */
export function followingLabel(offered: readonly OfferedTopic[], followed: readonly string[]): string {
  const names = offered.filter((t) => followed.includes(t.slug)).map((t) => t.name);
  return names.length > 0 ? joinNames(names) : 'all topics';
}
