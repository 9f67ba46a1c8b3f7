import { QUEUES } from '../queue/define.js';
import type { Services } from '../services.js';

type Out = (line: string) => void;

/** Queues by state, the latest editions of each list with their counts, and the quarantine size. */
export async function showStatus(s: Services, out: Out): Promise<void> {
  out('Queues (waiting/active/delayed/completed/failed):');
  for (const name of QUEUES) {
    const c = await s.producer.queue(name).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    out(`  ${name.padEnd(9)} ${c.waiting}/${c.active}/${c.delayed}/${c.completed}/${c.failed}`);
  }
  for (const list of s.publication.lists) {
    const ids = await s.editions.recent(list.id, 5);
    out(`List ${list.id}: ${ids.length ? '' : 'no editions yet'}`);
    for (const id of ids) {
      const st = await s.editions.status(id);
      out(
        `  ${id}: ${st ? `${st.state}, ${st.dispatched} sent, ${st.skipped} skipped, ${st.failed} failed, ${st.bounced} bounced` : 'unknown'}`,
      );
    }
  }
  out(
    `Briefings: ${await s.briefings.count()} published; quarantine: ${(await s.quarantine.list(1000)).length} documents`,
  );
}

export async function showQuarantine(s: Services, limit: number, out: Out): Promise<void> {
  const docs = await s.quarantine.list(limit);
  if (docs.length === 0) {
    out('The quarantine is empty.');
    return;
  }
  for (const d of docs) out(`${d.at}  ${d.id}  ${d.source}  ${d.origin}\n  ${d.code}: ${d.reason}`);
}
