import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';
import type { Briefing } from './briefing.js';

export type UpsertOutcome = 'new' | 'updated' | 'unchanged';

/**
 * Insert a briefing, or replace it when the incoming copy is newer (modifiedAt) or changed
 * state, atomically. Returns 'new' | 'updated' | 'unchanged'. Keeps the by-date index in step:
 * only published briefings are in it. Records the first-collected time once (ZADD NX): ARGV[3]
 * for a new briefing; for one stored before that index existed, its publication time (what its
 * editions were windowed by then), so an upgrade does not make the back catalogue new again.
 */
const UPSERT = `
local current = redis.call('GET', KEYS[1])
if not redis.call('ZSCORE', KEYS[3], ARGV[4]) then
  redis.call('ZADD', KEYS[3], 'NX', current and ARGV[2] or ARGV[3], ARGV[4])
end
local incoming = cjson.decode(ARGV[1])
local outcome = 'new'
if current then
  local old = cjson.decode(current)
  if old.modifiedAt > incoming.modifiedAt then return 'unchanged' end
  if current == ARGV[1] then return 'unchanged' end
  outcome = 'updated'
end
redis.call('SET', KEYS[1], ARGV[1])
if incoming.published then
  redis.call('ZADD', KEYS[2], ARGV[2], incoming.id)
else
  redis.call('ZREM', KEYS[2], incoming.id)
end
return outcome
`;

/** Briefings in Redis: one JSON value per briefing, indexed by publication time. */
export class BriefingStore {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  /**
   * Idempotent: storing the same briefing twice reports 'unchanged' the second time.
   * `collectedAt` counts only the first time a briefing is stored (a briefing's own
   * `collectedAt` is ignored: the store keeps the first one).
   */
  async upsert(briefing: Briefing, collectedAt: Date = new Date()): Promise<UpsertOutcome> {
    const { collectedAt: _kept, ...stored } = briefing;
    const json = JSON.stringify(stored);
    const score = Date.parse(briefing.publishedAt);
    const result = await this.redis.eval(
      UPSERT,
      3,
      this.k.briefing(briefing.id),
      this.k.briefingsByDate,
      this.k.briefingsByCollected,
      json,
      score,
      collectedAt.getTime(),
      briefing.id,
    );
    return result as UpsertOutcome;
  }

  async get(id: string): Promise<Briefing | null> {
    const [json, collected] = await Promise.all([
      this.redis.get(this.k.briefing(id)),
      this.redis.zscore(this.k.briefingsByCollected, id),
    ]);
    return json ? withCollected(JSON.parse(json) as Briefing, collected) : null;
  }

  /** Published briefings with `since < publishedAt <= until`, newest first. */
  async publishedBetween(since: Date, until: Date): Promise<Briefing[]> {
    const ids = await this.redis.zrevrangebyscore(this.k.briefingsByDate, until.getTime(), `(${since.getTime()}`);
    if (ids.length === 0) return [];
    const scores = await this.redis.zmscore(this.k.briefingsByCollected, ...ids);
    return this.load(ids, scores);
  }

  /** Published briefings first collected at `since < collectedAt <= until`, first collected first. */
  async collectedBetween(since: Date, until: Date): Promise<Briefing[]> {
    const flat = await this.redis.zrangebyscore(
      this.k.briefingsByCollected,
      `(${since.getTime()}`,
      until.getTime(),
      'WITHSCORES',
    );
    const ids = flat.filter((_, i) => i % 2 === 0);
    const scores = flat.filter((_, i) => i % 2 === 1);
    return (await this.load(ids, scores)).filter((b) => b.published);
  }

  private async load(ids: string[], scores: Array<string | null>): Promise<Briefing[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.k.briefing(id)));
    return values.flatMap((v, i) => (v === null ? [] : [withCollected(JSON.parse(v) as Briefing, scores[i] ?? null)]));
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.k.briefingsByDate);
  }
}

function withCollected(briefing: Briefing, score: string | null): Briefing {
  return score === null ? briefing : { ...briefing, collectedAt: new Date(Number(score)).toISOString() };
}
