import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

export interface Reader {
  id: string;
  email: string;
  /** Display name; may be empty. Never contains line breaks or control characters. */
  name: string;
  createdAt: string;
}

export type SubscriptionStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'bounced';

export interface Subscription {
  listId: string;
  readerId: string;
  status: SubscriptionStatus;
  /** Topic slugs the reader follows on this list; empty = all of the list's topics. */
  topics: string[];
  updatedAt: string;
}

export interface Consent {
  /** Where the consent came from: "form", "import", "demo", … */
  source: string;
  ip?: string;
  /** The client's User-Agent, for changes made over HTTP. */
  ua?: string;
  /** Free text, e.g. the list manager's note on an import. */
  note?: string;
}

/** One entry of a reader's consent record. */
export interface ConsentEntry {
  at: string;
  list: string;
  status: SubscriptionStatus;
  topics?: string[];
  source: string;
  ip: string;
  ua: string;
  note: string;
}

export class InvalidReaderError extends Error {
  readonly code = 'READER_INVALID';
}

const emailSchema = z.email();

/** Lower-cased, trimmed address, or an InvalidReaderError naming what was wrong. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !emailSchema.safeParse(email).success) {
    throw new InvalidReaderError(`invalid email address: ${JSON.stringify(raw.slice(0, 80))}`);
  }
  return email;
}

/** Names end up in headers and greetings: strip control characters (CR/LF included), cap length. */
export function cleanName(raw: string | undefined): string {
  return (raw ?? '')
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100);
}

/**
 * Readers and their subscriptions. A reader is one address (unique); a subscription is the
 * reader's state and topic choice on one list. Every status change is recorded with its consent.
 */
export class ReaderStore {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  /** The reader with this address, created if new (the name is updated when one is given). */
  async upsert(rawEmail: string, rawName?: string, now = new Date()): Promise<Reader> {
    const email = normalizeEmail(rawEmail);
    const name = cleanName(rawName);
    const candidate = `r${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;
    await this.redis.hsetnx(this.k.readerByEmail, email, candidate);
    const id = (await this.redis.hget(this.k.readerByEmail, email)) as string;
    await this.redis.hsetnx(this.k.reader(id), 'createdAt', now.toISOString());
    await this.redis.hset(
      this.k.reader(id),
      'email',
      email,
      ...(rawName !== undefined || id === candidate ? ['name', name] : []),
    );
    return (await this.get(id)) as Reader;
  }

  async get(id: string): Promise<Reader | null> {
    const h = await this.redis.hgetall(this.k.reader(id));
    if (!h.email) return null;
    return { id, email: h.email, name: h.name ?? '', createdAt: h.createdAt ?? '' };
  }

  async findByEmail(rawEmail: string): Promise<Reader | null> {
    const id = await this.redis.hget(this.k.readerByEmail, normalizeEmail(rawEmail));
    return id ? this.get(id) : null;
  }

  /** Set the reader's status (and topics, when given) on a list, recording consent. */
  async setSubscription(
    listId: string,
    readerId: string,
    change: { status: SubscriptionStatus; topics?: string[]; consent: Consent },
    now = new Date(),
  ): Promise<Subscription> {
    const fields: string[] = ['status', change.status, 'updatedAt', now.toISOString()];
    if (change.topics) fields.push('topics', JSON.stringify(change.topics));
    const c = change.consent;
    const entry: ConsentEntry = {
      at: now.toISOString(),
      list: listId,
      status: change.status,
      ...(change.topics ? { topics: change.topics } : {}),
      source: c.source,
      ip: c.ip ?? '',
      ua: (c.ua ?? '').slice(0, 300),
      note: (c.note ?? '').slice(0, 300),
    };
    // The consent record is a legal record: appended, never trimmed, one list per reader (a
    // list of a few entries is a compact listpack; a stream would cost ~4.7 KB per reader).
    await this.redis
      .multi()
      .hset(this.k.subscription(listId, readerId), ...fields)
      .zadd(this.k.listMembers(listId), 'NX', now.getTime(), readerId)
      .rpush(this.k.readerConsentLog(readerId), JSON.stringify(entry))
      .exec();
    return (await this.subscription(listId, readerId)) as Subscription;
  }

  /** The reader's consent record, oldest first (entries of the older stream form first). */
  async consentHistory(readerId: string): Promise<ConsentEntry[]> {
    const legacy = await this.redis.xrange(this.k.readerConsent(readerId), '-', '+');
    const older = legacy.map(([, flat]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
      return {
        at: f.at ?? '',
        list: f.list ?? '',
        status: f.status as SubscriptionStatus,
        ...(f.topics ? { topics: JSON.parse(f.topics) as string[] } : {}),
        source: f.source ?? '',
        ip: f.ip ?? '',
        ua: f.ua ?? '',
        note: f.note ?? '',
      };
    });
    const log = await this.redis.lrange(this.k.readerConsentLog(readerId), 0, -1);
    return [...older, ...log.map((line) => JSON.parse(line) as ConsentEntry)];
  }

  /** The reader's subscriptions on the given lists (those that exist). */
  async subscriptions(readerId: string, listIds: readonly string[]): Promise<Subscription[]> {
    const found = await Promise.all(listIds.map((l) => this.subscription(l, readerId)));
    return found.filter((s): s is Subscription => s !== null);
  }

  /** Store (or clear) the nonce of the reader's pending confirmation link on a list. */
  async setConfirmNonce(listId: string, readerId: string, nonce: string | null): Promise<void> {
    const key = this.k.subscription(listId, readerId);
    if (nonce) await this.redis.hset(key, 'confirmNonce', nonce);
    else await this.redis.hdel(key, 'confirmNonce');
  }

  /** Take the pending confirmation nonce if it is `nonce` (atomic: a link confirms once). */
  async takeConfirmNonce(listId: string, readerId: string, nonce: string): Promise<boolean> {
    const taken = await this.redis.eval(
      "if redis.call('HGET', KEYS[1], 'confirmNonce') == ARGV[1] then redis.call('HDEL', KEYS[1], 'confirmNonce') return 1 end return 0",
      1,
      this.k.subscription(listId, readerId),
      nonce,
    );
    return taken === 1;
  }

  /**
   * Erase the reader: their record, address index and subscriptions on `listIds`. The consent
   * record (reader id, time, source, IP) stays as the legal record; it holds no address.
   */
  async erase(readerId: string, listIds: readonly string[]): Promise<Reader | null> {
    const reader = await this.get(readerId);
    if (!reader) return null;
    const multi = this.redis.multi().del(this.k.reader(readerId)).hdel(this.k.readerByEmail, reader.email);
    for (const listId of listIds) {
      multi.del(this.k.subscription(listId, readerId)).zrem(this.k.listMembers(listId), readerId);
    }
    await multi.exec();
    return reader;
  }

  /** Addresses containing `term` (case-insensitive), with their reader ids; at most `limit`. */
  async search(term: string, limit: number): Promise<Array<{ email: string; id: string }>> {
    const pattern = `*${term.toLowerCase().replace(/[*?[\]\\]/g, '\\$&')}*`;
    const found: Array<{ email: string; id: string }> = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.k.readerByEmail, cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i + 1 < flat.length && found.length < limit; i += 2) {
        found.push({ email: flat[i] as string, id: flat[i + 1] as string });
      }
    } while (cursor !== '0' && found.length < limit);
    return found;
  }

  async subscription(listId: string, readerId: string): Promise<Subscription | null> {
    const h = await this.redis.hgetall(this.k.subscription(listId, readerId));
    return h.status ? toSubscription(listId, readerId, h) : null;
  }

  /** Member ids of a list by join order (stable paging by rank: members are never removed). */
  async members(listId: string, offset: number, count: number): Promise<string[]> {
    return this.redis.zrange(this.k.listMembers(listId), String(offset), String(offset + count - 1));
  }

  async memberCount(listId: string): Promise<number> {
    return this.redis.zcard(this.k.listMembers(listId));
  }

  /** Readers and their subscription on `listId`, in the order of `ids` (missing ones left out). */
  async loadMany(
    listId: string,
    ids: readonly string[],
  ): Promise<Array<{ reader: Reader; subscription: Subscription }>> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.k.reader(id)).hgetall(this.k.subscription(listId, id));
    const replies = (await pipe.exec()) ?? [];
    return ids.flatMap((id, i) => {
      const r = replies[2 * i]?.[1] as Record<string, string> | undefined;
      const s = replies[2 * i + 1]?.[1] as Record<string, string> | undefined;
      if (!r?.email || !s?.status) return [];
      return [
        {
          reader: { id, email: r.email, name: r.name ?? '', createdAt: r.createdAt ?? '' },
          subscription: toSubscription(listId, id, s),
        },
      ];
    });
  }
}

function toSubscription(listId: string, readerId: string, h: Record<string, string>): Subscription {
  return {
    listId,
    readerId,
    status: h.status as SubscriptionStatus,
    topics: h.topics ? (JSON.parse(h.topics) as string[]) : [],
    updatedAt: h.updatedAt ?? '',
  };
}
