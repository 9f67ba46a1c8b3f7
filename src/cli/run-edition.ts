import { QueueEvents } from 'bullmq';
import { planEdition } from '../../jobs/index.js';
import type { EditionState, EditionStatus } from '../editions/store.js';
import type { Services } from '../services.js';
import { createRedis } from '../store/redis.js';

export type EditionRun =
  | { status: 'skipped'; reason: string }
  | {
      status: Exclude<EditionState, 'skipped'>;
      editionId: string;
      planned: 'planned' | 'existing';
      result: EditionStatus;
    };

/** States in which an edition waits for nobody: sending is over, or a person must act. */
const SETTLED: ReadonlySet<EditionState> = new Set(['dispatched', 'incomplete', 'paused', 'cancelled', 'skipped']);

/** How often a follower re-reads the edition's counts. */
const POLL_MS = 500;

/**
 * Trigger a list's edition for the slot at `at` through the queues and follow it until it
 * settles (dispatched, incomplete, paused or cancelled), however long that takes. Some worker
 * (this process or another) must be running the queues.
 */
export async function runEdition(
  s: Services,
  listId: string,
  at: Date,
  onProgress: (status: EditionStatus) => void = () => {},
  signal?: AbortSignal,
): Promise<EditionRun> {
  const connection = createRedis(s.config.redisUrl, 'worker');
  const events = new QueueEvents('editions', { connection, prefix: s.config.redisPrefix });
  events.on('error', () => {});
  try {
    await events.waitUntilReady();
    const plan = await s.producer.add(planEdition, { listId, at: at.toISOString() });
    // Planning reads briefings and writes one key: minutes would mean no worker is running.
    const planned = (await plan.waitUntilFinished(events, 10 * 60_000)) as {
      status: string;
      editionId: string;
      reason?: string;
    };
    if (planned.status === 'skipped') return { status: 'skipped', reason: planned.reason ?? 'nothing to send' };
    const result = await followEdition(s, planned.editionId, onProgress, signal);
    if (result.state === 'skipped') return { status: 'skipped', reason: result.skippedReason ?? 'nothing to send' };
    return {
      status: result.state,
      editionId: planned.editionId,
      planned: planned.status as 'planned' | 'existing',
      result,
    };
  } finally {
    await events.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

/** Wait until the edition settles, reporting its counts as they change. Returns early (unsettled) when `signal` aborts. */
export async function followEdition(
  s: Services,
  editionId: string,
  onProgress: (status: EditionStatus) => void = () => {},
  signal?: AbortSignal,
): Promise<EditionStatus> {
  for (;;) {
    const status = await s.editions.status(editionId);
    if (!status) throw new Error(`edition ${editionId} has no status`);
    onProgress(status);
    if (SETTLED.has(status.state) || signal?.aborted) return status;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
