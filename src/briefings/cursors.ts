import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

/**
 * Where each source's collection got to (a WordPress `modified_after` cursor, a feed's ETag),
 * as JSON per source. Written only after a run's briefings are stored, so a crash mid-run
 * re-reads (idempotently) rather than skips.
 */
export class CursorStore {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  async get<T extends object>(sourceId: string): Promise<T | null> {
    const json = await this.redis.get(this.k.sourceCursor(sourceId));
    return json ? (JSON.parse(json) as T) : null;
  }

  async set(sourceId: string, cursor: object): Promise<void> {
    await this.redis.set(this.k.sourceCursor(sourceId), JSON.stringify(cursor));
  }
}
