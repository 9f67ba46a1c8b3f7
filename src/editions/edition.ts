import type { Briefing } from '../briefings/briefing.js';

/** The part of a briefing an edition freezes: later edits do not change what was sent. */
export type EditionBriefing = Pick<
  Briefing,
  'id' | 'url' | 'title' | 'publishedAt' | 'modifiedAt' | 'author' | 'lead' | 'whyItMatters'
> & {
  /** The briefing's topics, best-scoring first; absent in editions frozen before it was kept. */
  topics?: string[];
};

export interface EditionSection {
  /** Topic slug. */
  topic: string;
  /** Topic display name at planning time. */
  name: string;
  /** Newest first. */
  briefings: EditionBriefing[];
}

/**
 * An Edition: what one list sends for one scheduled slot. Frozen when planned;
 * its id is derived from the list and the cut-off, so planning a slot twice plans it once.
 */
export interface Edition {
  id: string;
  listId: string;
  /** Window start (exclusive), ISO-8601 UTC: the previous edition's cut-off. */
  since: string;
  /** Window end (inclusive), ISO-8601 UTC: the scheduled slot. */
  cutoff: string;
  plannedAt: string;
  /** Sections in the list's topic order; only topics with briefings. */
  sections: EditionSection[];
}

/** `daily-20240821T070000Z`: no `:` (BullMQ job ids), sortable, derived from list and cut-off. */
export function editionId(listId: string, cutoff: Date): string {
  const stamp = cutoff
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${listId}-${stamp}`;
}
