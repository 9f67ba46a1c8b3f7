import { createHash } from 'node:crypto';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

export interface SuppressionEntry {
  reason: string;
  at: string;
}

/** The suppression list's field for an address: a SHA-256 of it, so the list never holds the address. */
export function addressHash(email: string): string {
  return `sha256:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`;
}

/**
 * Addresses Gazette never sends to again (hard bounces, complaints, unsubscribes by erasure,
 * manual blocks). Entries are keyed by a hash of the address; entries written before hashing
 * (the plain address) are still honoured and can be removed.
 */
export class SuppressionList {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  async add(email: string, reason: string, now = new Date()): Promise<void> {
    await this.redis.hsetnx(this.k.suppressed, addressHash(email), JSON.stringify({ reason, at: now.toISOString() }));
  }

  /** Remove an address (hashed and legacy plain entries); true when there was one. */
  async remove(email: string): Promise<boolean> {
    return (await this.redis.hdel(this.k.suppressed, addressHash(email), email.trim().toLowerCase())) > 0;
  }

  /** Drop a legacy plain entry, keeping (or creating) the hashed one: used by erasure. */
  async hashLegacy(email: string): Promise<void> {
    const plain = email.trim().toLowerCase();
    const legacy = await this.redis.hget(this.k.suppressed, plain);
    if (legacy === null) return;
    await this.redis
      .multi()
      .hsetnx(this.k.suppressed, addressHash(plain), legacy)
      .hdel(this.k.suppressed, plain)
      .exec();
  }

  /** The subset of `emails` that is suppressed. */
  async suppressed(emails: readonly string[]): Promise<Set<string>> {
    if (emails.length === 0) return new Set();
    const fields = emails.flatMap((e) => [addressHash(e), e.trim().toLowerCase()]);
    const values = await this.redis.hmget(this.k.suppressed, ...fields);
    return new Set(emails.filter((_, i) => values[2 * i] !== null || values[2 * i + 1] !== null));
  }

  async get(email: string): Promise<SuppressionEntry | null> {
    const [hashed, plain] = await this.redis.hmget(this.k.suppressed, addressHash(email), email.trim().toLowerCase());
    const v = hashed ?? plain;
    return v ? (JSON.parse(v) as SuppressionEntry) : null;
  }

  /** A page of entries (hash or legacy address, reason, time), by HSCAN cursor. */
  async page(
    cursor: string,
    count: number,
  ): Promise<{ entries: Array<{ key: string } & SuppressionEntry>; next: string | null }> {
    const [next, flat] = await this.redis.hscan(this.k.suppressed, cursor, 'COUNT', count);
    const entries: Array<{ key: string } & SuppressionEntry> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      entries.push({ key: flat[i] as string, ...(JSON.parse(flat[i + 1] as string) as SuppressionEntry) });
    }
    return { entries, next: next === '0' ? null : next };
  }

  async size(): Promise<number> {
    return this.redis.hlen(this.k.suppressed);
  }
}
