import { z } from 'zod';
import { defineJob, jobId, KEEP } from '../src/queue/define.js';

const ATTEMPTS = 8;

/** Send one batch of an edition's readers; the ledger makes retries skip who was already sent. */
export const sendBatch = defineJob({
  name: 'send-batch',
  queue: 'delivery',
  payload: z.object({ editionId: z.string().min(1), batch: z.number().int().min(0) }),
  // A batch that fails for good must not hold its edition's finish job forever.
  options: {
    ignoreDependencyOnFailure: true,
    attempts: ATTEMPTS,
    backoff: { type: 'exponential', delay: 5_000 },
    ...KEEP,
  },
  jobId: (p) => jobId('batch', p.editionId, p.batch),
  handle: (p, { services, job }) => services.batches.send(p.editionId, p.batch, job.attempt + 1 >= ATTEMPTS),
});
