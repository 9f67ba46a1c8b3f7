import type { BriefingStore } from '../briefings/store.js';
import { findList, type Publication } from '../publication.js';
import { type Edition, editionId } from './edition.js';
import { planEdition } from './plan.js';
import { latestSlot, slotBefore } from './schedule.js';
import type { EditionStore } from './store.js';

export type PlanOutcome =
  | { status: 'planned'; edition: Edition }
  | { status: 'existing'; edition: Edition }
  | { status: 'skipped'; reason: string; editionId: string };

export class UnknownListError extends Error {
  readonly code = 'LIST_UNKNOWN';
  constructor(readonly listId: string) {
    super(`unknown list "${listId}"`);
  }
}

/**
 * Plans editions. The window of an edition runs from the list's previous cut-off (or the
 * list's `since`, or one schedule period) to the latest scheduled slot at the given time.
 * Safe to run twice: the edition id is derived from list and slot, and a frozen edition is
 * returned as it was.
 */
export class EditionPlanner {
  constructor(
    private readonly publication: Publication,
    private readonly briefings: BriefingStore,
    private readonly editions: EditionStore,
  ) {}

  /**
   * What the list's edition at `at` holds, without freezing anything: the frozen edition if the
   * slot was planned, else a draft of the window up to `at` (for previews). Null when empty.
   */
  async draft(listId: string, at: Date = new Date()): Promise<Edition | null> {
    const list = this.list(listId);
    const existing = await this.editions.get(editionId(list.id, latestSlot(list.schedule, at)));
    if (existing) return existing;
    const since =
      (await this.editions.lastCutoff(list.id)) ?? (list.since ? new Date(list.since) : slotBefore(list.schedule, at));
    const candidates = await this.briefings.publishedBetween(since, at);
    return planEdition(list, this.publication.topics, { since, cutoff: at }, candidates, new Date());
  }

  private list(listId: string) {
    const list = findList(this.publication, listId);
    if (!list) throw new UnknownListError(listId);
    return list;
  }

  async plan(listId: string, at: Date = new Date()): Promise<PlanOutcome> {
    const list = this.list(listId);
    const cutoff = latestSlot(list.schedule, at);
    const id = editionId(list.id, cutoff);
    const existing = await this.editions.get(id);
    if (existing) return { status: 'existing', edition: (await this.editions.freeze(existing)).edition };

    const last = await this.editions.lastCutoff(list.id);
    if (last && last.getTime() >= cutoff.getTime()) {
      return {
        status: 'skipped',
        reason: `a slot at or after ${cutoff.toISOString()} was already planned`,
        editionId: id,
      };
    }
    const since = last ?? (list.since ? new Date(list.since) : slotBefore(list.schedule, cutoff));
    const candidates = await this.briefings.publishedBetween(since, cutoff);
    const plan = planEdition(list, this.publication.topics, { since, cutoff }, candidates, new Date());
    if (!plan) {
      await this.editions.advanceCutoff(list.id, cutoff.toISOString());
      return { status: 'skipped', reason: 'no new briefings in the list’s topics', editionId: id };
    }
    const { edition, created } = await this.editions.freeze(plan);
    return created ? { status: 'planned', edition } : { status: 'existing', edition };
  }
}
