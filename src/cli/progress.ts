import cliProgress from 'cli-progress';
import type { EditionStatus } from '../editions/store.js';

/** Readers of the audience in a final state. */
function done(s: EditionStatus, startSkipped: number): number {
  return s.dispatched + s.failed + s.bounced + s.cancelled + Math.max(0, s.skipped - startSkipped);
}

/**
 * Edition progress for people: a bar on a terminal, a plain line every 10 s in a log.
 * `skippedBefore` are readers skipped before sending (nothing new for them), not in the audience.
 */
export function editionProgress(stream: NodeJS.WriteStream = process.stderr) {
  let bar: cliProgress.SingleBar | null = null;
  let lastLine = 0;
  let baseSkipped: number | null = null;
  return {
    update(s: EditionStatus) {
      baseSkipped ??= s.state === 'dispatching' && s.dispatched === 0 ? s.skipped : 0;
      const value = Math.min(done(s, baseSkipped), s.audience);
      if (stream.isTTY) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { stream, format: 'sending [{bar}] {value}/{total} readers | {state}', hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(s.audience, value, { state: s.state });
        }
        bar.update(value, { state: s.state });
      } else if (Date.now() - lastLine >= LOG_PROGRESS_MS) {
        lastLine = Date.now();
        stream.write(`sending: ${value}/${s.audience} readers (${s.state})\n`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

/** How often a log (not a terminal) gets a progress line. */
export const LOG_PROGRESS_MS = 10_000;

/**
 * A running count for people ("sample: 120 documents"): a cli-progress line on a terminal,
 * redrawn in place; in a log, a plain line every {@link LOG_PROGRESS_MS} (never `\r`).
 */
export function countProgress(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr) {
  let bar: cliProgress.SingleBar | null = null;
  let lastLine = Date.now();
  return {
    update(value: number) {
      if (stream.isTTY) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { stream, format: `${label}: {value} ${unit}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(0, value);
        }
        bar.update(value);
      } else if (Date.now() - lastLine >= LOG_PROGRESS_MS) {
        lastLine = Date.now();
        stream.write(`${label}: ${value} ${unit} so far\n`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

/** One line of an edition's counts. */
export function describeStatus(id: string, s: EditionStatus): string {
  const counts =
    `${s.dispatched} dispatched, ${s.skipped} skipped, ${s.bounced} bounced, ${s.failed} failed` +
    (s.cancelled ? `, ${s.cancelled} cancelled` : '');
  // A pause asked for while batches run: they stop between readers, then the edition is paused.
  const pausing = s.state === 'dispatching' && s.pausedReason !== undefined;
  const tail = pausing
    ? `; pausing (${s.pausedReason}): the batches stop between readers, then \`gazette editions resume ${id}\` continues it`
    : s.state === 'incomplete'
      ? `; ${s.pending} reader(s) not sent: run \`gazette editions resume ${id}\``
      : s.state === 'paused'
        ? `; paused${s.pausedReason ? ` (${s.pausedReason})` : ''}: fix the cause, then \`gazette editions resume ${id}\``
        : '';
  return [
    `${id}: ${pausing ? 'pausing' : s.state}, ${s.audience} readers: ${counts}${tail}`,
    ...renderProblemLines(s),
  ].join('\n');
}

/** Lines naming what the render of an edition left out: dropped briefings, failed topic sets. */
export function renderProblemLines(s: Pick<EditionStatus, 'dropped' | 'renderErrors'>, indent = '  '): string[] {
  return [
    ...(s.dropped ?? []).map((d) => `${indent}dropped briefing ${d.id} ("${d.title}"): ${d.reason}`),
    ...(s.renderErrors ?? []).map(
      (e) => `${indent}topic set ${e.topics} not rendered, its readers got nothing: ${e.reason}`,
    ),
  ];
}
