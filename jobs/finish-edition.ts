import { z } from 'zod';
import { defineJob, jobId, KEEP } from '../src/queue/define.js';

/** Runs after every send batch of the edition completed (it parents them in a flow). */
export const finishEdition = defineJob({
  name: 'finish-edition',
  queue: 'editions',
  payload: z.object({ editionId: z.string().min(1) }),
  options: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, ...KEEP },
  jobId: (p) => jobId('finish', p.editionId),
  handle: (p, { services }) => services.dispatcher.finish(p.editionId),
});
