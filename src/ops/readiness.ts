import type { Queue } from 'bullmq';
import { QUEUES, type QueueName } from '../queue/define.js';
import type { Services } from '../services.js';

export interface Readiness {
  ready: boolean;
  checks: {
    redis: 'ok' | string;
    /** Worker connections per queue, across every process. */
    workers: Record<string, number>;
    /** Queues with waiting jobs and nothing active for longer than the wedge limit. */
    wedged: string[];
  };
}

/** How long a queue may have waiting jobs with nothing active before readiness fails. */
export const WEDGED_MS = 60_000;

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

/**
 * Readiness: Redis answers, some worker serves every queue, and no queue is wedged (jobs
 * waiting, none active, for over a minute). An idle worker is ready. Remembers, per queue, since
 * when it has looked wedged.
 */
export class ReadinessCheck {
  private readonly stuckSince = new Map<QueueName, number>();

  constructor(
    private readonly s: Services,
    private readonly wedgedMs = WEDGED_MS,
  ) {}

  async check(now = Date.now()): Promise<Readiness> {
    const workers: Record<string, number> = {};
    const wedged: string[] = [];
    try {
      await within(2_000, this.s.redis.ping());
      for (const name of QUEUES) {
        const queue: Queue = this.s.producer.queue(name);
        const [count, counts] = await within(
          2_000,
          Promise.all([queue.getWorkersCount(), queue.getJobCounts('waiting', 'active')]),
        );
        workers[name] = count;
        if ((counts.waiting ?? 0) > 0 && (counts.active ?? 0) === 0) {
          const since = this.stuckSince.get(name) ?? now;
          this.stuckSince.set(name, since);
          if (now - since > this.wedgedMs) wedged.push(name);
        } else this.stuckSince.delete(name);
      }
    } catch (err) {
      return { ready: false, checks: { redis: (err as Error).message, workers, wedged } };
    }
    const ready = Object.values(workers).every((n) => n > 0) && wedged.length === 0;
    return { ready, checks: { redis: 'ok', workers, wedged } };
  }
}
