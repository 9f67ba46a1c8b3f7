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

// One step, so two runs meeting the same document at once both count: `times` is the stored
// entry's plus one, written into the new entry in place of its `"times":-1`. ARGV: id, entry
// JSON, time (ms). Returns the count.
const ADD = `
local before = redis.call('HGET', KEYS[1], ARGV[1])
local times = 1
if before then
  local ok, old = pcall(cjson.decode, before)
  times = ((ok and type(old) == 'table' and tonumber(old.times)) or 1) + 1
end
local doc = string.gsub(ARGV[2], '"times":%-1', '"times":' .. times, 1)
redis.call('HSET', KEYS[1], ARGV[1], doc)
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
return times
`;

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
    // `"times":-1` appears once: inside a JSON string a quote is escaped.
    const doc: QuarantinedDocument = { ...entry, excerpt, id, times: -1, at: now.toISOString() };
    const times = Number(
      await this.redis.eval(ADD, 2, this.k.quarantine, this.k.quarantineByTime, id, JSON.stringify(doc), now.getTime()),
    );
    return { ...doc, times };
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
