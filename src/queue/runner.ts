import { hostname } from 'node:os';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import { type LogContext, type Logger, withLogContext } from '../logger.js';
import type { Services } from '../services.js';
import type { Redis } from '../store/redis.js';
import { type JobDefinition, QUEUES, type QueueName } from './define.js';

/** Error codes that no retry can fix: the job fails at once instead of backing off. */
const PERMANENT_CODES = new Set([
  'EDITION_UNKNOWN',
  'LIST_UNKNOWN',
  'PUBLICATION_INVALID',
  'MJML_INVALID',
  'PLACEHOLDER_INVALID',
  'TEMPLATE_UNKNOWN',
  'TEMPLATE_INVALID',
  'TEMPLATE_DIR',
]);

export interface RunnerOptions {
  connection: () => Redis;
  prefix: string;
  concurrency: number;
  queues?: readonly QueueName[];
}

/**
 * Start one Worker per queue, routing each job by name to its definition. The payload is
 * parsed first (Redis data outlives deploys): a payload that no longer parses fails for good.
 */
export function startWorkers(
  catalogue: Record<string, JobDefinition>,
  services: Services,
  log: Logger,
  options: RunnerOptions,
): Worker[] {
  return (options.queues ?? QUEUES).map((queue) => {
    const worker = new Worker(queue, (job, token) => run(catalogue, services, log, job, token), {
      connection: options.connection(),
      prefix: options.prefix,
      concurrency: options.concurrency,
      // Shown as each job's `processedBy` (bull-board, `getJob`): which process ran it.
      name: `${hostname()}:${process.pid}`,
      // A job that stalls (its worker killed) is handed on, never failed for it while attempts
      // remain: the ledger keeps a re-run from sending anyone twice.
      maxStalledCount: 1_000,
    });
    // Every job's run time, into its queue's histogram in Redis (seen by whichever process serves /metrics).
    const timed = (job: Job | undefined) => {
      if (!job?.processedOn || !job.finishedOn) return;
      services.ops.recordJob(queue, (job.finishedOn - job.processedOn) / 1000).catch(() => {});
    };
    worker.on('completed', timed);
    worker.on('failed', timed);
    worker.on('error', (err) => log.error({ event: 'worker.error', queue, err }, 'worker error'));
    worker.on('failed', (job, err) =>
      log.warn(
        {
          event: 'job.failed',
          queue,
          jobId: job?.id,
          job: job?.name,
          ...contextIds(job?.data),
          attempts: job?.attemptsMade,
          err: err.message,
        },
        'job failed',
      ),
    );
    return worker;
  });
}

async function run(
  catalogue: Record<string, JobDefinition>,
  services: Services,
  root: Logger,
  job: Job,
  token: string | undefined,
): Promise<unknown> {
  const def = catalogue[job.name];
  if (!def) throw new UnrecoverableError(`no handler for job "${job.name}"`);
  const parsed = def.payload.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid payload for ${job.name}: ${parsed.error.message}`);
  // Every line logged while the job runs, by any service, carries these ids (async context).
  const ids: LogContext = { queue: def.queue, job: job.name, jobId: job.id ?? '', ...contextIds(parsed.data) };
  try {
    return await withLogContext(ids, () => handle(def, parsed.data, services, root, job, token));
  } catch (err) {
    if (err instanceof DelayedError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && PERMANENT_CODES.has(code)) {
      throw new UnrecoverableError(`${code}: ${(err as Error).message}`);
    }
    // Errors that say so themselves (a site answering 401, a refused URL) are not retried either.
    if ((err as { retryable?: unknown }).retryable === false) {
      throw new UnrecoverableError(`${String(code)}: ${(err as Error).message}`);
    }
    throw err;
  }
}

/** The ids of a job's payload that belong on its log lines. */
function contextIds(data: unknown): LogContext {
  const d = (data ?? {}) as Record<string, unknown>;
  const ids: LogContext = {};
  for (const key of ['editionId', 'listId', 'sourceId'] as const) if (typeof d[key] === 'string') ids[key] = d[key];
  return ids;
}

function handle(
  def: JobDefinition,
  payload: unknown,
  services: Services,
  log: Logger,
  job: Job,
  token: string | undefined,
): Promise<unknown> {
  return def.handle(payload, {
    services,
    log,
    job: {
      id: job.id ?? '',
      attempt: job.attemptsMade,
      attempts: job.opts.attempts ?? 1,
      dueAt: new Date(job.timestamp + (job.opts.delay ?? 0)),
      async retryLater(ms) {
        await job.moveToDelayed(Date.now() + ms, token);
        throw new DelayedError();
      },
    },
  });
}
