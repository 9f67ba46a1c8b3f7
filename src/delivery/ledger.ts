import { randomBytes } from 'node:crypto';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

/** Final states: a reader in one of these is never sent this edition again. */
export type FinalState = 'dispatched' | 'skipped' | 'failed' | 'bounced' | 'cancelled';

export type ClaimResult =
  | { claimed: true; token: string; retry: boolean }
  | { claimed: false; state: FinalState }
  /** Another run is sending to this reader right now (its claim is fresh). */
  | { claimed: false; state: 'busy' };

/**
 * A claim older than this is taken to be left by a dead worker: longer than an SMTP transaction
 * can take (30 s socket timeout) plus BullMQ's lock and stall detection (30 s each).
 */
export const STALE_CLAIM_MS = 120_000;

// Claims read `sending <token> <epoch ms>`; final entries `<state> <iso time> [detail]`.
// Times come from Redis (TIME), never from a worker's clock: a skewed worker cannot take over
// a live claim. A claim carrying this call's own token is this call's (ioredis re-sends a
// script that went unanswered when the connection dropped): it is claimed, not busy.
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local outcome = 'new'
if cur then
  local state = string.match(cur, '^[a-z]+')
  if state ~= 'sending' then return state end
  local token, at = string.match(cur, '^sending (%S+) (%d+)')
  if token == ARGV[2] then return 'new' end
  if at and now - tonumber(at) < tonumber(ARGV[3]) then return 'busy' end
  outcome = 'retry'
end
redis.call('HSET', KEYS[1], ARGV[1], 'sending ' .. ARGV[2] .. ' ' .. now)
return outcome
`;

const RELEASE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and string.match(cur, '^sending (%S+)') == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
return 0
`;

const SETTLE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and string.match(cur, '^[a-z]+') ~= 'sending' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
if ARGV[4] and ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[2], 'reason:' .. ARGV[3] .. ':' .. ARGV[4], 1) end
return 1
`;

/**
 * The per-edition, per-reader record of what was sent. Before every send the reader is claimed
 * (`sending`, with a token and a time); after SMTP accepts, the claim becomes `dispatched`. A
 * reader in a final state is never sent the edition again, whichever job or worker retries, and
 * a fresh claim of another run is never taken over (`busy`), so two runs of one batch (a stalled
 * job handed to a second worker) cannot both send.
 *
 * A worker killed between the server's acceptance and `settle` leaves a claim that goes stale
 * after {@link STALE_CLAIM_MS}; the retry then sends again with the same Message-ID
 * (at-least-once in that gap, never a loss).
 */
export class Ledger {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
    /** How old (by Redis's clock) a claim must be to count as left by a dead worker. */
    private readonly staleMs = STALE_CLAIM_MS,
  ) {}

  /** @param token - a claim's identity; a repeated call with the same token is the same claim. */
  async claim(editionId: string, readerId: string, token = randomBytes(6).toString('base64url')): Promise<ClaimResult> {
    const r = (await this.redis.eval(CLAIM, 1, this.k.ledger(editionId), readerId, token, this.staleMs)) as string;
    if (r === 'new' || r === 'retry') return { claimed: true, token, retry: r === 'retry' };
    return { claimed: false, state: r as FinalState | 'busy' };
  }

  /** Give a claim back (the server did not take the message): the next attempt may send. */
  async release(editionId: string, readerId: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.k.ledger(editionId), readerId, token);
  }

  /**
   * Record a final state once; counts it in the edition's status, and by `reason` (a short,
   * bounded label such as `5.1.1` or `no-news`) for the metrics. Returns false if already final.
   */
  async settle(editionId: string, readerId: string, state: FinalState, detail = '', reason = ''): Promise<boolean> {
    const value = `${state} ${new Date().toISOString()} ${detail}`.trim();
    const r = await this.redis.eval(
      SETTLE,
      2,
      this.k.ledger(editionId),
      this.k.editionStatus(editionId),
      readerId,
      value,
      state,
      reason,
    );
    return r === 1;
  }

  /** {@link settle} for many readers in one round trip; returns how many were newly settled. */
  async settleMany(
    editionId: string,
    readerIds: readonly string[],
    state: FinalState,
    detail = '',
    reason = '',
  ): Promise<number> {
    if (readerIds.length === 0) return 0;
    const value = `${state} ${new Date().toISOString()} ${detail}`.trim();
    const pipeline = this.redis.pipeline();
    for (const id of readerIds) {
      pipeline.eval(SETTLE, 2, this.k.ledger(editionId), this.k.editionStatus(editionId), id, value, state, reason);
    }
    const results = (await pipeline.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
    return results.filter(([, r]) => r === 1).length;
  }

  /** Ledger lines of `readerIds`, in order (null: never claimed). */
  async entries(editionId: string, readerIds: readonly string[]): Promise<Array<string | null>> {
    if (readerIds.length === 0) return [];
    return this.redis.hmget(this.k.ledger(editionId), ...readerIds);
  }

  /** The recorded line for a reader, or null. */
  async entry(editionId: string, readerId: string): Promise<string | null> {
    return this.redis.hget(this.k.ledger(editionId), readerId);
  }
}
