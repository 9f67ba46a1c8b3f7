import type { Edition } from '../editions/edition.js';
import type { EditionStatus, EditionStore } from '../editions/store.js';
import type { Logger } from '../logger.js';
import { findList, type List, type Publication } from '../publication.js';
import type { Audience } from './audience.js';
import type { Renders } from './renders.js';

/** The queue side of fan-out: a parent job per edition with `batches` send-batch children. */
export interface FanOut {
  addBatches(editionId: string, batches: number): Promise<void>;
}

export class UnknownEditionError extends Error {
  readonly code = 'EDITION_UNKNOWN';
  constructor(readonly editionId: string) {
    super(`unknown edition "${editionId}"`);
  }
}

export type DispatchOutcome =
  | { status: 'fanned-out'; audience: number; batches: number; renders: number }
  | { status: 'skipped'; reason: string };

/**
 * Turns a planned edition into send batches: freezes the audience, renders each topic set once
 * (MJML never runs per reader), then fans out batch jobs. Safe to run twice: the audience is
 * frozen once, renders are SET NX, and batch job ids are derived from edition and index.
 */
export class Dispatcher {
  constructor(
    private readonly publication: Publication,
    private readonly editions: EditionStore,
    private readonly audience: Audience,
    private readonly renders: Renders,
    private readonly fanOut: FanOut,
    private readonly log: Logger,
  ) {}

  async load(editionId: string): Promise<{ edition: Edition; list: List }> {
    const edition = await this.editions.get(editionId);
    if (!edition) throw new UnknownEditionError(editionId);
    const list = findList(this.publication, edition.listId);
    if (!list) throw new UnknownEditionError(`${editionId} (its list "${edition.listId}" is no longer configured)`);
    return { edition, list };
  }

  async dispatch(editionId: string): Promise<DispatchOutcome> {
    const { edition, list } = await this.load(editionId);
    const status = await this.editions.status(editionId);
    if (status?.state === 'dispatched') return { status: 'skipped', reason: 'edition already dispatched' };
    await this.editions.setState(editionId, 'dispatching');
    const { size, topicSets } = await this.audience.freeze(edition, list);
    let renders = 0;
    for (const topics of topicSets) if (await this.renders.ensure(edition, list, topics)) renders += 1;
    await this.editions.recordAudience(editionId, size, list.batchSize);
    const batches = Math.ceil(size / ((await this.editions.batchSize(editionId)) ?? list.batchSize));
    await this.fanOut.addBatches(editionId, batches);
    this.log.info({ event: 'edition.fanned-out', editionId, audience: size, batches, renders }, 'edition fanned out');
    return { status: 'fanned-out', audience: size, batches, renders };
  }

  /** The batch size the edition was fanned out with (a later change of the list's setting must not shift batches). */
  async batchSize(editionId: string): Promise<number | null> {
    return this.editions.batchSize(editionId);
  }

  /** Called when every batch has finished: the edition is dispatched. */
  async finish(editionId: string): Promise<EditionStatus> {
    await this.editions.setState(editionId, 'dispatched');
    const status = await this.editions.status(editionId);
    if (!status) throw new UnknownEditionError(editionId);
    this.log.info({ event: 'edition.dispatched', editionId, ...status }, 'edition dispatched');
    return status;
  }
}
