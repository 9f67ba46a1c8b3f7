import { nextSlot } from '../editions/schedule.js';
import type { EditionState, EditionStatus } from '../editions/store.js';
import { QUEUES, type QueueName } from '../queue/define.js';
import type { Services } from '../services.js';
import { countByStatus, type StatusCounts } from '../subscriptions/manage.js';
import { renderProblemLines } from './progress.js';

const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'completed', 'failed'] as const;

export type QueueCounts = Record<(typeof JOB_STATES)[number], number>;

/** One edition with its counts, and its slot in UTC and in the list's zone. */
export interface EditionSummary extends EditionStatus {
  id: string;
  listId: string;
  slot: string;
  slotLocal: string;
}

export interface ListReport {
  id: string;
  name: string;
  timeZone: string;
  /** The newest edition, or null before the first. */
  last: EditionSummary | null;
  /** The next scheduled slot. */
  next: { slot: string; slotLocal: string };
  /** Up to five editions, newest first. */
  recent: EditionSummary[];
  readers: StatusCounts;
}

export interface FailedJob {
  queue: QueueName;
  id: string;
  name: string;
  reason: string;
  attempts: number;
  at: string | null;
}

/** Everything `gazette status` shows; `--json` prints it as is. */
export interface StatusReport {
  at: string;
  queues: Record<QueueName, QueueCounts & { isPaused: boolean }>;
  lists: ListReport[];
  /** Paused or incomplete editions among the recent ones: a person must act. */
  attention: EditionSummary[];
  failedJobs: FailedJob[];
  briefings: number;
  quarantine: number;
  suppressed: number;
}

const NEEDS_A_PERSON: ReadonlySet<EditionState> = new Set(['paused', 'incomplete']);

/** `2026-11-24 10:00 Asia/Seoul`: a time as the list's readers read the clock. */
export function localTime(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${timeZone}`;
}

/** The slot an edition id carries (`korea-daily-20261124T010000Z`). */
function slotOf(id: string): Date | null {
  const m = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(id);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : null;
}

/** Read the queues, lists, editions, readers, quarantine and suppression list at `now`. */
export async function statusReport(s: Services, now = new Date()): Promise<StatusReport> {
  const queues = {} as StatusReport['queues'];
  const failedJobs: FailedJob[] = [];
  for (const name of QUEUES) {
    const queue = s.producer.queue(name);
    const counts = (await queue.getJobCounts(...JOB_STATES)) as QueueCounts;
    queues[name] = { ...counts, isPaused: await queue.isPaused() };
    for (const job of await queue.getFailed(0, 9)) {
      failedJobs.push({
        queue: name,
        id: job.id ?? '',
        name: job.name,
        reason: job.failedReason ?? '',
        attempts: job.attemptsMade,
        at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      });
    }
  }
  const lists: ListReport[] = [];
  for (const list of s.publication.lists) {
    const recent: EditionSummary[] = [];
    for (const id of await s.editions.recent(list.id, 5)) {
      const status = await s.editions.status(id);
      const slot = slotOf(id) ?? new Date((await s.editions.get(id))?.cutoff ?? 0);
      if (status)
        recent.push({
          id,
          listId: list.id,
          slot: slot.toISOString(),
          slotLocal: localTime(slot, list.schedule.tz),
          ...status,
        });
    }
    const next = nextSlot(list.schedule, now);
    lists.push({
      id: list.id,
      name: list.name,
      timeZone: list.schedule.tz,
      last: recent[0] ?? null,
      next: { slot: next.toISOString(), slotLocal: localTime(next, list.schedule.tz) },
      recent,
      readers: await countByStatus(s.readers, list),
    });
  }
  return {
    at: now.toISOString(),
    queues,
    lists,
    attention: lists.flatMap((l) => l.recent.filter((e) => NEEDS_A_PERSON.has(e.state))),
    failedJobs,
    briefings: await s.briefings.count(),
    quarantine: await s.quarantine.size(),
    suppressed: await s.suppression.size(),
  };
}

/** A table's rows padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

const editionCounts = (e: EditionSummary) =>
  `${e.audience} readers: ${e.dispatched} dispatched, ${e.skipped} skipped, ${e.bounced} bounced, ${e.failed} failed` +
  (e.cancelled ? `, ${e.cancelled} cancelled` : '') +
  (e.pending ? `, ${e.pending} pending` : '');

/** The report for people: tables and short lines (pure). */
export function formatStatus(r: StatusReport): string[] {
  const lines: string[] = ['Queues'];
  lines.push(
    ...table([
      ['  queue', 'waiting', 'active', 'delayed', 'children', 'completed', 'failed', ''],
      ...QUEUES.map((q) => {
        const c = r.queues[q];
        return [
          `  ${q}`,
          ...[c.waiting + c.prioritized, c.active, c.delayed, c['waiting-children'], c.completed, c.failed].map(String),
          c.isPaused ? 'PAUSED' : '',
        ];
      }),
    ]),
  );
  for (const list of r.lists) {
    const c = list.readers;
    lines.push(
      '',
      `List ${list.id} (${list.name})`,
      `  readers: ${c.total} (${c.confirmed} confirmed, ${c.pending} pending, ${c.unsubscribed} unsubscribed, ${c.bounced} bounced)`,
      `  last:    ${list.last ? `${list.last.id} at ${list.last.slotLocal}: ${list.last.state}, ${editionCounts(list.last)}` : 'no editions yet'}`,
      `  next:    ${list.next.slotLocal} (${list.next.slot})`,
    );
    for (const e of list.recent) {
      const problems = renderProblemLines(e, '    ');
      if (problems.length) lines.push(`  ${e.id} render problems:`, ...problems);
    }
    if (list.recent.length > 1)
      lines.push('  recent:', ...table(list.recent.map((e) => [`    ${e.id}`, e.state, editionCounts(e)])));
  }
  lines.push('');
  if (r.attention.length) {
    lines.push('Editions waiting for a person:');
    for (const e of r.attention)
      lines.push(
        `  ${e.id}: ${e.state}${e.pausedReason ? ` (${e.pausedReason})` : ''}, ${e.pending} pending: gazette editions resume ${e.id}`,
      );
  } else lines.push('Editions waiting for a person: none');
  if (r.failedJobs.length) {
    lines.push('Failed jobs (newest first, up to 10 a queue):');
    for (const j of r.failedJobs)
      lines.push(
        `  ${j.queue} ${j.name} ${j.id} after ${j.attempts} attempt(s)${j.at ? ` at ${j.at}` : ''}: ${j.reason}`,
      );
  } else lines.push('Failed jobs: none');
  lines.push(
    `Briefings: ${r.briefings}; quarantine: ${r.quarantine} documents; suppression list: ${r.suppressed} addresses`,
  );
  return lines;
}
