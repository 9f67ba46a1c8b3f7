import { z } from 'zod';
import type { PlanOutcome } from '../src/editions/planner.js';
import { defineJob, jobId, KEEP } from '../src/queue/define.js';
import type { Services } from '../src/services.js';
import { dispatchEdition } from './dispatch-edition.js';

/** Plan the list's edition for the latest slot at `at` and queue its dispatch (once: ids are deterministic). */
export async function planAndDispatch(services: Services, listId: string, at: Date): Promise<PlanOutcome> {
  const outcome = await services.planner.plan(listId, at);
  if (outcome.status !== 'skipped') await services.producer.add(dispatchEdition, { editionId: outcome.edition.id });
  return outcome;
}

/**
 * Plan a list's edition for the latest slot at `at` (default: when the job was due, which for a
 * scheduled job is its slot) and hand it to dispatch. Planning a slot twice plans it once.
 */
export const planEdition = defineJob({
  name: 'plan-edition',
  queue: 'editions',
  payload: z.object({ listId: z.string().min(1), at: z.iso.datetime().optional() }),
  options: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, ...KEEP },
  jobId: (p) => jobId('plan', p.listId, p.at ?? 'scheduled'),
  handle: async (p, { services, log, job }) => {
    // A scheduled job plans its own slot (when it was due), whatever this worker's clock says.
    const outcome = await planAndDispatch(services, p.listId, p.at ? new Date(p.at) : job.dueAt);
    if (outcome.status === 'skipped') {
      log.info(
        { event: 'edition.skipped', listId: p.listId, editionId: outcome.editionId, reason: outcome.reason },
        'nothing to plan',
      );
      return outcome;
    }
    log.info({ event: `edition.${outcome.status}`, editionId: outcome.edition.id }, 'edition planned');
    return { status: outcome.status, editionId: outcome.edition.id };
  },
});
