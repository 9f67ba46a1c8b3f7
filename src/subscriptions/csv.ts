import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import type { SuppressionList } from '../delivery/suppression.js';
import type { List } from '../publication.js';
import { InvalidReaderError, normalizeEmail, type ReaderStore } from './readers.js';

export interface ImportOptions {
  list: List;
  /** Import as confirmed (the list manager has the readers' consent); otherwise pending. */
  confirmed: boolean;
  /** Recorded with every reader's consent entry. */
  note?: string;
  onProgress?: (p: ImportReport) => void;
}

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  suppressed: number;
  /** Readers who left the list (unsubscribed or bounced): an import never puts them back. */
  left: number;
  bad: Array<{ line: number; reason: string }>;
}

/** Rows processed at once: bounded memory, and the Redis round trips overlap. */
const CHUNK = 500;
/** At most this many bad rows are kept with their reasons (all are counted in `rows`). */
const BAD_KEPT = 10_000;

type Row = { line: number; email: string; name: string | undefined; topics: string[] };

function parseTopics(list: List, raw: string | undefined): string[] {
  const topics = (raw ?? '')
    .split(/[;|]/)
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = topics.filter((t) => !list.topics.includes(t));
  if (unknown.length) throw new InvalidReaderError(`topics: not offered by ${list.id}: ${unknown.join(', ')}`);
  const set = new Set(topics);
  return set.size === list.topics.length ? [] : list.topics.filter((t) => set.has(t));
}

/**
 * Import readers from CSV (header row; columns `email`, `name`, `topics` with `;` or `|`
 * between topics). Streamed in chunks; each bad row is reported with its line number. Existing
 * readers are updated, not duplicated; suppressed addresses and readers who left are skipped;
 * importing the same file twice changes nothing the second time.
 */
export async function importReaders(
  input: Readable,
  readers: ReaderStore,
  suppression: SuppressionList,
  opts: ImportOptions,
): Promise<ImportReport> {
  const report: ImportReport = { rows: 0, created: 0, updated: 0, unchanged: 0, suppressed: 0, left: 0, bad: [] };
  const bad = (line: number, reason: string) => {
    if (report.bad.length < BAD_KEPT) report.bad.push({ line, reason });
  };
  const parser = input.pipe(
    parse({
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      bom: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }),
  );
  let chunk: Row[] = [];
  const flush = async () => {
    const rows = chunk;
    chunk = [];
    await Promise.all(rows.map((row) => importRow(row, readers, suppression, opts, report)));
    opts.onProgress?.(report);
  };
  let checkedHeader = false;
  for await (const { record, info } of unbroken(
    parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>,
  )) {
    if (!checkedHeader) {
      checkedHeader = true;
      if (!('email' in record)) throw new InvalidReaderError('the header row has no "email" column');
    }
    report.rows += 1;
    try {
      const email = normalizeEmail(record.email ?? '');
      chunk.push({ line: info.lines, email, name: record.name, topics: parseTopics(opts.list, record.topics) });
    } catch (err) {
      if (!(err instanceof InvalidReaderError)) throw err;
      bad(info.lines, err.message.startsWith('topics') ? err.message : 'email: not a valid address');
    }
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  return report;
}

/** The parser's records; a CSV syntax error (an unclosed quote…) becomes an InvalidReaderError naming the line. */
async function* unbroken<T>(records: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* records;
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const line = (err as CsvError & { lines?: number }).lines;
    throw new InvalidReaderError(`csv: ${err.message.replace(/\s+at line \d+$/, '')}${line ? ` (line ${line})` : ''}`);
  }
}

async function importRow(
  row: Row,
  readers: ReaderStore,
  suppression: SuppressionList,
  opts: ImportOptions,
  report: ImportReport,
): Promise<void> {
  if ((await suppression.suppressed([row.email])).size > 0) {
    report.suppressed += 1;
    return;
  }
  const known = await readers.findByEmail(row.email);
  const current = known ? await readers.subscription(opts.list.id, known.id) : null;
  if (current && (current.status === 'unsubscribed' || current.status === 'bounced')) {
    report.left += 1;
    return;
  }
  const status = current?.status === 'confirmed' || opts.confirmed ? 'confirmed' : 'pending';
  const sameName = !known || row.name === undefined || row.name === known.name;
  if (current && current.status === status && sameTopics(current.topics, row.topics) && sameName) {
    report.unchanged += 1;
    return;
  }
  const reader = known && sameName ? known : await readers.upsert(row.email, row.name);
  await readers.setSubscription(opts.list.id, reader.id, {
    status,
    topics: row.topics,
    consent: { source: 'import', ...(opts.note ? { note: opts.note } : {}) },
  });
  if (known) report.updated += 1;
  else report.created += 1;
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Stream a list's readers as CSV (`email,name,status,topics,updated_at`), in join order. */
export async function exportReaders(readers: ReaderStore, list: List, out: Writable): Promise<number> {
  const csv = stringify({ header: true, columns: ['email', 'name', 'status', 'topics', 'updated_at'] });
  let count = 0;
  const feed = async () => {
    const total = await readers.memberCount(list.id);
    for (let offset = 0; offset < total; offset += 1000) {
      const ids = await readers.members(list.id, offset, 1000);
      for (const { reader, subscription } of await readers.loadMany(list.id, ids)) {
        const line = [
          reader.email,
          reader.name,
          subscription.status,
          subscription.topics.join(';'),
          subscription.updatedAt,
        ];
        count += 1;
        if (!csv.write(line)) await new Promise((resolve) => csv.once('drain', resolve));
      }
    }
    csv.end();
  };
  await Promise.all([feed(), pipeline(csv, out, { end: false })]);
  return count;
}
