import type { CollectReport } from '../briefings/collect.js';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';

/** Upper bounds (seconds) of the job duration histogram's buckets. */
export const JOB_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 1800] as const;

/**
 * Operational counters kept in Redis, so that every process's work is seen by whichever
 * process serves `/metrics` (an `api` beside N workers on other machines).
 */
export class OpsCounters {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  /** One job's run time, into its queue's histogram (one round trip). */
  async recordJob(queue: string, seconds: number): Promise<void> {
    const key = this.k.opsJobSeconds(queue);
    const tx = this.redis.multi();
    for (const le of JOB_SECONDS_BUCKETS) if (seconds <= le) tx.hincrby(key, String(le), 1);
    tx.hincrby(key, '+Inf', 1).hincrbyfloat(key, 'sum', seconds).hincrby(key, 'count', 1);
    await tx.exec();
  }

  async jobSeconds(queue: string): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.k.opsJobSeconds(queue));
    return Object.fromEntries(Object.entries(h).map(([f, v]) => [f, Number(v)]));
  }

  /** A collection run that completed: its counts, and the time of the source's last success. */
  async recordCollection(report: CollectReport, at = Date.now()): Promise<void> {
    const tx = this.redis.multi();
    for (const what of ['new', 'updated', 'quarantined'] as const) {
      if (report[what]) tx.hincrby(this.k.opsCollected, `${report.source}|${what}`, report[what]);
    }
    tx.hset(this.k.opsLastCollection, report.source, at);
    await tx.exec();
  }

  /** `{source, what, count}` for every recorded count. */
  async collected(): Promise<Array<{ source: string; what: string; count: number }>> {
    const h = await this.redis.hgetall(this.k.opsCollected);
    return Object.entries(h).map(([field, v]) => {
      const [source = '', what = ''] = field.split('|');
      return { source, what, count: Number(v) };
    });
  }

  /** Epoch ms of each source's last completed collection. */
  async lastCollections(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.k.opsLastCollection);
    return Object.fromEntries(Object.entries(h).map(([s, v]) => [s, Number(v)]));
  }
}
