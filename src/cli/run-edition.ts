import { type Job, QueueEvents } from 'bullmq';
import { dispatchEdition, finishEdition, planEdition } from '../../jobs/index.js';
import type { EditionStatus } from '../editions/store.js';
import type { QueueName } from '../queue/define.js';
import type { Services } from '../services.js';
import { createRedis, type Redis } from '../store/redis.js';

export type EditionRun =
  | { status: 'skipped'; reason: string }
  | { status: 'dispatched'; editionId: string; planned: 'planned' | 'existing'; result: EditionStatus };

/**
 * Trigger a list's edition for the slot at `at` through the queues and wait for it to finish:
 * plan-edition → dispatch-edition → send batches → finish-edition. Some worker (this process
 * or another) must be running the queues.
 */
export async function runEdition(
  s: Services,
  listId: string,
  at: Date,
  onStep: (step: string) => void = () => {},
  timeoutMs = 120_000,
): Promise<EditionRun> {
  const events = new Map<QueueName, QueueEvents>();
  const connections: Redis[] = [];
  const eventsFor = async (queue: QueueName) => {
    let qe = events.get(queue);
    if (!qe) {
      const connection = createRedis(s.config.redisUrl, 'worker');
      connections.push(connection);
      qe = new QueueEvents(queue, { connection, prefix: s.config.redisPrefix });
      qe.on('error', () => {});
      await qe.waitUntilReady();
      events.set(queue, qe);
    }
    return qe;
  };
  const finished = async (queue: QueueName, job: Job | undefined, what: string) => {
    if (!job) throw new Error(`${what}: job not found`);
    return job.waitUntilFinished(await eventsFor(queue), timeoutMs);
  };
  try {
    await eventsFor('editions');
    const plan = await s.producer.add(planEdition, { listId, at: at.toISOString() });
    onStep(`planning ${listId} for ${at.toISOString()}`);
    const planned = (await finished('editions', plan, 'plan-edition')) as {
      status: string;
      editionId: string;
      reason?: string;
    };
    if (planned.status === 'skipped') return { status: 'skipped', reason: planned.reason ?? 'nothing to send' };
    onStep(`edition ${planned.editionId} ${planned.status}; rendering and fanning out`);
    const dispatchId = dispatchEdition.jobId({ editionId: planned.editionId });
    await finished('editions', await s.producer.queue('editions').getJob(dispatchId), 'dispatch-edition');
    onStep('sending');
    const finishId = finishEdition.jobId({ editionId: planned.editionId });
    await finished('editions', await s.producer.queue('editions').getJob(finishId), 'finish-edition');
    const result = await s.editions.status(planned.editionId);
    if (!result) throw new Error(`edition ${planned.editionId} has no status`);
    return {
      status: 'dispatched',
      editionId: planned.editionId,
      planned: planned.status as 'planned' | 'existing',
      result,
    };
  } finally {
    await Promise.all([...events.values()].map((qe) => qe.close()));
    await Promise.all(connections.map((c) => c.quit()));
  }
}
