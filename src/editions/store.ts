import type { DroppedBriefing } from '../render/vet.js';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';
import type { Edition } from './edition.js';

/**
 * `dispatched`: every reader of the audience is in a final state. `incomplete`: the edition's
 * batches ended with readers in no final state (`pending` says how many; `send --resume`
 * re-drives them). `paused`: stopped by a person or by the error budget (`pausedReason`).
 * `skipped`: nothing was sent because the list had no confirmed reader (`skippedReason`); sending
 * the slot again once it has readers dispatches it.
 */
export type EditionState = 'planned' | 'dispatching' | 'dispatched' | 'incomplete' | 'paused' | 'cancelled' | 'skipped';

/** What a running batch must obey: checked between readers. */
export type EditionControl = 'run' | 'paused' | 'cancelled';

export interface EditionStatus {
  state: EditionState;
  audience: number;
  dispatched: number;
  skipped: number;
  failed: number;
  bounced: number;
  cancelled: number;
  /** Readers of the audience in no final state when the edition last finished a run. */
  pending: number;
  /** MJML compilations: one per topic set. */
  renders: number;
  /** Why the edition is paused (a person, or the error budget). */
  pausedReason?: string;
  /** Why the edition was skipped. */
  skippedReason?: string;
  /** When the edition last ended a run (ISO), and when its audience, renders and ledger expire. */
  endedAt?: string;
  expiresAt?: string;
  /** Send runs: the first fan-out is run 0, each resume adds one. */
  run: number;
  /** Briefings left out of the edition's render because their card could not be rendered. */
  dropped?: DroppedBriefing[];
  /** Topic sets (`a+b`) whose render failed as a whole, and why: their readers got nothing. */
  renderErrors?: Array<{ topics: string; reason: string }>;
}

/**
 * Frozen editions. `freeze` writes an edition only if its id is new (SET NX): planning the same
 * slot twice keeps the first plan, so what was sent is what stays on record.
 */
export class EditionStore {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  /** Returns the stored edition: the given one if it was new, else the one frozen before. */
  async freeze(edition: Edition): Promise<{ edition: Edition; created: boolean }> {
    const created = (await this.redis.set(this.k.edition(edition.id), JSON.stringify(edition), 'NX')) === 'OK';
    const stored = created ? edition : await this.get(edition.id);
    if (!stored) throw new Error(`edition ${edition.id} vanished while planning`);
    // Idempotent, and run on both paths: a crash between the SET and these leaves nothing undone.
    await this.redis
      .multi()
      .zadd(this.k.listEditions(stored.listId), Date.parse(stored.cutoff), stored.id)
      .hsetnx(this.k.editionStatus(stored.id), 'state', 'planned')
      .exec();
    await this.advanceCutoff(stored.listId, stored.cutoff);
    return { edition: stored, created };
  }

  async get(id: string): Promise<Edition | null> {
    const json = await this.redis.get(this.k.edition(id));
    return json ? (JSON.parse(json) as Edition) : null;
  }

  /** The cut-off of the list's latest planned slot (even one with nothing to send), if any. */
  async lastCutoff(listId: string): Promise<Date | null> {
    const iso = await this.redis.get(this.k.listLastCutoff(listId));
    return iso ? new Date(iso) : null;
  }

  /** Move the list's cut-off forward (never back): the next window starts there. */
  async advanceCutoff(listId: string, cutoff: string): Promise<void> {
    // ISO-8601 UTC strings of one format compare like the times they stand for.
    await this.redis.eval(
      "local cur = redis.call('GET', KEYS[1]) if (not cur) or ARGV[1] > cur then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
      1,
      this.k.listLastCutoff(listId),
      new Date(cutoff).toISOString(),
    );
  }

  /** Newest first. */
  async recent(listId: string, limit = 10): Promise<string[]> {
    return this.redis.zrevrange(this.k.listEditions(listId), 0, limit - 1);
  }

  async setState(id: string, state: EditionState): Promise<void> {
    await this.redis.hset(this.k.editionStatus(id), 'state', state);
  }

  /**
   * Pause a running edition (batches stop between readers). Returns false when the edition is
   * not running or not pausable (already dispatched or cancelled). Survives restarts: it is in Redis.
   */
  async pause(id: string, reason: string): Promise<boolean> {
    const r = await this.redis.eval(
      `local s = redis.call('HGET', KEYS[1], 'state')
       if (not s) or s == 'dispatched' or s == 'cancelled' then return 0 end
       if redis.call('HGET', KEYS[1], 'control') == 'paused' then return 1 end
       redis.call('HSET', KEYS[1], 'control', 'paused', 'pausedReason', ARGV[1])
       if s ~= 'dispatching' then redis.call('HSET', KEYS[1], 'state', 'paused') end
       return 1`,
      1,
      this.k.editionStatus(id),
      reason,
    );
    return r === 1;
  }

  /** Clear a pause (or mark a cancel) and start a new send run; returns the run number. */
  async startRun(id: string, control: EditionControl = 'run'): Promise<number> {
    const [, , , run] = ((await this.redis
      .multi()
      .hset(
        this.k.editionStatus(id),
        'control',
        control,
        'state',
        control === 'cancelled' ? 'cancelled' : 'dispatching',
      )
      .hdel(this.k.editionStatus(id), 'pausedReason')
      .hset(this.k.editionStatus(id), 'consecutiveTransient', 0)
      .hincrby(this.k.editionStatus(id), 'run', 1)
      .exec()) ?? []) as Array<[Error | null, unknown]>;
    return Number(run?.[1] ?? 0);
  }

  async control(id: string): Promise<EditionControl> {
    return ((await this.redis.hget(this.k.editionStatus(id), 'control')) as EditionControl | null) ?? 'run';
  }

  /** Record how a run ended: its state and the readers still pending. */
  async recordEnd(id: string, state: EditionState, pending: number): Promise<void> {
    await this.redis.hset(
      this.k.editionStatus(id),
      'state',
      state,
      'pending',
      pending,
      'endedAt',
      new Date().toISOString(),
    );
  }

  /** Record that the edition sent nothing, and why. */
  async recordSkipped(id: string, reason: string): Promise<void> {
    await this.redis.hset(this.k.editionStatus(id), 'state', 'skipped', 'skippedReason', reason, 'pending', 0);
  }

  /**
   * The per-reader keys of an edition (audience, topic sets, renders, ledger), for retention.
   * `keep` names topic sets whose render stays (the archive copy).
   */
  async readerKeys(id: string, keep: readonly string[] = []): Promise<string[]> {
    const sets = await this.redis.smembers(this.k.editionTopicSets(id));
    return [
      this.k.editionAudience(id),
      this.k.editionTopicSets(id),
      this.k.ledger(id),
      ...sets.filter((set) => !keep.includes(set)).map((set) => this.k.editionRender(id, set)),
    ];
  }

  /**
   * Let the edition's per-reader data expire `seconds` from now; its edition record, status
   * counts and archive copy stay. A resume before then keeps them again ({@link retain}).
   */
  async expireReaderData(id: string, seconds: number, keep: readonly string[] = []): Promise<Date> {
    const expiresAt = new Date(Date.now() + seconds * 1000);
    const tx = this.redis.multi();
    for (const key of await this.readerKeys(id, keep)) tx.expire(key, Math.max(1, Math.round(seconds)));
    tx.hset(this.k.editionStatus(id), 'expiresAt', expiresAt.toISOString());
    await tx.exec();
    return expiresAt;
  }

  /** Undo {@link expireReaderData} (a resumed edition needs its audience and ledger). */
  async retain(id: string): Promise<boolean> {
    const tx = this.redis.multi();
    for (const key of await this.readerKeys(id)) tx.persist(key);
    tx.hdel(this.k.editionStatus(id), 'expiresAt');
    await tx.exec();
    return (await this.redis.exists(this.k.editionAudience(id))) === 1;
  }

  /**
   * Count one temporary failure (or a success, which resets the streak); returns the streak.
   * The error budget pauses an edition whose streak passes a limit.
   */
  async transientStreak(id: string, failed: boolean): Promise<number> {
    if (!failed) {
      await this.redis.hset(this.k.editionStatus(id), 'consecutiveTransient', 0);
      return 0;
    }
    return this.redis.hincrby(this.k.editionStatus(id), 'consecutiveTransient', 1);
  }

  /** Audience size, and the batch size fixed at fan-out (HSETNX: a re-run keeps the first). */
  async recordAudience(id: string, size: number, batchSize: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.k.editionStatus(id), 'audience', size)
      .hsetnx(this.k.editionStatus(id), 'batchSize', batchSize)
      .exec();
  }

  async batchSize(id: string): Promise<number | null> {
    const v = await this.redis.hget(this.k.editionStatus(id), 'batchSize');
    return v ? Number(v) : null;
  }

  /** The status hashes of many editions as stored (counts, reasons), in one round trip. */
  async rawStatuses(ids: readonly string[]): Promise<Array<Record<string, string>>> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.k.editionStatus(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, h]) => {
      if (err) throw err;
      return h as Record<string, string>;
    });
  }

  async status(id: string): Promise<EditionStatus | null> {
    const h = await this.redis.hgetall(this.k.editionStatus(id));
    if (!h.state) return null;
    const n = (key: string) => Number(h[key] ?? 0);
    return {
      state: h.state as EditionState,
      audience: n('audience'),
      dispatched: n('dispatched'),
      skipped: n('skipped'),
      failed: n('failed'),
      bounced: n('bounced'),
      cancelled: n('cancelled'),
      pending: n('pending'),
      renders: n('renders'),
      run: n('run'),
      ...(h.pausedReason ? { pausedReason: h.pausedReason } : {}),
      ...(h.skippedReason ? { skippedReason: h.skippedReason } : {}),
      ...(h.endedAt ? { endedAt: h.endedAt } : {}),
      ...(h.expiresAt ? { expiresAt: h.expiresAt } : {}),
      ...renderProblems(h),
    };
  }
}

/** The render problems an edition's status hash records (see `Renders.ensure`). */
function renderProblems(h: Record<string, string>): Pick<EditionStatus, 'dropped' | 'renderErrors'> {
  const renderErrors = Object.entries(h)
    .filter(([field]) => field.startsWith('renderError:'))
    .map(([field, reason]) => ({ topics: field.slice('renderError:'.length), reason }));
  let dropped: DroppedBriefing[] = [];
  try {
    dropped = h.dropped ? (JSON.parse(h.dropped) as DroppedBriefing[]) : [];
  } catch {
    dropped = [];
  }
  return { ...(dropped.length ? { dropped } : {}), ...(renderErrors.length ? { renderErrors } : {}) };
}
