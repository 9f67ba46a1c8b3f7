import type { Briefing } from '../briefings/briefing.js';
import type { BriefingStore } from '../briefings/store.js';
import { findList, type List, type Publication } from '../publication.js';
import { type Edition, editionId } from './edition.js';
import { planEdition, type Window } from './plan.js';
import { latestSlot } from './schedule.js';
import type { EditionStore } from './store.js';
import { editionWindow } from './window.js';

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
 * Plans editions. An edition carries the briefings first collected after the list's previous
 * cut-off (or the list's `since`, or one schedule period) and up to the latest scheduled slot at
 * the given time, published within the list's `maxAgeHours` (see {@link editionWindow}).
 * Safe to run twice: the edition id is derived from list and slot, and a frozen edition is
 * returned as it was. A briefing is never in two editions of a list: collection windows do not
 * overlap, an edit keeps the first-collected time, and the previous edition's briefings are left out.
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
    const last = await this.editions.lastCutoff(list.id);
    const window = editionWindow(list, at, last);
    return planEdition(
      list,
      this.publication.topics,
      window,
      await this.candidates(window),
      new Date(),
      await this.previouslySent(list, last),
    );
  }

  /**
   * Where the earliest edition still to be planned starts, over all lists at `at`: briefings
   * first collected after it can still go into an edition (the collector re-checks them).
   */
  async openSince(at: Date = new Date()): Promise<Date> {
    let oldest = at;
    for (const list of this.publication.lists) {
      const window = editionWindow(list, latestSlot(list.schedule, at), await this.editions.lastCutoff(list.id));
      if (window.since < oldest) oldest = window.since;
    }
    return oldest;
  }

  /** Briefings that may fall in the window: collected in it, and for a back catalogue published in it. */
  private async candidates(window: Window): Promise<Briefing[]> {
    const collected = await this.briefings.collectedBetween(window.since, window.cutoff);
    if (!window.backCatalogue) return collected;
    const byId = new Map(collected.map((b) => [b.id, b]));
    for (const b of await this.briefings.publishedBetween(window.since, window.cutoff)) byId.set(b.id, b);
    return [...byId.values()];
  }

  /** Ids of the briefings in the list's edition at `lastCutoff` (none when that slot had nothing). */
  private async previouslySent(list: List, lastCutoff: Date | null): Promise<Set<string>> {
    const previous = lastCutoff ? await this.editions.get(editionId(list.id, lastCutoff)) : null;
    return new Set(previous?.sections.flatMap((s) => s.briefings.map((b) => b.id)) ?? []);
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
    const window = editionWindow(list, cutoff, last);
    const plan = planEdition(
      list,
      this.publication.topics,
      window,
      await this.candidates(window),
      new Date(),
      await this.previouslySent(list, last),
    );
    if (!plan) {
      await this.editions.advanceCutoff(list.id, cutoff.toISOString());
      return { status: 'skipped', reason: 'no new briefings in the list’s topics', editionId: id };
    }
    const { edition, created } = await this.editions.freeze(plan);
    return created ? { status: 'planned', edition } : { status: 'existing', edition };
  }
}
