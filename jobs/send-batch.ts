import { z } from 'zod';
import { BatchBusyError, BatchInterruptedError } from '../src/delivery/batch.js';
import { defineJob, jobId, KEEP_FEW } from '../src/queue/define.js';

/** Re-run delays that use up no attempt: a busy reader (another live run) or a shutdown. */
const BUSY_RETRY_MS = 15_000;
const INTERRUPTED_RETRY_MS = 1_000;

/**
 * Send one batch of an edition's readers; the ledger makes retries skip who was already sent.
 * `run` 0 is the first fan-out; each resume of the edition is a new run with its own job ids.
 */
export const sendBatch = defineJob({
  name: 'send-batch',
  queue: 'delivery',
  payload: z.object({
    editionId: z.string().min(1),
    batch: z.number().int().min(0),
    run: z.number().int().min(0).default(0),
  }),
  // A batch that fails for good must not hold its edition's finish job forever: the finish job
  // counts the ledger and ends the edition `incomplete` if readers are left.
  options: {
    ignoreDependencyOnFailure: true,
    attempts: 8,
    backoff: { type: 'exponential', delay: 5_000 },
    ...KEEP_FEW,
  },
  jobId: (p) => (p.run ? jobId('batch', p.editionId, `r${p.run}`, p.batch) : jobId('batch', p.editionId, p.batch)),
  handle: async (p, { services, job }) => {
    try {
      return await services.batches.send(p.editionId, p.batch);
    } catch (err) {
      if (err instanceof BatchInterruptedError) return job.retryLater(INTERRUPTED_RETRY_MS);
      if (err instanceof BatchBusyError) return job.retryLater(BUSY_RETRY_MS);
      throw err;
    }
  },
});
