#!/usr/bin/env node
import { Command, Option } from '@commander-js/extra-typings';
import { boot, reportFailure, UsageError } from './boot.js';
import { demo } from './demo.js';
import { writePreview } from './preview.js';
import { readersCommand } from './readers.js';
import { runEdition } from './run-edition.js';
import { serve } from './serve.js';
import { retryQuarantined, showQuarantine, showStatus } from './status.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Run a command with a booted container, closing it afterwards; errors become one readable line. */
function withServices<A extends unknown[]>(fn: (c: Awaited<ReturnType<typeof boot>>, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    const container = await boot();
    try {
      await fn(container, ...args);
    } finally {
      await container.close();
    }
  };
}

const program = new Command()
  .name('gazette')
  .description('Newsletter digest worker: collect briefings, group them by topic, send each reader a digest.')
  .showHelpAfterError();

program
  .command('start', { isDefault: true })
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
  .description("plan a list's edition for the latest scheduled slot now, send it, and wait until it is dispatched")
  .requiredOption('--list <id>', 'list id')
  .option('--at <iso-time>', 'plan the slot at this time instead of now')
  .action(
    withServices(async (c, opts: { list: string; at?: string }) => {
      const at = opts.at ? new Date(opts.at) : new Date();
      if (Number.isNaN(at.getTime())) throw new UsageError(`--at: not a date: ${opts.at}`);
      c.startWorkers();
      const run = await runEdition(c.services, opts.list, at, (step) => process.stderr.write(`… ${step}\n`));
      out(run.status === 'skipped' ? `nothing sent: ${run.reason}` : `${run.editionId}: ${JSON.stringify(run.result)}`);
    }),
  );

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
  .action(async () => demo());

program.parseAsync().catch((err: unknown) => {
  process.exitCode = reportFailure(err);
});
