import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';
import type { Edition } from './edition.js';

export type EditionState = 'planned' | 'dispatching' | 'dispatched';

export interface EditionStatus {
  state: EditionState;
  audience: number;
  dispatched: number;
  skipped: number;
  failed: number;
  bounced: number;
  /** MJML compilations: one per topic set. */
  renders: number;
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
      renders: n('renders'),
    };
  }
}
