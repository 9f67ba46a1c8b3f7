import { createHash } from 'node:crypto';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

/** A document Gazette could not turn into a briefing, kept with its reason for operators. */
export interface QuarantinedDocument {
  id: string;
  source: string;
  /** Where it came from: a file path (with `#index` inside an array), a URL, … */
  origin: string;
  /** The document's own id at its source (a WordPress post id), when it could be read. */
  documentId?: string;
  /** `warning`: the document was collected, with something taken out (its link, say). */
  severity?: 'warning';
  code: string;
  reason: string;
  /** How many times runs met this document (one entry per document: a repeat updates it). */
  times?: number;
  /** The start of the document, for a human to look at (at most 2,000 characters). */
  excerpt: string;
  at: string;
}

const EXCERPT_LIMIT = 2000;

/**
 * The quarantine: never drops a document silently. One entry per document: its id is a hash of
 * the source and the document's own id (else its origin and excerpt), so the same document met
 * again by a later run updates its entry (reason, excerpt, `times`) instead of adding one.
 */
export class Quarantine {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  async add(entry: Omit<QuarantinedDocument, 'id' | 'at' | 'times'>, now = new Date()): Promise<QuarantinedDocument> {
    const excerpt = entry.excerpt.slice(0, EXCERPT_LIMIT);
    const key = entry.documentId === undefined ? `${entry.origin}\n${excerpt}` : `document\n${entry.documentId}`;
    const id = createHash('sha256').update(`${entry.source}\n${key}`).digest('hex').slice(0, 16);
    const before = await this.redis.hget(this.k.quarantine, id);
    const times = before === null ? 1 : ((JSON.parse(before) as QuarantinedDocument).times ?? 1) + 1;
    const doc: QuarantinedDocument = { ...entry, excerpt, id, times, at: now.toISOString() };
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
