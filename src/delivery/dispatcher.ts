import type { Edition } from '../editions/edition.js';
import { readerTopics } from '../editions/plan.js';
import type { EditionStatus, EditionStore } from '../editions/store.js';
import type { Logger } from '../logger.js';
import { findList, type List, type Publication } from '../publication.js';
import { type Audience, topicKey } from './audience.js';
import type { Ledger } from './ledger.js';
import type { Renders } from './renders.js';

/**
 * The queue side of fan-out: a parent (finish) job per edition and run, with one send-batch
 * child per batch index. A run starts as the parent and one child that adds the batches in
 * bounded chunks, so no Redis transaction holds thousands of jobs and the parent cannot run
 * before the last batch is added.
 */
export interface FanOut {
  start(editionId: string, run: number): Promise<void>;
  addBatches(editionId: string, batches: readonly number[], run: number): Promise<void>;
}

/** The edition cannot do what was asked in its current state. */
export class EditionStateError extends Error {
  readonly code = 'EDITION_STATE';
}

export type ResumeOutcome =
  | { status: 'resumed'; run: number; pending: number; batches: number }
  | { status: 'dispatched' };

export class UnknownEditionError extends Error {
  readonly code = 'EDITION_UNKNOWN';
  constructor(readonly editionId: string) {
    super(`unknown edition "${editionId}"`);
  }
}

export type DispatchOutcome =
  | { status: 'fanned-out'; audience: number; batches: number; renders: number }
  | { status: 'skipped'; reason: string };

/** Default days an ended edition keeps its per-reader data. */
export const DEFAULT_RETENTION_SECONDS = 30 * 86_400;

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
    private readonly ledger: Ledger,
    private readonly log: Logger,
    /** How long an ended edition keeps its audience, renders and ledger (EDITION_RETENTION_DAYS). */
    private readonly retentionSeconds = DEFAULT_RETENTION_SECONDS,
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
    if (status?.state === 'skipped') {
      // Skipped for want of readers: sending the slot again freezes the audience it has now.
      await this.audience.discard(editionId);
    } else if (status && status.state !== 'planned' && status.state !== 'dispatching') {
      return { status: 'skipped', reason: `edition already ${status.state}` };
    }
    await this.editions.setState(editionId, 'dispatching');
    const { size, topicSets } = await this.audience.freeze(edition, list);
    if (size === 0 && (await this.editions.status(editionId))?.skipped === 0) {
      const reason = `list "${list.id}" has no confirmed reader`;
      await this.editions.recordSkipped(editionId, reason);
      await this.expire(editionId, list);
      this.log.warn({ event: 'edition.skipped', editionId, reason }, `edition skipped: ${reason}`);
      return { status: 'skipped', reason };
    }
    let renders = 0;
    for (const topics of topicSets) if (await this.renders.ensure(edition, list, topics)) renders += 1;
    await this.editions.recordAudience(editionId, size, list.batchSize);
    const batches = Math.ceil(size / ((await this.editions.batchSize(editionId)) ?? list.batchSize));
    await this.fanOut.start(editionId, 0);
    this.log.info({ event: 'edition.fanned-out', editionId, audience: size, batches, renders }, 'edition fanned out');
    return { status: 'fanned-out', audience: size, batches, renders };
  }

  /** The batch size the edition was fanned out with (a later change of the list's setting must not shift batches). */
  async batchSize(editionId: string): Promise<number | null> {
    return this.editions.batchSize(editionId);
  }

  /**
   * Called when every batch of a run has finished (or failed for good). Counts the ledger: the
   * edition is `dispatched` only when every reader of its audience is in a final state; else it
   * is `incomplete` (or stays `paused`), with the number still pending. A finish of a run that a
   * resume has since replaced changes nothing.
   */
  async finish(editionId: string, run = 0): Promise<EditionStatus> {
    const before = await this.editions.status(editionId);
    if (!before) throw new UnknownEditionError(editionId);
    if (before.run > run) return before;
    const control = await this.editions.control(editionId);
    if (control === 'cancelled') await this.settleCancelled(editionId);
    const { pending } = await this.pending(editionId);
    // A topic set that could not be rendered left its readers without mail: never `dispatched`.
    const unrendered = (before.renderErrors?.length ?? 0) > 0;
    const state =
      control === 'cancelled'
        ? 'cancelled'
        : pending === 0 && !unrendered
          ? 'dispatched'
          : control === 'paused'
            ? 'paused'
            : 'incomplete';
    await this.editions.recordEnd(editionId, state, pending);
    // A paused edition waits for a person; any other end starts the retention clock.
    if (state !== 'paused') await this.expire(editionId, (await this.load(editionId)).list);
    const status = (await this.editions.status(editionId)) as EditionStatus;
    const event = `edition.${state}`;
    if (state === 'dispatched' || state === 'cancelled') this.log.info({ event, editionId, ...status }, event);
    else this.log.warn({ event, editionId, ...status }, `edition ${state}: ${pending} reader(s) not sent`);
    return status;
  }

  /**
   * Add the send batches of a run (the job started by `FanOut.start`): every batch for the
   * first run, the batches still holding readers in no final state for a resume. Safe to run
   * again: batch job ids are deterministic. A run replaced by a newer one adds nothing.
   */
  async addRunBatches(editionId: string, run: number): Promise<number> {
    const status = await this.editions.status(editionId);
    if (!status || status.run > run) return 0;
    const size = (await this.editions.batchSize(editionId)) ?? 100;
    const batches =
      run === 0
        ? Array.from({ length: Math.ceil(status.audience / size) }, (_, i) => i)
        : (await this.pending(editionId)).batches;
    await this.fanOut.addBatches(editionId, batches, run);
    return batches.length;
  }

  /** Readers of the frozen audience in no final state, and the batch indices holding them. */
  async pending(editionId: string): Promise<{ pending: number; batches: number[] }> {
    const size = (await this.editions.batchSize(editionId)) ?? 100;
    const total = (await this.editions.status(editionId))?.audience ?? 0;
    let pending = 0;
    const batches: number[] = [];
    for (let b = 0; b * size < total; b++) {
      const entries = await this.audience.range(editionId, b * size, size);
      const lines = await this.ledger.entries(
        editionId,
        entries.map((e) => e.readerId),
      );
      const open = lines.filter((l) => !l || l.startsWith('sending')).length;
      if (open > 0) batches.push(b);
      pending += open;
    }
    return { pending, batches };
  }

  /** Pause a running edition: its batches stop between readers within seconds. */
  async pause(editionId: string, reason = 'paused by an operator'): Promise<EditionStatus> {
    await this.load(editionId);
    if (!(await this.editions.pause(editionId, reason))) {
      throw new EditionStateError(
        `edition ${editionId} is ${(await this.editions.status(editionId))?.state ?? 'unknown'}: only a running edition can be paused`,
      );
    }
    this.log.warn({ event: 'edition.paused', editionId, reason }, `edition paused: ${reason}`);
    return (await this.editions.status(editionId)) as EditionStatus;
  }

  /** Continue a paused or incomplete edition: a new run re-drives exactly the readers not yet final. */
  async resume(editionId: string): Promise<ResumeOutcome> {
    await this.load(editionId);
    const status = await this.editions.status(editionId);
    const paused = (await this.editions.control(editionId)) === 'paused';
    if (!status || !(paused || status.state === 'incomplete')) {
      throw new EditionStateError(
        `edition ${editionId} is ${status?.state ?? 'unknown'}: only a paused or incomplete edition can be resumed`,
      );
    }
    if (!(await this.editions.retain(editionId))) {
      throw new EditionStateError(
        `edition ${editionId} can no longer be resumed: its audience and ledger expired (EDITION_RETENTION_DAYS)`,
      );
    }
    const run = await this.editions.startRun(editionId);
    const reopened = await this.reopenUnrendered(editionId);
    const { pending, batches } = await this.pending(editionId);
    if (batches.length === 0) {
      await this.editions.recordEnd(editionId, 'dispatched', 0);
      return { status: 'dispatched' };
    }
    await this.fanOut.start(editionId, run);
    this.log.info(
      { event: 'edition.resumed', editionId, run, pending, batches: batches.length, reopened },
      'edition resumed',
    );
    return { status: 'resumed', run, pending, batches: batches.length };
  }

  /**
   * Readers failed because their topic set could not be rendered were sent nothing: a resume
   * renders those sets again and sends to them (a render that fails again fails them again, and
   * the edition ends `incomplete` again, with the reason). Returns how many were re-opened.
   */
  private async reopenUnrendered(editionId: string): Promise<number> {
    const sets = new Set(await this.renders.forgetFailures(editionId));
    if (sets.size === 0) return 0;
    const size = (await this.editions.batchSize(editionId)) ?? 100;
    const total = (await this.editions.status(editionId))?.audience ?? 0;
    let reopened = 0;
    for (let start = 0; start < total; start += size) {
      const ids = (await this.audience.range(editionId, start, size))
        .filter((e) => sets.has(topicKey(e.topics)))
        .map((e) => e.readerId);
      reopened += await this.ledger.reopenRenderFailed(editionId, ids);
    }
    return reopened;
  }

  /** Stop an edition for good: readers not yet sent are settled `cancelled`. */
  async cancel(editionId: string): Promise<EditionStatus> {
    await this.load(editionId);
    const status = await this.editions.status(editionId);
    if (!status || status.state === 'dispatched' || status.state === 'cancelled') {
      throw new EditionStateError(`edition ${editionId} is ${status?.state ?? 'unknown'}: nothing to cancel`);
    }
    const running = status.state === 'dispatching' && (await this.editions.control(editionId)) === 'run';
    await this.editions.startRun(editionId, 'cancelled');
    // A running edition's batches stop within a second; its finish job settles the rest.
    if (!running) {
      await this.settleCancelled(editionId);
      await this.editions.recordEnd(editionId, 'cancelled', 0);
      await this.expire(editionId, (await this.load(editionId)).list);
    }
    this.log.warn({ event: 'edition.cancelled', editionId }, 'edition cancelled');
    return (await this.editions.status(editionId)) as EditionStatus;
  }

  /**
   * Start the retention clock: the audience, topic sets, renders and ledger go after the
   * retention; the edition, its counts and the archive copy (the render for every topic) stay.
   */
  private async expire(editionId: string, list: List): Promise<void> {
    const edition = (await this.editions.get(editionId)) as Edition;
    const archive = readerTopics(edition, list, []);
    const keep = [topicKey(archive.length ? archive : list.topics)];
    const expiresAt = await this.editions.expireReaderData(editionId, this.retentionSeconds, keep);
    this.log.debug({ event: 'edition.retention', editionId, expiresAt }, 'edition data expires');
  }

  private async settleCancelled(editionId: string): Promise<void> {
    const size = (await this.editions.batchSize(editionId)) ?? 100;
    const total = (await this.editions.status(editionId))?.audience ?? 0;
    for (let start = 0; start < total; start += size) {
      const ids = (await this.audience.range(editionId, start, size)).map((e) => e.readerId);
      const lines = await this.ledger.entries(editionId, ids);
      const open = ids.filter((_, i) => !lines[i] || lines[i]?.startsWith('sending'));
      await this.ledger.settleMany(editionId, open, 'cancelled', 'edition cancelled', 'cancelled');
    }
  }
}
