import { z } from 'zod';
import { defineJob, jobId, KEEP } from '../src/queue/define.js';

/**
 * The first child of a run's finish job: adds the run's send batches under the same parent in
 * bounded chunks. Until it completes the finish job cannot run, so an edition never ends
 * before all its batches exist; if it fails for good, the finish job counts the ledger and the
 * edition ends `incomplete` with a way to resume.
 */
export const addBatches = defineJob({
  name: 'add-batches',
  queue: 'editions',
  payload: z.object({ editionId: z.string().min(1), run: z.number().int().min(0).default(0) }),
  options: { ignoreDependencyOnFailure: true, attempts: 5, backoff: { type: 'exponential', delay: 2_000 }, ...KEEP },
  jobId: (p) => (p.run ? jobId('add-batches', p.editionId, `r${p.run}`) : jobId('add-batches', p.editionId)),
  handle: (p, { services }) => services.dispatcher.addRunBatches(p.editionId, p.run),
});
