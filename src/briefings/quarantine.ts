import { createHash } from 'node:crypto';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

/** A document Gazette could not turn into a briefing, kept with its reason for operators. */
export interface QuarantinedDocument {
  id: string;
  source: string;
  /** Where it came from: a file path (with `#index` inside an array), a URL, … */
  origin: string;
  code: string;
  reason: string;
  /** The start of the document, for a human to look at (at most 2,000 characters). */
  excerpt: string;
  at: string;
}

const EXCERPT_LIMIT = 2000;

/**
 * The quarantine: never drops a document silently. The same document from the same origin
 * quarantined twice is kept once (its id is a hash of source, origin and excerpt).
 */
export class Quarantine {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  async add(entry: Omit<QuarantinedDocument, 'id' | 'at'>, now = new Date()): Promise<QuarantinedDocument> {
    const excerpt = entry.excerpt.slice(0, EXCERPT_LIMIT);
    const id = createHash('sha256').update(`${entry.source}\n${entry.origin}\n${excerpt}`).digest('hex').slice(0, 16);
    const doc: QuarantinedDocument = { ...entry, excerpt, id, at: now.toISOString() };
    await this.redis
      .multi()
      .hset(this.k.quarantine, id, JSON.stringify(doc))
      .zadd(this.k.quarantineByTime, 'NX', now.getTime(), id)
      .exec();
    return doc;
  }

  /** Newest first. */
  async list(limit = 100): Promise<QuarantinedDocument[]> {
    const ids = await this.redis.zrevrange(this.k.quarantineByTime, 0, limit - 1);
    if (ids.length === 0) return [];
    const values = await this.redis.hmget(this.k.quarantine, ...ids);
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as QuarantinedDocument);
  }

  /** How many documents are quarantined. */
  async size(): Promise<number> {
    return this.redis.hlen(this.k.quarantine);
  }

  /** Remove an entry once it has been fixed and re-imported. */
  async remove(id: string): Promise<boolean> {
    const [[, removed] = []] =
      (await this.redis.multi().hdel(this.k.quarantine, id).zrem(this.k.quarantineByTime, id).exec()) ?? [];
    return removed === 1;
  }
}
