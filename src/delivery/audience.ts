import { randomBytes } from 'node:crypto';
import type { Edition } from '../editions/edition.js';
import { readerTopics } from '../editions/plan.js';
import type { List } from '../publication.js';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';
import type { ReaderStore } from '../subscriptions/readers.js';
import type { Ledger } from './ledger.js';

const PAGE = 1000;

/** `a+b+c`: topic slugs are `[a-z0-9-]`, so `+` cannot collide. */
export function topicKey(topics: readonly string[]): string {
  return topics.join('+');
}

export interface AudienceEntry {
  readerId: string;
  topics: string[];
}

/**
 * An edition's audience, frozen once: confirmed readers of the list with the topics each will
 * receive. Readers with nothing new in their topics are recorded in the ledger as skipped.
 * Built in a scratch key and moved into place with RENAMENX, so a re-run keeps the first build.
 */
export class Audience {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
    private readonly readers: ReaderStore,
    private readonly ledger: Ledger,
  ) {}

  /** Freeze the audience if not yet done; returns its size and the distinct topic sets. */
  async freeze(edition: Edition, list: List): Promise<{ size: number; topicSets: string[][] }> {
    const key = this.k.editionAudience(edition.id);
    if (!(await this.redis.exists(key))) await this.build(edition, list, key);
    // An empty audience is stored as one blank entry, so that "frozen" and "empty" differ.
    const size = (await this.redis.llen(key)) - ((await this.redis.lindex(key, 0)) === '' ? 1 : 0);
    const sets = await this.redis.smembers(this.k.editionTopicSets(edition.id));
    return { size, topicSets: sets.sort().map((s) => s.split('+')) };
  }

  private async build(edition: Edition, list: List, key: string): Promise<void> {
    // Per run: two builds at once (a stalled job taken over) never mix their pages.
    const scratch = `${key}:building:${randomBytes(6).toString('hex')}`;
    const total = await this.readers.memberCount(list.id);
    for (let offset = 0; offset < total; offset += PAGE) {
      const ids = await this.readers.members(list.id, offset, PAGE);
      const entries: string[] = [];
      const sets = new Set<string>();
      const noNews: string[] = [];
      for (const { subscription } of await this.readers.loadMany(list.id, ids)) {
        if (subscription.status !== 'confirmed') continue;
        const topics = readerTopics(edition, list, subscription.topics);
        if (topics.length === 0) {
          noNews.push(subscription.readerId);
          continue;
        }
        entries.push(`${subscription.readerId} ${topicKey(topics)}`);
        sets.add(topicKey(topics));
      }
      // One round trip per page, not one script call per reader.
      if (noNews.length) await this.ledger.settleMany(edition.id, noNews, 'skipped', 'no-news', 'no-news');
      if (entries.length) await this.redis.rpush(scratch, ...entries);
      if (sets.size) await this.redis.sadd(this.k.editionTopicSets(edition.id), ...sets);
    }
    if (!(await this.redis.exists(scratch))) await this.redis.rpush(scratch, '');
    const moved = await this.redis.renamenx(scratch, key);
    if (!moved) await this.redis.del(scratch);
  }

  /** Forget a frozen audience (an edition skipped for want of readers, sent again). */
  async discard(editionId: string): Promise<void> {
    await this.redis.del(this.k.editionAudience(editionId), this.k.editionTopicSets(editionId));
  }

  /** Entries `[start, start + count)` of the frozen audience. */
  async range(editionId: string, start: number, count: number): Promise<AudienceEntry[]> {
    const raw = await this.redis.lrange(this.k.editionAudience(editionId), start, start + count - 1);
    return raw.filter(Boolean).map((line) => {
      const [readerId = '', topics = ''] = line.split(' ');
      return { readerId, topics: topics.split('+') };
    });
  }
}
