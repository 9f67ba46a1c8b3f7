import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Command } from '@commander-js/extra-typings';
import type { CollectReport } from '../briefings/collect.js';
import type { EditionStatus } from '../editions/store.js';
import type { Services } from '../services.js';
import { UsageError } from './boot.js';
import { out, outJson, withServices } from './kit.js';
import { writePreview } from './preview.js';
import { countProgress, describeStatus, editionProgress, renderProblemLines } from './progress.js';
import { followEdition, runEdition } from './run-edition.js';
import { sendTestCopy } from './test-copy.js';

const counts = (r: CollectReport) =>
  `${r.new} new, ${r.updated} updated, ${r.unchanged} unchanged, ${r.quarantined} quarantined`;
const seen = (p: CollectReport) => p.new + p.updated + p.unchanged + p.quarantined;

/** `--list ID` must name a list of the publication file. */
export function checkList(s: Services, id: string): void {
  if (!s.publication.lists.some((l) => l.id === id))
    throw new UsageError(`--list: unknown list "${id}" (known: ${s.publication.lists.map((l) => l.id).join(', ')})`);
}

/** A file or directory the user named must exist and be readable: else a usage error. */
async function readable(target: string): Promise<void> {
  try {
    await access(target, constants.R_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : 'not readable';
    throw new UsageError(`cannot import ${target}: ${why}; give a file or directory of WordPress post JSON`);
  }
}

/** `collect`, `import`, `send` and `preview`: the pipeline, run by hand. */
export function pipelineCommands(program: Command): void {
  program
    .command('collect')
    .description('collect briefings from the configured sources now')
    .option('--source <id>', 'only this source')
    .option('--json', 'print the counts as JSON')
    .action(
      withServices(async ({ services: s }, opts: { source?: string; json?: boolean }) => {
        const sources = s.publication.sources.filter((src) => !opts.source || src.id === opts.source);
        if (opts.source && sources.length === 0)
          throw new UsageError(
            `--source: unknown source "${opts.source}" (known: ${s.publication.sources.map((x) => x.id).join(', ') || 'none'})`,
          );
        const reports: CollectReport[] = [];
        for (const source of sources) {
          const progress = countProgress(source.id, 'documents');
          const r = await s.collector.collect(source, (p) => progress.update(seen(p))).finally(progress.stop);
          reports.push(r);
          if (!opts.json) out(`${source.id}: ${counts(r)}`);
        }
        if (opts.json) outJson(reports);
        else if (reports.some((r) => r.quarantined)) out('See them with: gazette quarantine');
      }),
    );

  program
    .command('import')
    .description('import WordPress post JSON from a file or directory (one object, an array, or one per file)')
    .argument('<path>', 'file or directory')
    .option('--source <id>', 'source id to record on the briefings', 'import')
    .option('--json', 'print the counts as JSON')
    .action(
      withServices(async ({ services: s }, target: string, opts: { source: string; json?: boolean }) => {
        await readable(target);
        const progress = countProgress(target, 'documents');
        const r = await s.collector
          .collectFiles(opts.source, target, (p) => progress.update(seen(p)))
          .finally(progress.stop);
        if (opts.json) return outJson(r);
        out(counts(r));
        if (r.quarantined) out('See them with: gazette quarantine');
      }),
    );

  program
    .command('send')
    .description("plan a list's edition for the latest scheduled slot now, send it, and follow it until it is sent")
    .requiredOption('--list <id>', 'list id')
    .option('--at <iso-time>', 'plan the slot at this time instead of now')
    .option(
      '--resume',
      "re-drive the list's latest paused or incomplete edition instead (only its readers not yet sent)",
    )
    .option(
      '--to <address>',
      'send only a test copy of the edition that would go out now to this address ("[Test]" in the subject; no ledger, no audience, links that change no reader)',
    )
    .option('--json', 'print the outcome as JSON')
    .action(
      withServices(async (c, opts: { list: string; at?: string; resume?: boolean; to?: string; json?: boolean }) => {
        const at = opts.at ? new Date(opts.at) : new Date();
        if (Number.isNaN(at.getTime()))
          throw new UsageError(`--at: not a date: ${opts.at} (give an ISO time, e.g. 2026-11-24T01:00:00Z)`);
        const s = c.services;
        checkList(s, opts.list);
        if (opts.to !== undefined) {
          if (opts.resume) throw new UsageError('--to sends a test copy: it cannot be combined with --resume');
          const copy = await sendTestCopy(s, { listId: opts.list, to: opts.to, at });
          if (opts.json)
            return outJson(
              copy
                ? { status: 'test-copy', editionId: copy.editionId, subject: copy.subject, messageId: copy.messageId }
                : { status: 'skipped', reason: 'nothing new for this list since its last edition' },
            );
          out(
            copy
              ? `test copy of ${copy.editionId} sent to ${opts.to.trim().toLowerCase()}: ${copy.subject}`
              : 'nothing sent: nothing new for this list since its last edition',
          );
          return;
        }
        c.startWorkers();
        const progress = editionProgress();
        const leave = new AbortController();
        const onSigint = () => leave.abort();
        process.once('SIGINT', onSigint);
        try {
          let editionId: string;
          let result: EditionStatus;
          if (opts.resume) {
            editionId = await resumableEdition(s, opts.list);
            const r = await s.dispatcher.resume(editionId);
            if (r.status === 'resumed') process.stderr.write(`resuming ${editionId}: ${r.pending} reader(s) to send\n`);
            result = await followEdition(s, editionId, progress.update, leave.signal);
          } else {
            const run = await runEdition(s, opts.list, at, progress.update, leave.signal);
            if (run.status === 'skipped') {
              progress.stop();
              if (opts.json) return outJson({ status: 'skipped', reason: run.reason });
              // A skipped edition exits 0 (nothing failed) but must not pass for a sent one.
              process.stderr.write(`warning: edition skipped, nothing sent: ${run.reason}\n`);
              return;
            }
            editionId = run.editionId;
            result = run.result;
          }
          progress.stop();
          if (leave.signal.aborted) {
            if (opts.json) return outJson({ status: 'running', editionId, ...result });
            out(
              `left ${editionId} running: any \`gazette start\` or \`gazette worker\` sends the rest (start one if none runs); follow it with: gazette editions show ${editionId}`,
            );
            return;
          }
          if (opts.json) outJson({ editionId, ...result, status: result.state });
          else out(describeStatus(editionId, result));
          if (result.state !== 'dispatched') process.exitCode = 1;
        } finally {
          process.off('SIGINT', onSigint);
        }
      }),
    );

  program
    .command('preview')
    .description(
      "write a list's current edition to an HTML file (and a .txt beside it), in the outbox (or the temp directory) unless --out",
    )
    .requiredOption('--list <id>', 'list id')
    .option('--reader <email>', 'as this reader gets it (their topics and links)')
    .option('--edition <id>', 'a planned edition (default: the current one, or a draft)')
    .option('--out <file>', 'output file (default: preview-EDITION.html in the outbox, or the temp directory)')
    .action(
      withServices(async ({ services: s }, opts: { list: string; reader?: string; edition?: string; out?: string }) => {
        const r = await writePreview(s, {
          listId: opts.list,
          ...(opts.out ? { out: opts.out } : {}),
          ...(opts.reader ? { reader: opts.reader } : {}),
          ...(opts.edition ? { editionId: opts.edition } : {}),
        });
        out(r ? `${r.subject}\n${r.file}` : 'nothing new for this list since its last edition: nothing to preview');
        // A briefing left out of the render is named (the preview itself still shows the rest).
        for (const line of renderProblemLines({ dropped: r?.dropped ?? [] }, ''))
          process.stderr.write(`warning: ${line}\n`);
      }),
    );
}

/** The list's newest edition that is paused or incomplete. */
async function resumableEdition(s: Services, listId: string): Promise<string> {
  for (const id of await s.editions.recent(listId, 20)) {
    const st = await s.editions.status(id);
    if (st && (st.state === 'paused' || st.state === 'incomplete' || (await s.editions.control(id)) === 'paused'))
      return id;
  }
  throw new UsageError(`--resume: list "${listId}" has no paused or incomplete edition`);
}
