import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Container } from '../container.js';
import { LINK_TTL_SECONDS } from '../delivery/message.js';
import type { List } from '../publication.js';
import type { Services } from '../services.js';
import { type PrivateRedis, startPrivateRedis } from '../store/private-redis.js';
import { pingRedis } from '../store/redis.js';
import { boot, loadSettings, redactUrl, UsageError } from './boot.js';
import { writePreview } from './preview.js';
import { runEdition } from './run-edition.js';
import { serve } from './serve.js';

/** Sample readers with different topic choices (empty = all of the list's topics). */
export const SAMPLE_READERS = [
  { email: 'ada@example.com', name: 'Ada', topics: [] as string[] },
  { email: 'linus@example.com', name: 'Linus', topics: ['trade'] },
  { email: 'min-ji@example.com', name: 'Min-ji', topics: ['diplomacy'] },
  { email: 'grace@example.com', name: 'Grace', topics: ['north-korea'] },
];

const DEMO_DEFAULTS = {
  GAZETTE_ENV: 'development',
  REDIS_PREFIX: '{gazette-demo}',
  MAIL_TRANSPORT: 'outbox:outbox',
  // The demo says what it does; log lines only when serving (or when LOG_LEVEL says so).
  LOG_LEVEL: 'silent',
};

/** Why a ledger entry `skipped <time> <detail>` skipped a reader, for people. */
const SKIP_REASONS: Record<string, string> = {
  'no-news': 'nothing new in the topics they follow',
  suppressed: 'the address is on the suppression list',
  unsubscribed: 'unsubscribed',
};

/**
 * A private Redis starts empty, so the demo sends its edition again: first remove what an
 * earlier run left in the outbox for this list (edition folders, previews), and say so.
 * Only the demo's own files are touched, never anything else in the folder.
 */
async function clearEarlierRun(outbox: string, listId: string, say: Say): Promise<void> {
  const entries = await readdir(outbox, { withFileTypes: true }).catch(() => []);
  const ours = entries.filter(
    (e) =>
      (e.isDirectory() && /^[a-z0-9-]+-\d{8}T\d{6}Z$/.test(e.name) && e.name.startsWith(`${listId}-`)) ||
      (e.isFile() && e.name.startsWith(`preview-${listId}-`) && /\.(html|txt)$/.test(e.name)),
  );
  let emails = 0;
  for (const e of ours) {
    const where = path.join(outbox, e.name);
    if (e.isDirectory()) emails += (await readdir(where)).filter((f) => f.endsWith('.eml')).length;
    await rm(where, { recursive: true, force: true });
  }
  if (ours.length)
    say(
      `Outbox: removed ${emails} email(s) and the previews of an earlier demo run from ${outbox} (the private Redis starts empty, so the edition is sent again)`,
    );
}

type Say = (line: string) => void;

/** The Redis at REDIS_URL if it answers, else a private redis-server from PATH, else a clear error. */
async function demoRedis(url: string, say: Say): Promise<PrivateRedis | null> {
  try {
    await pingRedis(url);
    say(`Redis: using ${redactUrl(url)}`);
    return null;
  } catch {
    try {
      const own = await startPrivateRedis();
      say(
        `Redis: nothing answers at ${redactUrl(url)}; started a private redis-server at ${own.url} (stopped at the end)`,
      );
      return own;
    } catch (err) {
      throw new UsageError(
        `the demo needs Redis: nothing answers at ${redactUrl(url)} and ${(err as Error).message}. ` +
          'Set REDIS_URL to a running Redis, or install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).',
      );
    }
  }
}

/**
 * Where a sample reader's preferences page is, and how to get the app answering there: the
 * links in the outbox's emails open the same way.
 */
function sayPreferences(s: Services, list: List, readerId: string, privateRedis: boolean, say: Say): void {
  const sample = SAMPLE_READERS[0];
  const token = s.tokens.issue(readerId, list.id, 'preferences', LINK_TTL_SECONDS);
  say(`Preferences page of ${sample?.name} (${sample?.email}): ${s.config.publicUrl}/preferences/${token}`);
  say("  It opens while the HTTP app runs on this Redis (the emails' links too):");
  say('    npm run demo -- --serve    runs the demo, then keeps serving the reader pages (Ctrl-C stops)');
  if (!privateRedis)
    say(`    npm run gazette -- api    with the settings below, serves them on PORT (${s.config.port})`);
}

/**
 * The settings that point other commands at the demo's data, as one line to paste. Never a
 * secret: SECRET, when set, is already in the environment.
 */
export function demoEnvLine(s: Services): string {
  const transport = s.config.mail.transport;
  return [
    'export',
    `GAZETTE_ENV=${s.config.env}`,
    `REDIS_URL=${redactUrl(s.config.redisUrl)}`,
    `REDIS_PREFIX='${s.config.redisPrefix}'`,
    ...(transport.kind === 'outbox' ? [`MAIL_TRANSPORT='outbox:${path.resolve(transport.dir)}'`] : []),
    ...(s.config.publicationFile !== 'sample/gazette.json'
      ? [`GAZETTE_CONFIG='${path.resolve(s.config.publicationFile)}'`]
      : []),
  ].join(' ');
}

/**
 * The whole pipeline on the bundled sample briefings: collect, classify, sample readers,
 * plan, render, send through the queues to the outbox, and an HTML preview. Running it twice
 * sends nothing new: the edition is planned and sent once. `serve`: afterwards, serve the HTTP
 * app (reader pages, archive) until SIGINT/SIGTERM, so the printed and emailed links open
 * even on a private Redis.
 */
export async function demo(
  say: Say = (l) => process.stdout.write(`${l}\n`),
  opts: { serve?: boolean } = {},
): Promise<void> {
  const { config } = await loadSettings(DEMO_DEFAULTS);
  let own = await demoRedis(config.redisUrl, say);
  let container: Container | null = null;
  try {
    container = await boot(DEMO_DEFAULTS, {
      ...(own ? { REDIS_URL: own.url } : {}),
      ...(opts.serve ? { LOG_LEVEL: config.logLevel === 'silent' ? 'warn' : config.logLevel } : {}),
    });
    const s = container.services;
    const list = s.publication.lists[0];
    if (!list) throw new UsageError('the publication file declares no list');
    if (own && s.config.mail.transport.kind === 'outbox')
      await clearEarlierRun(path.resolve(s.config.mail.transport.dir), list.id, say);
    container.startWorkers();

    for (const source of s.publication.sources) {
      const r = await s.collector.collect(source);
      say(
        `Collected from ${source.id}: ${r.new} new, ${r.updated} updated, ${r.unchanged} unchanged, ${r.quarantined} quarantined`,
      );
    }
    const readerIds: string[] = [];
    for (const sample of SAMPLE_READERS) {
      const reader = await s.readers.upsert(sample.email, sample.name);
      readerIds.push(reader.id);
      const current = await s.readers.subscription(list.id, reader.id);
      if (current?.status !== 'confirmed') {
        await s.readers.setSubscription(list.id, reader.id, {
          status: 'confirmed',
          topics: sample.topics,
          consent: { source: 'demo' },
        });
      }
    }
    say(
      `Readers on ${list.id}: ${SAMPLE_READERS.map((r) => `${r.name} (${r.topics.join(', ') || 'all topics'})`).join('; ')}`,
    );

    const run = await runEdition(s, list.id, new Date());
    if (run.status === 'skipped') {
      say(`No edition to send: ${run.reason}.`);
      return;
    }
    const r = run.result;
    say(
      run.planned === 'existing'
        ? `Edition ${run.editionId} was already planned and sent before: nothing sent twice.`
        : `Edition ${run.editionId}: ${r.dispatched} sent, ${r.skipped} skipped (nothing new in their topics), ${r.failed + r.bounced} failed; ${r.renders} MJML renders for ${r.audience} readers.`,
    );
    const outbox =
      s.config.mail.transport.kind === 'outbox' ? path.resolve(s.config.mail.transport.dir) : path.resolve('outbox');
    const preview = await writePreview(s, {
      listId: list.id,
      editionId: run.editionId,
      out: path.join(outbox, `preview-${run.editionId}.html`),
    });
    say(
      s.config.mail.transport.kind === 'outbox'
        ? `Emails (.eml, one per reader): ${path.join(outbox, run.editionId)}${path.sep}`
        : `Emails sent to ${s.mailer.destination}`,
    );
    const entries = await s.ledger.entries(run.editionId, readerIds);
    SAMPLE_READERS.forEach((sample, i) => {
      const [state, , detail = ''] = (entries[i] ?? '').split(' ');
      if (state === 'skipped')
        say(
          `Skipped ${sample.name} (${sample.email}, follows ${sample.topics.join(', ') || 'all topics'}): ${SKIP_REASONS[detail] ?? detail}`,
        );
    });
    if (preview) say(`HTML preview of the whole edition: ${preview.file}`);
    if (readerIds[0]) sayPreferences(s, list, readerIds[0], own !== null, say);
    if (!own) {
      say("Other commands work on the demo's data with its settings; paste this line first:");
      say(`  ${demoEnvLine(s)}`);
      say('  then e.g.: npm run gazette -- status');
    }
    if (opts.serve) {
      const serving = container;
      container = null; // serve closes it at shutdown
      say(`Serving the reader pages and archive on port ${s.config.port} (${s.config.publicUrl}); Ctrl-C stops.`);
      const privateRedis = own;
      own = null; // stopped by serve's shutdown, before the process exits
      await serve(serving, { schedulers: false, workers: false, http: true }, async () => privateRedis?.stop());
    }
  } finally {
    await container?.close();
    await own?.stop();
  }
}
