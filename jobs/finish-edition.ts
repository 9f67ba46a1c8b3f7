import { z } from 'zod';
import { defineJob, jobId, KEEP } from '../src/queue/define.js';

/**
 * Runs after every send batch of the edition's run completed or failed for good (it parents
 * them in a flow). It counts the ledger: `dispatched` only when every reader is final.
 */
export const finishEdition = defineJob({
  name: 'finish-edition',
  queue: 'editions',
  payload: z.object({ editionId: z.string().min(1), run: z.number().int().min(0).default(0) }),
  options: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, ...KEEP },
  jobId: (p) => (p.run ? jobId('finish', p.editionId, `r${p.run}`) : jobId('finish', p.editionId)),
  handle: (p, { services }) => services.dispatcher.finish(p.editionId, p.run),
});
