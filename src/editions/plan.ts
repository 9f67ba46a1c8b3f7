import type { Briefing } from '../briefings/briefing.js';
import type { List, Topic } from '../publication.js';
import { type Edition, type EditionBriefing, editionId } from './edition.js';

export interface Window {
  /** Exclusive. */
  since: Date;
  /** Inclusive: the scheduled slot. */
  cutoff: Date;
}

function freeze(b: Briefing): EditionBriefing {
  return {
    id: b.id,
    url: b.url,
    title: b.title,
    publishedAt: b.publishedAt,
    modifiedAt: b.modifiedAt,
    ...(b.author ? { author: b.author } : {}),
    lead: b.lead,
    ...(b.whyItMatters ? { whyItMatters: b.whyItMatters } : {}),
    topics: [...b.topics],
  };
}

/**
 * Plan one list's edition for a window (pure): the published briefings in the window, grouped
 * by the list's topics in the list's order, newest first. A briefing in several of the list's
 * topics appears in each. Null when nothing in the window belongs to the list.
 */
export function planEdition(
  list: List,
  topics: readonly Topic[],
  window: Window,
  briefings: readonly Briefing[],
  now: Date,
): Edition | null {
  const since = window.since.getTime();
  const cutoff = window.cutoff.getTime();
  const inWindow = briefings
    .filter((b) => b.published)
    .filter((b) => {
      const t = Date.parse(b.publishedAt);
      return t > since && t <= cutoff;
    })
    .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt));
  const names = new Map(topics.map((t) => [t.slug, t.name]));
  const sections = list.topics
    .map((slug) => ({
      topic: slug,
      name: names.get(slug) ?? slug,
      briefings: inWindow.filter((b) => b.topics.includes(slug)).map(freeze),
    }))
    .filter((s) => s.briefings.length > 0);
  if (sections.length === 0) return null;
  return {
    id: editionId(list.id, window.cutoff),
    listId: list.id,
    since: window.since.toISOString(),
    cutoff: window.cutoff.toISOString(),
    plannedAt: now.toISOString(),
    sections,
  };
}

/**
 * Topics a reader receives from an edition: what they follow (none, or none still offered = all
 * the list's) that has news. Empty means no email, unless the list sends the whole edition then.
 */
export function readerTopics(edition: Edition, list: List, followed: readonly string[]): string[] {
  const chosen = followed.filter((t) => list.topics.includes(t));
  const wanted = chosen.length > 0 ? chosen : list.topics;
  const picked = edition.sections.map((s) => s.topic).filter((t) => wanted.includes(t));
  if (picked.length > 0 || list.whenNothingFollowed === 'skip') return picked;
  return edition.sections.map((s) => s.topic);
}
