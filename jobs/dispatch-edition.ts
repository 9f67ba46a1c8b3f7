import { z } from 'zod';
import { defineJob, jobId, KEEP } from '../src/queue/define.js';

/** Freeze the audience, render each topic set once, fan out send batches under a finish job. */
export const dispatchEdition = defineJob({
  name: 'dispatch-edition',
  queue: 'editions',
  payload: z.object({ editionId: z.string().min(1) }),
  options: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, ...KEEP },
  jobId: (p) => jobId('dispatch', p.editionId),
  handle: (p, { services }) => services.dispatcher.dispatch(p.editionId),
});
