#!/usr/bin/env node
import { Command } from '@commander-js/extra-typings';
import { boot, UsageError } from './boot.js';
import { demo } from './demo.js';
import { editionsCommand } from './editions.js';
import { configureCommands, debugFlag, out, outJson, packageVersion, reportFailure, withServices } from './kit.js';
import { pipelineCommands } from './pipeline.js';
import { readersCommand } from './readers.js';
import { serve } from './serve.js';
import { retryQuarantined, showQuarantine } from './status.js';
import { formatStatus, statusReport } from './status-report.js';

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
  .description(
    'serve the HTTP app (reader pages, web archive, admin API) on PORT and apply the schedules of lists and sources (no workers)',
  )
  .action(async () => serve(await boot(), { schedulers: true, workers: false, http: true }));

program
  .command('worker')
  .description('run the workers for all queues (no schedules); start as many as you like, on any machine')
  .action(async () => serve(await boot(), { schedulers: false, workers: true, http: false }));

pipelineCommands(program);
editionsCommand(program);

program
  .command('status')
  .description(
    "queues by state; each list's last and next edition (in the list's time zone) and readers by status; failed jobs, editions waiting for a person, quarantine and suppression list sizes",
  )
  .option('--json', 'as JSON')
  .action(
    withServices(async ({ services }, opts: { json?: boolean }) => {
      const report = await statusReport(services);
      if (opts.json) outJson(report);
      else for (const line of formatStatus(report)) out(line);
    }),
  );

const quarantine = program
  .command('quarantine')
  .description('documents that could not be read, with their reasons; retry them after a fix');

quarantine
  .command('list', { isDefault: true })
  .description('list quarantined documents, newest first')
  .option('--limit <n>', 'how many', '50')
  .option('--json', 'as JSON')
  .action(
    withServices(async ({ services }, opts: { limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit: not a positive whole number: ${opts.limit}`);
      await showQuarantine(services, limit, opts.json ? null : out);
    }),
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
