#!/usr/bin/env node
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { EditionStateError } from '../delivery/dispatcher.js';
import type { EditionStatus } from '../editions/store.js';
import type { Services } from '../services.js';
import { boot, UsageError } from './boot.js';
import { demo } from './demo.js';
import { configureCommands, debugFlag, out, packageVersion, reportFailure, withServices } from './kit.js';
import { writePreview } from './preview.js';
import { describeStatus, editionProgress } from './progress.js';
import { readersCommand } from './readers.js';
import { followEdition, runEdition } from './run-edition.js';
import { serve } from './serve.js';
import { retryQuarantined, showQuarantine, showStatus } from './status.js';
import { sendTestCopy } from './test-copy.js';

const program = new Command()
  .name('gazette')
  .description('Newsletter digest worker: collect briefings, group them by topic, send each reader a digest.')
  .version(packageVersion(), '-v, --version', 'print the version')
  .option('--debug', 'print the stack of an unexpected error, and debug log lines')
  .helpOption('-h, --help', 'show help')
  .addHelpText(
    'after',
    '\nRun `gazette COMMAND --help` for its options. Exit codes: 0 done, 1 failed (Redis down, sending failed), 2 usage error.',
  );

program
  .command('start')
  .description('serve the HTTP app, run the workers for all queues and apply the schedules of lists and sources')
  .action(async () => serve(await boot(), { schedulers: true, workers: true, http: true }));

program
  .command('api')
  .description('serve the HTTP app only (reader pages, web archive, admin API) on PORT')
  .action(async () => serve(await boot(), { schedulers: false, workers: false, http: true }));

program
  .command('worker')
  .description('run the workers for all queues (no schedules); start as many as you like, on any machine')
  .action(async () => serve(await boot(), { schedulers: false, workers: true, http: false }));

program
  .command('collect')
  .description('collect briefings from the configured sources now')
  .option('--source <id>', 'only this source')
  .action(
    withServices(async ({ services: s }, opts: { source?: string }) => {
      const sources = s.publication.sources.filter((src) => !opts.source || src.id === opts.source);
      if (opts.source && sources.length === 0) throw new UsageError(`unknown source "${opts.source}"`);
      for (const source of sources) {
        const r = await s.collector.collect(source, (p) =>
          process.stderr.write(`\r${source.id}: ${p.new + p.updated + p.unchanged + p.quarantined} documents…`),
        );
        process.stderr.write('\n');
        out(`${source.id}: ${r.new} new, ${r.updated} updated, ${r.unchanged} unchanged, ${r.quarantined} quarantined`);
      }
    }),
  );

program
  .command('import')
  .description('import WordPress post JSON from a file or directory (one object, an array, or one per file)')
  .argument('<path>', 'file or directory')
  .option('--source <id>', 'source id to record on the briefings', 'import')
  .action(
    withServices(async ({ services: s }, target: string, opts: { source: string }) => {
      await readable(target);
      const r = await s.collector.collectFiles(opts.source, target, (p) =>
        process.stderr.write(`\r${p.new + p.updated + p.unchanged + p.quarantined} documents…`),
      );
      process.stderr.write('\n');
      out(`${r.new} new, ${r.updated} updated, ${r.unchanged} unchanged, ${r.quarantined} quarantined`);
      if (r.quarantined) out('See them with: gazette quarantine');
    }),
  );

program
  .command('send')
  .description("plan a list's edition for the latest scheduled slot now, send it, and follow it until it is sent")
  .requiredOption('--list <id>', 'list id')
  .option('--at <iso-time>', 'plan the slot at this time instead of now')
  .option('--resume', "re-drive the list's latest paused or incomplete edition instead (only its readers not yet sent)")
  .option(
    '--to <address>',
    'send only a test copy of the edition that would go out now to this address ("[Test]" in the subject; no ledger, no audience, links that change no reader)',
  )
  .action(
    withServices(async (c, opts: { list: string; at?: string; resume?: boolean; to?: string }) => {
      const at = opts.at ? new Date(opts.at) : new Date();
      if (Number.isNaN(at.getTime())) throw new UsageError(`--at: not a date: ${opts.at}`);
      const s = c.services;
      if (!s.publication.lists.some((l) => l.id === opts.list))
        throw new UsageError(
          `--list: unknown list "${opts.list}" (known: ${s.publication.lists.map((l) => l.id).join(', ')})`,
        );
      if (opts.to !== undefined) {
        if (opts.resume) throw new UsageError('--to sends a test copy: it cannot be combined with --resume');
        const copy = await sendTestCopy(s, { listId: opts.list, to: opts.to, at });
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
            // A skipped edition exits 0 (nothing failed) but must not pass for a sent one.
            process.stderr.write(`warning: edition skipped, nothing sent: ${run.reason}\n`);
            return;
          }
          editionId = run.editionId;
          result = run.result;
        }
        progress.stop();
        if (leave.signal.aborted) {
          out(
            `left ${editionId} running: any \`gazette start\` or \`gazette worker\` sends the rest (start one if none runs); follow it with: gazette editions show ${editionId}`,
          );
          return;
        }
        out(describeStatus(editionId, result));
        if (result.state !== 'dispatched') process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSigint);
      }
    }),
  );

const editions = program.command('editions').description("follow, pause, resume or cancel a list's editions");

editions
  .command('show')
  .description("an edition's state and counts")
  .argument('<id>', 'edition id')
  .option('--json', 'as JSON')
  .action(
    withServices(async ({ services: s }, id: string, opts: { json?: boolean }) => {
      const status = await s.editions.status(id);
      if (!status) throw new UsageError(`unknown edition "${id}" (see gazette status)`);
      out(opts.json ? JSON.stringify({ id, ...status }) : describeStatus(id, status));
    }),
  );

for (const [verb, what] of [
  ['pause', 'stop sending between readers within seconds; it stays paused across restarts'],
  ['resume', 'continue a paused or incomplete edition: only readers not yet sent are sent'],
  ['cancel', 'stop for good: readers not yet sent are recorded as cancelled'],
] as const) {
  editions
    .command(verb)
    .description(what)
    .argument('<id>', 'edition id')
    .action(
      withServices(async (c, id: string) => {
        const d = c.services.dispatcher;
        if (!(await c.services.editions.status(id)))
          throw new UsageError(`unknown edition "${id}" (see gazette status)`);
        try {
          if (verb === 'pause') await d.pause(id);
          else if (verb === 'cancel') await d.cancel(id);
          else await d.resume(id);
        } catch (err) {
          if (err instanceof EditionStateError) throw new UsageError(err.message);
          throw err;
        }
        const status = await c.services.editions.status(id);
        out(status ? describeStatus(id, status) : id);
        if (verb === 'resume') out(`the workers send it now; follow it with: gazette editions show ${id}`);
      }),
    );
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

/** The list's newest edition that is paused or incomplete. */
async function resumableEdition(s: Services, listId: string): Promise<string> {
  for (const id of await s.editions.recent(listId, 20)) {
    const st = await s.editions.status(id);
    if (st && (st.state === 'paused' || st.state === 'incomplete' || (await s.editions.control(id)) === 'paused'))
      return id;
  }
  throw new UsageError(`--resume: list "${listId}" has no paused or incomplete edition`);
}

program
  .command('preview')
  .description("write a list's current edition to an HTML file (and a .txt beside it)")
  .requiredOption('--list <id>', 'list id')
  .option('--reader <email>', 'as this reader gets it (their topics and links)')
  .option('--edition <id>', 'a planned edition (default: the current one, or a draft)')
  .addOption(new Option('--out <file>', 'output file').default('preview.html'))
  .action(
    withServices(async ({ services: s }, opts: { list: string; reader?: string; edition?: string; out: string }) => {
      const r = await writePreview(s, {
        listId: opts.list,
        out: opts.out,
        ...(opts.reader ? { reader: opts.reader } : {}),
        ...(opts.edition ? { editionId: opts.edition } : {}),
      });
      out(r ? `${r.subject}\n${r.file}` : 'nothing new for this list since its last edition');
    }),
  );

program
  .command('status')
  .description('queue counts, recent editions per list, quarantine size')
  .action(withServices(async ({ services }) => showStatus(services, out)));

const quarantine = program
  .command('quarantine')
  .description('documents that could not be read, with their reasons; retry them after a fix');

quarantine
  .command('list', { isDefault: true })
  .description('list quarantined documents, newest first')
  .option('--limit <n>', 'how many', '50')
  .action(
    withServices(async ({ services }, opts: { limit: string }) => showQuarantine(services, Number(opts.limit), out)),
  );

quarantine
  .command('retry')
  .description('read quarantined documents again (by id, or all of them); those still unreadable stay')
  .argument('[ids...]', 'quarantine ids (see `gazette quarantine list`)')
  .option('--all', 'every quarantined document')
  .action(
    withServices(async ({ services }, ids: string[], opts: { all?: boolean }) => {
      if (!opts.all && ids.length === 0) throw new UsageError('give quarantine ids, or --all');
      const report = await retryQuarantined(services, opts.all ? 'all' : ids);
      out(report);
    }),
  );

program.addCommand(readersCommand(withServices));

program
  .command('demo')
  .description('run the whole pipeline on the bundled sample briefings and leave the emails in ./outbox')
  .option('--serve', 'then keep serving the HTTP app (reader pages, archive) so the links open; Ctrl-C stops')
  .action(async (opts: { serve?: boolean }) => demo(undefined, opts));

configureCommands(program);

if (process.argv.length <= 2) {
  // Bare `gazette`: what it can do, not a server started by surprise.
  program.outputHelp();
} else {
  program.parseAsync().catch((err: unknown) => {
    process.exitCode = reportFailure(err, debugFlag() || /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? ''));
  });
}
