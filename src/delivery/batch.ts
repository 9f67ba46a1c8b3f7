import type { EditionControl, EditionStore } from '../editions/store.js';
import type { Logger } from '../logger.js';
import type { ReaderStore } from '../subscriptions/readers.js';
import type { Tokens } from '../subscriptions/tokens.js';
import type { Audience, AudienceEntry } from './audience.js';
import type { Dispatcher } from './dispatcher.js';
import { type Ledger, RENDER_FAILED, type Settlement } from './ledger.js';
import { MailError, type Mailer } from './mailer.js';
import { type Identity, readerEnvelope, readerLinks } from './message.js';
import type { ListRates, MailRate } from './rate.js';
import { type Personalizer, RenderFailedError, type Renders } from './renders.js';
import type { SuppressionList } from './suppression.js';

export interface BatchReport {
  dispatched: number;
  skipped: number;
  bounced: number;
  failed: number;
  /** Readers already settled by an earlier attempt. */
  alreadyDone: number;
  /** Readers whose server answered 4xx: tried again with the batch's next attempt. */
  deferred: number;
  /** Set when the batch stopped early because its edition was paused or cancelled. */
  stopped?: 'paused' | 'cancelled';
}

/** Some readers got a temporary (4xx) answer: the batch is retried for them alone. */
export class BatchDeferredError extends Error {
  readonly code = 'BATCH_DEFERRED';
  constructor(
    readonly deferred: number,
    last: MailError | null,
  ) {
    super(
      `${deferred} reader(s) deferred by a temporary SMTP answer (${last?.responseCode ?? '4xx'} ${last?.code ?? ''})`.trim(),
    );
  }
}

/** The process is shutting down: the batch stopped between readers and is retried elsewhere. */
export class BatchInterruptedError extends Error {
  readonly code = 'BATCH_INTERRUPTED';
  constructor(editionId: string, batch: number) {
    super(`batch ${batch} of ${editionId} interrupted by shutdown; the readers not yet sent are retried`);
  }
}

/** Another run of this batch is sending right now (a stalled job handed to a second worker). */
export class BatchBusyError extends Error {
  readonly code = 'BATCH_BUSY';
  constructor(editionId: string, readerId: string) {
    super(`reader ${readerId} of ${editionId} is being sent by another run; retrying later`);
  }
}

/** Sends in flight at once within a batch (matches the SMTP pool's connections). */
const PARALLEL = 5;

/**
 * Readers claimed, and settled, by one script call each (when no send rate applies). A worker
 * killed mid-group leaves up to this many readers sent but not settled: their claims go stale
 * and a retry sends them again with the same Message-ID (the ledger's at-least-once gap).
 */
const GROUP = 10;

/** How long a batch trusts its last reading of the edition's pause/cancel control. */
const CONTROL_TTL_MS = 1_000;

/** The error budget: past it the edition pauses itself instead of hammering a failing server. */
export interface ErrorBudget {
  /** Consecutive temporary failures (4xx or no answer) across the edition. @defaultValue 50 */
  consecutiveTransient: number;
  /** Share of hard bounces among the first {@link bounceWindow} attempted readers. @defaultValue 0.05 */
  bounceRate: number;
  /** @defaultValue 1000 */
  bounceWindow: number;
}

export const DEFAULT_BUDGET: ErrorBudget = { consecutiveTransient: 50, bounceRate: 0.05, bounceWindow: 1000 };

/**
 * Sends one batch of an edition. Every reader is claimed in the ledger before the send and
 * settled after it, so a retried batch skips who was already sent. One reader's permanent
 * failure is recorded (5xx on the recipient: bounced and suppressed), not a failed batch. A
 * reader's 4xx defers only that reader: the others go out, then the batch fails so BullMQ
 * retries it (for the deferred alone) with backoff. A lost connection or timeout stops the
 * batch at once. On shutdown the batch stops between readers and is retried.
 */
export class BatchSender {
  constructor(
    private readonly deps: {
      dispatcher: Dispatcher;
      audience: Audience;
      readers: ReaderStore;
      suppression: SuppressionList;
      ledger: Ledger;
      renders: Renders;
      mailer: Mailer;
      tokens: Tokens;
      identity: Identity;
      editions: EditionStore;
      budget?: ErrorBudget;
      /** The send rate across all workers (MAIL_RATE); absent: as fast as the server takes. */
      rate?: MailRate;
      /** Per-list send rates (a list's `rate`), on top of `rate`. */
      listRates?: ListRates;
      log: Logger;
      /** Aborted at shutdown: no new reader is started; sends in flight finish and settle. */
      stopping?: AbortSignal;
    },
  ) {}

  async send(editionId: string, batch: number): Promise<BatchReport> {
    const { dispatcher, audience } = this.deps;
    const { edition, list } = await dispatcher.load(editionId);
    const size = (await dispatcher.batchSize(editionId)) ?? list.batchSize;
    const entries = await audience.range(editionId, batch * size, size);
    const report: BatchReport = { dispatched: 0, skipped: 0, bounced: 0, failed: 0, alreadyDone: 0, deferred: 0 };
    const ids = entries.map((e) => e.readerId);
    const loaded = new Map((await this.deps.readers.loadMany(list.id, ids)).map((r) => [r.reader.id, r]));
    const suppressed = await this.deps.suppression.suppressed([...loaded.values()].map((r) => r.reader.email));
    let lastDeferral: MailError | null = null;
    const control = this.controlReader(editionId);
    const listRate = this.deps.listRates?.of(list);
    const halt = new AbortController();
    // Removed when the batch ends: the process-wide `stopping` signal outlives every batch.
    const onStopping = () => halt.abort();
    this.deps.stopping?.addEventListener('abort', onStopping, { once: true });

    /** Sends to one claimed reader; returns its settlement when it is to be recorded with the group's. */
    const sendClaimed = async (entry: AudienceEntry, token: string): Promise<Settlement | null> => {
      const { ledger } = this.deps;
      const found = loaded.get(entry.readerId);
      const skip = !found
        ? 'reader-missing'
        : found.subscription.status !== 'confirmed'
          ? found.subscription.status
          : suppressed.has(found.reader.email)
            ? 'suppressed'
            : null;
      if (skip || !found) {
        report.skipped += 1;
        const why = skip ?? 'reader-missing';
        return { readerId: entry.readerId, state: 'skipped', detail: why, reason: why };
      }
      let personalize: Personalizer;
      try {
        personalize = await this.deps.renders.personalizer(edition, list, entry.topics);
      } catch (err) {
        // The reader's topic set could not be rendered: recorded, and the edition ends incomplete.
        if (!(err instanceof RenderFailedError)) throw err;
        report.failed += 1;
        return {
          readerId: entry.readerId,
          state: 'failed',
          detail: `${RENDER_FAILED}: ${err.reason}`,
          reason: RENDER_FAILED,
        };
      }
      const links = readerLinks(this.deps.identity, this.deps.tokens, list, found.reader.id);
      const reader = {
        name: found.reader.name,
        preferencesUrl: links.preferencesUrl,
        unsubscribeUrl: links.unsubscribeUrl,
        followed: found.subscription.topics,
      };
      try {
        await this.deps.mailer.sendDigest({
          ...readerEnvelope(this.deps.identity, list, edition, found.reader, links),
          digest: personalize,
          reader,
        });
        report.dispatched += 1;
        // `dispatched <time>`: the Message-ID is not kept, it follows from the edition and the
        // reader (`<edition.reader@domain>`), and leaving it out halves the entry.
        return { readerId: entry.readerId, state: 'dispatched' };
      } catch (err) {
        if (!(err instanceof MailError)) throw err;
        const paused = await this.judge(err, {
          editionId,
          listId: list.id,
          readerId: found.reader.id,
          email: found.reader.email,
        });
        if (paused) {
          // Past the error budget, or the sender refused: this batch stops now (the others
          // within a second, on their next read of the edition's control).
          report.stopped = 'paused';
          halt.abort();
        }
        if (err.verdict === 'hard-bounce') report.bounced += 1;
        else if (err.verdict === 'reader-rejected') report.failed += 1;
        else if (err.verdict === 'edition-blocked') {
          // The sender or the session was refused: nothing is this reader's fault.
          await ledger.release(editionId, entry.readerId, token);
        } else if (err.verdict === 'transient') {
          // A 4xx for this reader (greylisting, throttling): the others still go out; this one
          // is tried again with the batch's next attempt. Out of attempts, the reader stays
          // pending (never `failed` for a temporary answer): the edition ends `incomplete` and
          // `send --resume` tries again.
          await ledger.release(editionId, entry.readerId, token);
          report.deferred += 1;
          lastDeferral = err;
        } else {
          // No answer at all (connection lost, timeout): the server, not the reader. Stop the batch.
          await ledger.release(editionId, entry.readerId, token);
          throw err;
        }
        return null;
      }
    };

    const { ledger } = this.deps;
    const groupSize = listRate || this.deps.rate ? 1 : GROUP;
    /** Claimed readers waiting for a lane; claimed = in flight (a shutdown still sends them). */
    const queue: Array<{ entry: AudienceEntry; token: string }> = [];
    const pending: Settlement[] = [];
    let cursor = 0;
    let refilling: Promise<void> | null = null;
    let failure: unknown = null;

    /** Claim the next group of readers in one script call. */
    const refill = async (): Promise<void> => {
      const c = await control();
      if (c !== 'run') {
        report.stopped = c;
        halt.abort();
        return;
      }
      // The turn is taken before the claim, so a long wait never holds a claim (groups are of
      // one reader when a rate applies).
      if (listRate && !(await listRate.take(halt.signal))) return;
      if (this.deps.rate && !(await this.deps.rate.take(halt.signal))) return;
      const group = entries.slice(cursor, cursor + groupSize);
      cursor += group.length;
      const claims = await ledger.claimMany(
        editionId,
        group.map((e) => e.readerId),
      );
      const token = claims.find((r) => r.claimed)?.token ?? '';
      const claimed = group.filter((_, i) => claims[i]?.claimed);
      const busy = group.find((_, i) => claims[i]?.claimed === false && claims[i]?.state === 'busy');
      if (busy) {
        await ledger.releaseMany(
          editionId,
          claimed.map((e) => e.readerId),
          token,
        );
        throw new BatchBusyError(editionId, busy.readerId);
      }
      report.alreadyDone += group.length - claimed.length;
      for (const entry of claimed) queue.push({ entry, token });
    };

    /** The next claimed reader; null when the batch is done or stops. */
    const take = async (): Promise<{ entry: AudienceEntry; token: string } | null> => {
      for (;;) {
        if (failure !== null) return null;
        // Paused or cancelled: claimed readers not started are released below. At shutdown they
        // count as in flight and still go out.
        if (halt.signal.aborted && !this.deps.stopping?.aborted) return null;
        const next = queue.shift();
        if (next) return next;
        if (halt.signal.aborted || cursor >= entries.length) return null;
        refilling ??= refill().finally(() => {
          refilling = null;
        });
        await refilling;
      }
    };

    const lane = async (): Promise<void> => {
      for (let item = await take(); item; item = await take()) {
        const settlement = await sendClaimed(item.entry, item.token);
        if (settlement) pending.push(settlement);
        // Settled a group at a time, in one script call.
        if (pending.length >= groupSize) await ledger.settleEach(editionId, pending.splice(0));
      }
    };

    try {
      await Promise.all(
        Array.from({ length: Math.min(PARALLEL, entries.length) }, () =>
          lane().catch((err: unknown) => {
            failure ??= err;
          }),
        ),
      );
      if (failure !== null) throw failure;
    } finally {
      await ledger.settleEach(editionId, pending.splice(0));
      // Stopped early: the claimed readers not started go back, for the next run (or the cancel).
      for (const t of new Set(queue.map((q) => q.token))) {
        const ids = queue.filter((q) => q.token === t).map((q) => q.entry.readerId);
        await ledger.releaseMany(editionId, ids, t);
      }
      this.deps.stopping?.removeEventListener('abort', onStopping);
    }
    if (report.dispatched > 0) await this.deps.editions.transientStreak(editionId, false);
    if (report.stopped) {
      this.deps.log.info(
        { event: 'batch.stopped', editionId, batch, ...report },
        `batch stopped: edition ${report.stopped}`,
      );
      return report;
    }
    if (
      this.deps.stopping?.aborted &&
      report.dispatched + report.skipped + report.bounced + report.failed + report.alreadyDone + report.deferred <
        entries.length
    ) {
      throw new BatchInterruptedError(editionId, batch);
    }
    this.deps.log.info({ event: 'batch.sent', editionId, batch, ...report }, 'batch sent');
    if (report.deferred > 0) throw new BatchDeferredError(report.deferred, lastDeferral);
    return report;
  }

  /** Re-reads the edition's pause/cancel control at most once a second. */
  private controlReader(editionId: string): () => Promise<EditionControl> {
    let value: EditionControl = 'run';
    let readAt = 0;
    return async () => {
      if (Date.now() - readAt > CONTROL_TTL_MS) {
        value = await this.deps.editions.control(editionId);
        readAt = Date.now();
      }
      return value;
    };
  }

  /**
   * Record what a failed send means: for the reader (ledger, suppression) and for the edition
   * (budget, pause). True when it paused the edition: the batch stops at once.
   */
  private async judge(
    err: MailError,
    r: { editionId: string; listId: string; readerId: string; email: string },
  ): Promise<boolean> {
    const { ledger, editions, log } = this.deps;
    const budget = this.deps.budget ?? DEFAULT_BUDGET;
    const fields = { editionId: r.editionId, readerId: r.readerId, code: err.code, responseCode: err.responseCode };
    switch (err.verdict) {
      case 'hard-bounce': {
        await ledger.settle(r.editionId, r.readerId, 'bounced', err.detail, err.reason);
        await this.deps.suppression.add(r.email, `hard bounce ${err.detail}`);
        await this.deps.readers.setSubscription(r.listId, r.readerId, {
          status: 'bounced',
          consent: { source: 'bounce' },
        });
        log.warn({ event: 'reader.bounced', ...fields, detail: err.detail }, 'hard bounce');
        const s = await editions.status(r.editionId);
        const attempted = s ? s.dispatched + s.bounced + s.failed : 0;
        if (s && attempted <= budget.bounceWindow && s.bounced > budget.bounceRate * budget.bounceWindow) {
          await this.pause(
            r.editionId,
            `bounce rate over ${budget.bounceRate * 100}% of the first ${budget.bounceWindow} readers`,
          );
          return true;
        }
        return false;
      }
      case 'reader-rejected':
        await ledger.settle(r.editionId, r.readerId, 'failed', err.detail, err.reason);
        log.warn({ event: 'reader.rejected', ...fields, detail: err.detail }, 'refused for this reader');
        return false;
      case 'edition-blocked':
        await this.pause(r.editionId, `the SMTP server refused the sender or the session: ${err.detail}`);
        return true;
      default: {
        const streak = await editions.transientStreak(r.editionId, true);
        if (streak >= budget.consecutiveTransient) {
          await this.pause(r.editionId, `${streak} consecutive temporary failures (last: ${err.detail})`);
          return true;
        }
        return false;
      }
    }
  }

  private async pause(editionId: string, reason: string): Promise<void> {
    if (await this.deps.editions.pause(editionId, reason)) {
      this.deps.log.error({ event: 'edition.paused', editionId, reason }, `edition paused: ${reason}`);
    }
  }
}
