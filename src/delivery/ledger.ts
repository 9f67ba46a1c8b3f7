import { createHash, randomBytes } from 'node:crypto';
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
// ARGV: token, stale ms, reader ids…; one outcome per reader, in order.
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 3, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  local outcome = 'new'
  if cur then
    local state = string.match(cur, '^[a-z]+')
    if state ~= 'sending' then
      outcome = state
    else
      local token, at = string.match(cur, '^sending (%S+) (%d+)')
      if token == ARGV[1] then outcome = 'same'
      elseif at and now - tonumber(at) < tonumber(ARGV[2]) then outcome = 'busy'
      else outcome = 'retry' end
    end
  end
  if outcome == 'new' or outcome == 'retry' then
    redis.call('HSET', KEYS[1], ARGV[i], 'sending ' .. ARGV[1] .. ' ' .. now)
  end
  if outcome == 'same' then outcome = 'new' end
  out[#out + 1] = outcome
end
return out
`;

const RELEASE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and string.match(cur, '^sending (%S+)') == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
return 0
`;

// ARGV: groups of 4 (reader, value, state, reason); returns how many were newly settled.
const SETTLE = `
local n = 0
for i = 1, #ARGV, 4 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if not (cur and string.match(cur, '^[a-z]+') ~= 'sending') then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    redis.call('HINCRBY', KEYS[2], ARGV[i + 2], 1)
    if ARGV[i + 3] ~= '' then redis.call('HINCRBY', KEYS[2], 'reason:' .. ARGV[i + 2] .. ':' .. ARGV[i + 3], 1) end
    n = n + 1
  end
end
return n
`;

// Re-open readers whose entry is `failed <time> render-failed…` (their topic set could not be
// rendered, nothing was sent): the entry goes and the counts with it. ARGV: reader ids.
const REOPEN_RENDER_FAILED = `
local n = 0
for i = 1, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur and string.match(cur, '^failed %S+ render%-failed') then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('HINCRBY', KEYS[2], 'failed', -1)
    redis.call('HINCRBY', KEYS[2], 'reason:failed:render-failed', -1)
    n = n + 1
  end
end
return n
`;

/** The detail of a reader failed because its topic set could not be rendered (see {@link Ledger.reopenRenderFailed}). */
export const RENDER_FAILED = 'render-failed';

/** A Lua script run by its SHA (EVALSHA), loaded on first use: the text is not sent with every call. */
class Script {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

const claimScript = new Script(CLAIM);
const releaseScript = new Script(RELEASE);
const settleScript = new Script(SETTLE);
const reopenScript = new Script(REOPEN_RENDER_FAILED);

/** One reader's final state, for {@link Ledger.settleEach}. */
export interface Settlement {
  readerId: string;
  state: FinalState;
  detail?: string;
  reason?: string;
}

function newToken(): string {
  return randomBytes(6).toString('base64url');
}

function claimResult(r: string, token: string): ClaimResult {
  if (r === 'new' || r === 'retry') return { claimed: true, token, retry: r === 'retry' };
  return { claimed: false, state: r as FinalState | 'busy' };
}

/**
 * The per-edition, per-reader record of what was sent. Before every send the reader is claimed
 * (`sending`, with a token and a time); after SMTP accepts, the claim becomes `dispatched`. A
 * reader in a final state is never sent the edition again, whichever job or worker retries, and
 * a fresh claim of another run is never taken over (`busy`), so two runs of one batch (a stalled
 * job handed to a second worker) cannot both send.
 *
 * A worker killed between the server's acceptance and `settle` leaves a claim that goes stale
 * after {@link STALE_CLAIM_MS}; the retry then sends again with the same Message-ID
 * (at-least-once in that gap, never a loss). Send batches claim and settle readers in groups
 * ({@link claimMany}, {@link settleEach}: one script call each, run by SHA), so that gap can
 * hold a group's worth of readers.
 */
export class Ledger {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
    /** How old (by Redis's clock) a claim must be to count as left by a dead worker. */
    private readonly staleMs = STALE_CLAIM_MS,
  ) {}

  /** @param token - a claim's identity; a repeated call with the same token is the same claim. */
  async claim(editionId: string, readerId: string, token = newToken()): Promise<ClaimResult> {
    const [result] = await this.claimMany(editionId, [readerId], token);
    return result as ClaimResult;
  }

  /**
   * {@link claim} for a group of readers in one script call (atomic: no other run sees half the
   * group claimed), all with one token. Results in the order of `readerIds`.
   */
  async claimMany(editionId: string, readerIds: readonly string[], token = newToken()): Promise<ClaimResult[]> {
    if (readerIds.length === 0) return [];
    const r = (await claimScript.run(
      this.redis,
      [this.k.ledger(editionId)],
      [token, this.staleMs, ...readerIds],
    )) as string[];
    return r.map((outcome) => claimResult(outcome, token));
  }

  /** Give a claim back (the server did not take the message): the next attempt may send. */
  async release(editionId: string, readerId: string, token: string): Promise<void> {
    await releaseScript.run(this.redis, [this.k.ledger(editionId)], [readerId, token]);
  }

  /** {@link release} for several readers of one claim, pipelined in one round trip. */
  async releaseMany(editionId: string, readerIds: readonly string[], token: string): Promise<void> {
    await Promise.all(readerIds.map((id) => this.release(editionId, id, token)));
  }

  /**
   * Record a final state once; counts it in the edition's status, and by `reason` (a short,
   * bounded label such as `5.1.1` or `no-news`) for the metrics. Returns false if already final.
   */
  async settle(editionId: string, readerId: string, state: FinalState, detail = '', reason = ''): Promise<boolean> {
    return (await this.settleEach(editionId, [{ readerId, state, detail, reason }])) === 1;
  }

  /**
   * {@link settle} for a group of readers, each with its own state, in one script call; returns
   * how many were newly settled.
   */
  async settleEach(editionId: string, settlements: readonly Settlement[]): Promise<number> {
    if (settlements.length === 0) return 0;
    const at = new Date().toISOString();
    const args = settlements.flatMap((s) => [
      s.readerId,
      `${s.state} ${at} ${s.detail ?? ''}`.trim(),
      s.state,
      s.reason ?? '',
    ]);
    return Number(
      await settleScript.run(this.redis, [this.k.ledger(editionId), this.k.editionStatus(editionId)], args),
    );
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
    // Groups of a thousand: one script call must not hold Redis for long.
    let settled = 0;
    for (let i = 0; i < readerIds.length; i += 1000) {
      const group = readerIds.slice(i, i + 1000).map((readerId) => ({ readerId, state, detail, reason }));
      settled += await this.settleEach(editionId, group);
    }
    return settled;
  }

  /**
   * Take back the `failed` entries of readers whose topic set could not be rendered (nothing was
   * sent to them), so that a resume sends to them; other entries stay. Returns how many.
   */
  async reopenRenderFailed(editionId: string, readerIds: readonly string[]): Promise<number> {
    let reopened = 0;
    for (let i = 0; i < readerIds.length; i += 1000) {
      reopened += Number(
        await reopenScript.run(
          this.redis,
          [this.k.ledger(editionId), this.k.editionStatus(editionId)],
          readerIds.slice(i, i + 1000),
        ),
      );
    }
    return reopened;
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
