import type { Briefing } from '../briefings/briefing.js';
import type { List, Topic } from '../publication.js';
import { type Edition, type EditionBriefing, editionId } from './edition.js';

/**
 * What an edition may carry: briefings first collected in `(since, cutoff]` whose publication
 * time is after `publishedAfter`. Collection times do not overlap from one edition to the next,
 * and an edit never changes one, so a briefing goes into at most one edition of a list; one
 * collected late (a scheduled post, a slow poll) goes into the next edition instead of none.
 */
export interface Window {
  /** Exclusive: the list's previous cut-off. */
  since: Date;
  /** Inclusive: the scheduled slot. */
  cutoff: Date;
  /** Exclusive: the oldest publication time the edition takes (the list's `maxAgeHours`). Absent: no limit. */
  publishedAfter?: Date;
  /**
   * A list's first edition with a `since` setting: briefings published in `(since, cutoff]` go in
   * too, whenever they were collected (a back catalogue sent on purpose).
   */
  backCatalogue?: boolean;
}

/** When a briefing became available to Gazette: first collected, or (never stored) published. */
function collectedTime(b: Briefing): number {
  return Date.parse(b.collectedAt ?? b.publishedAt);
}

/** Whether a briefing belongs to a window (published state and topics aside). */
export function inWindow(b: Briefing, window: Window): boolean {
  const since = window.since.getTime();
  const cutoff = window.cutoff.getTime();
  const within = (t: number) => t > since && t <= cutoff;
  const published = Date.parse(b.publishedAt);
  if (window.publishedAfter && published <= window.publishedAfter.getTime()) return false;
  return within(collectedTime(b)) || (window.backCatalogue === true && within(published));
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
 * Plan one list's edition for a window (pure): the published briefings in the window (see
 * {@link Window}), grouped by the list's topics in the list's order, newest first. A briefing in
 * several of the list's topics appears in each. `alreadySent` (the ids of the list's previous
 * edition) are left out, whatever the window says. Null when nothing in the window belongs to the list.
 */
export function planEdition(
  list: List,
  topics: readonly Topic[],
  window: Window,
  briefings: readonly Briefing[],
  now: Date,
  alreadySent: ReadonlySet<string> = new Set(),
): Edition | null {
  const picked = briefings
    .filter((b) => b.published && !alreadySent.has(b.id) && inWindow(b, window))
    .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt));
  const names = new Map(topics.map((t) => [t.slug, t.name]));
  const sections = list.topics
    .map((slug) => ({
      topic: slug,
      name: names.get(slug) ?? slug,
      briefings: picked.filter((b) => b.topics.includes(slug)).map(freeze),
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
