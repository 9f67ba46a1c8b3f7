import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { Command } from '@commander-js/extra-typings';
import { findList, type List } from '../publication.js';
import type { Services } from '../services.js';
import { exportReaders, type ImportReport, importReaders } from '../subscriptions/csv.js';
import { FieldError } from '../subscriptions/errors.js';
import { countByStatus, readerDetail, removeReader } from '../subscriptions/manage.js';
import { InvalidReaderError, normalizeEmail } from '../subscriptions/readers.js';
import { TokenError } from '../subscriptions/tokens.js';
import { UsageError } from './boot.js';
import { out, outJson, type WithServices } from './kit.js';
import { countProgress } from './progress.js';

function listOf(s: Services, id: string): List {
  const list = findList(s.publication, id);
  if (!list) throw new UsageError(`unknown list "${id}" (known: ${s.publication.lists.map((l) => l.id).join(', ')})`);
  return list;
}

function address(raw: string): string {
  try {
    return normalizeEmail(raw);
  } catch (err) {
    if (err instanceof InvalidReaderError) throw new UsageError(`not a valid email address: ${raw}`);
    throw err;
  }
}

async function readerId(s: Services, email: string): Promise<string> {
  const reader = await s.readers.findByEmail(address(email));
  if (!reader) throw new UsageError(`no reader with address ${email}`);
  return reader.id;
}

function topicsOption(s: Services, list: List, raw: string | undefined): string[] {
  const topics = (raw ?? '')
    .split(/[;|,]/)
    .map((t) => t.trim())
    .filter(Boolean);
  try {
    return s.subscriptions.checkTopics(list, topics);
  } catch (err) {
    if (err instanceof FieldError) throw new UsageError(`--topics: ${err.message.replace(/^topics: /, '')}`);
    throw err;
  }
}

function summary(r: ImportReport): string {
  return `${r.rows} rows: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.suppressed} suppressed, ${r.left} left the list earlier, ${r.bad.length} bad`;
}

/** `gazette readers …`: the list manager's reader tools (the same operations as the admin API). */
export function readersCommand(withServices: WithServices) {
  const readers = new Command('readers').description('add, list, show, remove, unsubscribe, import and export readers');

  readers
    .command('add')
    .description('add a reader to a list (confirmed unless --pending)')
    .argument('<email>')
    .requiredOption('--list <id>', 'list id')
    .option('--name <name>', 'display name')
    .option('--topics <slugs>', 'topics, separated by ; | or , (default: all)')
    .option('--pending', 'add as pending (receives nothing until confirmed)')
    .option('--consent-note <text>', 'recorded with the consent entry')
    .action(
      withServices(async ({ services: s }, email: string, o) => {
        const list = listOf(s, o.list);
        const clean = address(email);
        const topics = topicsOption(s, list, o.topics);
        if ((await s.suppression.suppressed([clean])).size) throw new UsageError(`${email} is on the suppression list`);
        const reader = await s.readers.upsert(clean, o.name);
        const sub = await s.readers.setSubscription(list.id, reader.id, {
          status: o.pending ? 'pending' : 'confirmed',
          topics,
          consent: { source: 'cli', ...(o.consentNote ? { note: o.consentNote } : {}) },
        });
        out(`${reader.id} ${clean}: ${sub.status} on ${list.id} (${sub.topics.join(', ') || 'all topics'})`);
      }),
    );

  readers
    .command('list')
    .description("a list's readers, in join order, with counts by status")
    .requiredOption('--list <id>', 'list id')
    .option('--status <status>', 'only readers with this status')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'as JSON: {readers: [...], counts: {...}}')
    .action(
      withServices(async ({ services: s }, o) => {
        const list = listOf(s, o.list);
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError(`--limit: not a positive whole number: ${o.limit}`);
        const statuses = ['pending', 'confirmed', 'unsubscribed', 'bounced'];
        if (o.status && !statuses.includes(o.status))
          throw new UsageError(`--status: unknown status "${o.status}" (known: ${statuses.join(', ')})`);
        const rows: Array<{ email: string; name: string; status: string; topics: string[] }> = [];
        let shown = 0;
        const total = await s.readers.memberCount(list.id);
        for (let offset = 0; offset < total && shown < limit; offset += 1000) {
          for (const { reader, subscription } of await s.readers.loadMany(
            list.id,
            await s.readers.members(list.id, offset, 1000),
          )) {
            if (o.status && subscription.status !== o.status) continue;
            if (shown++ >= limit) break;
            if (o.json)
              rows.push({
                email: reader.email,
                name: reader.name,
                status: subscription.status,
                topics: subscription.topics,
              });
            else
              out(`${reader.email}\t${subscription.status}\t${subscription.topics.join(';') || 'all'}\t${reader.name}`);
          }
        }
        const c = await countByStatus(s.readers, list);
        if (o.json) return outJson({ list: list.id, readers: rows, counts: c });
        out(
          `${c.total} readers: ${c.confirmed} confirmed, ${c.pending} pending, ${c.unsubscribed} unsubscribed, ${c.bounced} bounced`,
        );
      }),
    );

  readers
    .command('show')
    .description("everything held about a reader, as JSON (the reader's data export)")
    .argument('<email>')
    .action(
      withServices(async ({ services: s }, email: string) => {
        const detail = await readerDetail(s.readers, s.publication, await readerId(s, email));
        out(JSON.stringify(detail, null, 2));
      }),
    );

  readers
    .command('remove')
    .description('remove a reader; with --erase, keep only a hashed suppression entry so nothing is ever sent again')
    .argument('<email>')
    .option('--erase', 'erase: suppress the address (hashed) so imports and subscribes skip it')
    .action(
      withServices(async ({ services: s }, email: string, o) => {
        await removeReader(s.readers, s.suppression, s.publication, await readerId(s, email), Boolean(o.erase));
        out(o.erase ? 'erased; the address is suppressed (hashed)' : 'removed');
      }),
    );

  readers
    .command('unsubscribe')
    .description('unsubscribe by address (from --list, or from every list) or by the token of a mailto: unsubscribe')
    .argument('<email-or-token>')
    .option('--list <id>', 'only this list (with an address)')
    .action(
      withServices(async ({ services: s }, target: string, o) => {
        if (!target.includes('@')) {
          try {
            const { list, testCopy } = await s.subscriptions.unsubscribe(
              target.trim().replace(/^unsubscribe\s+/i, ''),
              {
                source: 'mailto',
              },
            );
            out(testCopy ? `a test copy's token for ${list.id}: nobody unsubscribed` : `unsubscribed from ${list.id}`);
            return;
          } catch (err) {
            if (err instanceof TokenError)
              throw new UsageError(`not an address, nor a valid unsubscribe token (${err.reason})`);
            throw err;
          }
        }
        const id = await readerId(s, target);
        const lists = o.list ? [listOf(s, o.list)] : s.publication.lists;
        for (const list of lists) {
          const sub = await s.readers.subscription(list.id, id);
          if (!sub || sub.status === 'unsubscribed') continue;
          await s.readers.setSubscription(list.id, id, { status: 'unsubscribed', consent: { source: 'cli' } });
          out(`unsubscribed from ${list.id}`);
        }
      }),
    );

  readers
    .command('import')
    .description('import readers from CSV (columns email,name,topics; topics separated by ; or |)')
    .argument('<file>')
    .requiredOption('--list <id>', 'list id')
    .option('--confirmed', 'the readers consented elsewhere: import as confirmed (else pending)')
    .option('--consent-note <text>', 'recorded with every consent entry')
    .option('--json', 'print the report as JSON (bad rows by line)')
    .action(
      withServices(async ({ services: s }, file: string, o) => {
        const list = listOf(s, o.list);
        const input = createReadStream(file);
        const opened = new Promise<void>((resolve, reject) =>
          input.once('open', () => resolve()).once('error', reject),
        );
        await opened.catch((err: NodeJS.ErrnoException) => {
          throw new UsageError(`cannot read ${file}: ${err.code ?? err.message}`);
        });
        const progress = countProgress(file, 'rows');
        const report = await importReaders(input, s.readers, s.suppression, {
          list,
          confirmed: Boolean(o.confirmed),
          ...(o.consentNote ? { note: o.consentNote } : {}),
          onProgress: (p) => progress.update(p.rows),
        }).finally(progress.stop);
        const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
        if (o.json) return outJson({ list: list.id, ...report, peakMemoryMb: peakMb });
        for (const b of report.bad) out(`line ${b.line}: ${b.reason}`);
        out(summary(report));
        out(`peak memory ${peakMb} MB`);
      }),
    );

  readers
    .command('export')
    .description("a list's readers as CSV (email,name,status,topics,updated_at)")
    .requiredOption('--list <id>', 'list id')
    .option('--out <file>', 'write here instead of standard output')
    .action(
      withServices(async ({ services: s }, o) => {
        const list = listOf(s, o.list);
        const target = o.out ? createWriteStream(o.out) : process.stdout;
        const count = await exportReaders(s.readers, list, target);
        if (o.out) {
          target.end();
          await finished(target);
          process.stderr.write(`${count} readers written to ${o.out}\n`);
        }
      }),
    );
  return readers;
}
