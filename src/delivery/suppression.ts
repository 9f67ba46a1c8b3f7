import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

export interface SuppressionEntry {
  reason: string;
  at: string;
}

/** Addresses Gazette never sends to again (hard bounces, complaints, manual blocks). */
export class SuppressionList {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  async add(email: string, reason: string, now = new Date()): Promise<void> {
    await this.redis.hsetnx(this.k.suppressed, email.toLowerCase(), JSON.stringify({ reason, at: now.toISOString() }));
  }

  /** The subset of `emails` that is suppressed. */
  async suppressed(emails: readonly string[]): Promise<Set<string>> {
    if (emails.length === 0) return new Set();
    const values = await this.redis.hmget(this.k.suppressed, ...emails.map((e) => e.toLowerCase()));
    return new Set(emails.filter((_, i) => values[i] !== null));
  }

  async get(email: string): Promise<SuppressionEntry | null> {
    const v = await this.redis.hget(this.k.suppressed, email.toLowerCase());
    return v ? (JSON.parse(v) as SuppressionEntry) : null;
  }
}
