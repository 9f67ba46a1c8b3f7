import type { Publication } from '../publication.js';
import type { JobDefinition } from './define.js';
import type { Producer } from './producer.js';

/**
 * Upsert one job scheduler per list (its cron in its time zone) and per source with an
 * interval. Upserting is idempotent: a redeploy never doubles a schedule. Schedulers of lists
 * or sources no longer configured are removed.
 */
export async function applySchedulers(
  producer: Producer,
  publication: Publication,
  defs: { planEdition: JobDefinition; collect: JobDefinition },
): Promise<string[]> {
  const wanted = new Map<string, () => Promise<unknown>>();
  for (const list of publication.lists) {
    const id = `edition-${list.id}`;
    wanted.set(id, () =>
      producer
        .queue(defs.planEdition.queue)
        .upsertJobScheduler(
          id,
          { pattern: list.schedule.cron, tz: list.schedule.tz },
          { name: defs.planEdition.name, data: { listId: list.id }, opts: defs.planEdition.options },
        ),
    );
  }
  for (const source of publication.sources) {
    if (!source.everySeconds) continue;
    const id = `collect-${source.id}`;
    const every = source.everySeconds * 1000;
    wanted.set(id, () =>
      producer
        .queue(defs.collect.queue)
        .upsertJobScheduler(
          id,
          { every },
          { name: defs.collect.name, data: { sourceId: source.id }, opts: defs.collect.options },
        ),
    );
  }
  for (const queue of [defs.planEdition.queue, defs.collect.queue]) {
    for (const scheduler of await producer.queue(queue).getJobSchedulers()) {
      if (scheduler.key && !wanted.has(scheduler.key)) await producer.queue(queue).removeJobScheduler(scheduler.key);
    }
  }
  for (const upsert of wanted.values()) await upsert();
  return [...wanted.keys()];
}
