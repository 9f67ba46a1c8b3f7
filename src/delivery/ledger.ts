import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

/** Final states: a reader in one of these is never sent this edition again. */
export type FinalState = 'dispatched' | 'skipped' | 'failed' | 'bounced';

export type ClaimResult = { claimed: true; retry: boolean } | { claimed: false; state: FinalState };

const CLAIM = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local state = string.match(cur, '^[a-z]+')
  if state ~= 'sending' then return state end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 'retry'
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'new'
`;

const SETTLE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and string.match(cur, '^[a-z]+') ~= 'sending' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return 1
`;

/**
 * The per-edition, per-reader record of what was sent. Before every send the reader is claimed
 * (`sending`); after SMTP accepts, the claim becomes `dispatched`. A reader in a final state is
 * never sent the edition again, whichever job or worker retries.
 *
 * A worker killed between the server's acceptance and `settle` leaves a `sending` claim; the
 * retry sends again with the same Message-ID (at-least-once in that gap of milliseconds,
 * never a loss).
 */
export class Ledger {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  async claim(editionId: string, readerId: string, attempt: string): Promise<ClaimResult> {
    const value = `sending ${attempt} ${new Date().toISOString()}`;
    const r = (await this.redis.eval(CLAIM, 1, this.k.ledger(editionId), readerId, value)) as string;
    if (r === 'new' || r === 'retry') return { claimed: true, retry: r === 'retry' };
    return { claimed: false, state: r as FinalState };
  }

  /** Record a final state once; counts it in the edition's status. Returns false if already final. */
  async settle(editionId: string, readerId: string, state: FinalState, detail = ''): Promise<boolean> {
    const value = `${state} ${new Date().toISOString()} ${detail}`.trim();
    const r = await this.redis.eval(
      SETTLE,
      2,
      this.k.ledger(editionId),
      this.k.editionStatus(editionId),
      readerId,
      value,
      state,
    );
    return r === 1;
  }

  /** The recorded line for a reader: `<state> <time> [detail]`, or null. */
  async entry(editionId: string, readerId: string): Promise<string | null> {
    return this.redis.hget(this.k.ledger(editionId), readerId);
  }
}
