import type { List } from '../publication.js';
import type { Window } from './plan.js';
import { slotBefore } from './schedule.js';

/**
 * The window of a list's edition at `cutoff` (pure). It starts at the list's previous cut-off;
 * the first edition starts at the list's `since` or one schedule period before. Briefings older
 * than the list's `maxAgeHours` (default: two schedule periods) stay out, so a back-catalogue
 * import does not flood readers — except in a first edition with `since`, which carries what was
 * published after it on purpose.
 */
export function editionWindow(list: List, cutoff: Date, lastCutoff: Date | null): Window {
  if (lastCutoff === null && list.since) {
    const since = new Date(list.since);
    return { since, cutoff, publishedAfter: since, backCatalogue: true };
  }
  const since = lastCutoff ?? slotBefore(list.schedule, cutoff);
  return { since, cutoff, publishedAfter: oldestPublished(list, cutoff) };
}

/** The publication time an edition at `cutoff` takes briefings after: `maxAgeHours`, else two schedule periods back. */
export function oldestPublished(list: List, cutoff: Date): Date {
  if (list.maxAgeHours !== undefined) return new Date(cutoff.getTime() - list.maxAgeHours * 3_600_000);
  return slotBefore(list.schedule, slotBefore(list.schedule, cutoff));
}
