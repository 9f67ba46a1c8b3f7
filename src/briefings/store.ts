import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';
import type { Briefing } from './briefing.js';

export type UpsertOutcome = 'new' | 'updated' | 'unchanged';

/**
 * Insert a briefing, or replace it when the incoming copy is newer (modifiedAt) or changed
 * state, atomically. Returns 'new' | 'updated' | 'unchanged'. Keeps the by-date index in step:
 * only published briefings are in it.
 */
const UPSERT = `
local current = redis.call('GET', KEYS[1])
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

  /** Idempotent: storing the same briefing twice reports 'unchanged' the second time. */
  async upsert(briefing: Briefing): Promise<UpsertOutcome> {
    const json = JSON.stringify(briefing);
    const score = Date.parse(briefing.publishedAt);
    const result = await this.redis.eval(UPSERT, 2, this.k.briefing(briefing.id), this.k.briefingsByDate, json, score);
    return result as UpsertOutcome;
  }

  async get(id: string): Promise<Briefing | null> {
    const json = await this.redis.get(this.k.briefing(id));
    return json ? (JSON.parse(json) as Briefing) : null;
  }

  /** Published briefings with `since < publishedAt <= until`, newest first. */
  async publishedBetween(since: Date, until: Date): Promise<Briefing[]> {
    const ids = await this.redis.zrevrangebyscore(this.k.briefingsByDate, until.getTime(), `(${since.getTime()}`);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.k.briefing(id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Briefing);
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.k.briefingsByDate);
  }
}
