import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { defineJob, jobId, KEEP } from '../src/queue/define.js';

/** Collect one source now: new and updated briefings are stored, broken documents quarantined. */
export const collect = defineJob({
  name: 'collect',
  queue: 'collect',
  payload: z.object({ sourceId: z.string().min(1), requestedAt: z.string().optional() }),
  options: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, ...KEEP },
  jobId: (p) => jobId('collect', p.sourceId, p.requestedAt ?? 'now'),
  handle: async (p, { services }) => {
    const source = services.publication.sources.find((s) => s.id === p.sourceId);
    if (!source) throw new UnrecoverableError(`unknown source "${p.sourceId}"`);
    return services.collector.collect(source);
  },
});
