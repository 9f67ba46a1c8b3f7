import type { Command } from '@commander-js/extra-typings';
import { EditionStateError } from '../delivery/dispatcher.js';
import { UsageError } from './boot.js';
import { out, withServices } from './kit.js';
import { describeStatus } from './progress.js';

/** `gazette editions show|pause|resume|cancel ID`. */
export function editionsCommand(program: Command): void {
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
}
