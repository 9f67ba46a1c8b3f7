import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { parseRate } from '../config.js';
import type { Redis } from '../store/redis.js';

/** Messages per window (MAIL_RATE). */
export interface MailRateSetting {
  messages: number;
  perSeconds: number;
}

/** One MailRate per list that sets `rate`, made on first use. */
export class ListRates {
  private readonly rates = new Map<string, MailRate>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  of(list: { id: string; rate?: string | undefined }): MailRate | undefined {
    const setting = parseRate(list.rate);
    if (!setting) return undefined;
    const key = `${list.id} ${list.rate}`;
    let rate = this.rates.get(key);
    if (!rate) {
      rate = new MailRate(this.redis, this.prefix, setting, `list:${list.id}`);
      this.rates.set(key, rate);
    }
    return rate;
  }
}

/**
 * The send rate shared by every worker: one fixed-window counter in Redis (rate-limiter-flexible).
 * A rate is spread into the shortest window that holds whole messages (`6000/min` counts 100 per
 * second, `10/h` one per 6 minutes), so a limit per hour never goes out as one burst.
 */
export class MailRate {
  private readonly limiter: RateLimiterRedis;

  /** @param scope - what the counter limits: `smtp` (the transport, MAIL_RATE) or `list:ID`. */
  constructor(
    redis: Redis,
    prefix: string,
    setting: MailRateSetting,
    private readonly scope = 'smtp',
  ) {
    const perSecond = setting.messages / setting.perSeconds;
    const [points, duration] =
      perSecond >= 1 ? [Math.floor(perSecond), 1] : [1, Math.ceil(setting.perSeconds / setting.messages)];
    // The prefix carries the hash tag, so the counter lives in Gazette's Redis Cluster slot.
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:mail-rate`, points, duration });
  }

  /** Wait for a message's turn; returns early (without a turn) when `signal` aborts. */
  async take(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      try {
        await this.limiter.consume(this.scope);
        return true;
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        await sleep(err.msBeforeNext + 1, signal);
      }
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
