/**
 * `npm run bench`: every section side by side in one run, a table on stdout and
 * bench/results/latest.json.
 *
 *   npm run bench                                # fanout at 20,000 readers, scale 10k+100k (+1M when the 10-minute budget allows), collect, render
 *   npm run bench -- --scale-max 100000          # scale up to 100k readers only (≈ 4 min)
 *   npm run bench -- --scale-max 1000000         # scale up to 1M readers whatever the time
 *   npm run bench -- --readers 100000            # a bigger fan-out
 *   npm run bench -- --sections fanout,collect   # some sections only
 *   npm run bench -- --connections 10            # SMTP connections per process (SMTP_MAX_CONNECTIONS)
 *   npm run bench -- --dkim-algorithm ed25519-sha256   # DKIM_ALGORITHM of the DKIM row (default rsa-sha256)
 *   npm run bench -- --sections fanout --rows ceiling --out /tmp/b.json   # some fanout rows only (gazette always runs), elsewhere
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DkimAlgorithm } from '../src/config.js';
import { runCollect } from './collect.js';
import { runFanout } from './fanout.js';
import { runRender } from './render.js';
import { runScale } from './scale.js';
import { ROOT } from './support/procs.js';

const { values } = parseArgs({
  options: {
    readers: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '5' },
    sections: { type: 'string', default: 'fanout,scale,collect,render' },
    'scale-max': { type: 'string', default: 'auto' },
    dkim: { type: 'boolean', default: true },
    'no-dkim': { type: 'boolean', default: false },
    'dkim-algorithm': { type: 'string', default: 'rsa-sha256' },
    rows: { type: 'string', default: 'gazette,ceiling,naive,dkim' },
    out: { type: 'string' },
  },
});
const sections = new Set(values.sections.split(','));
const readers = Number(values.readers);
const scaleMax = Number(values['scale-max']);

function table(title: string, rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0] ?? {});
  const cells = [cols, ...rows.map((r) => cols.map((c) => fmt(r[c])))];
  const widths = cols.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  console.log(`\n${title}`);
  for (const r of cells)
    console.log(
      r.map((v, i) => (i === 0 ? String(v).padEnd(widths[i] ?? 0) : String(v).padStart(widths[i] ?? 0))).join('  '),
    );
}

function fmt(v: string | number | undefined): string {
  if (typeof v !== 'number') return v ?? '';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(0) : v.toFixed(2);
}

const started = new Date();
const result: Record<string, unknown> = {
  startedAt: started.toISOString(),
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  },
};

if (sections.has('fanout')) {
  process.stderr.write(`fanout: ${readers} readers, 3 lists, 2 worker processes…\n`);
  const f = await runFanout({
    readers,
    dkim:
      values.dkim && !values['no-dkim']
        ? (values['dkim-algorithm'].split(',').map((a) => a.trim()) as DkimAlgorithm[])
        : [],
    connections: Number(values.connections),
    only: new Set(values.rows.split(',').map((r) => r.trim())),
  });
  result.fanout = f;
  table(
    `fanout — ${readers.toLocaleString('en-US')} readers, ${f.connections} SMTP connections per process, trigger → last acceptance at the sink`,
    f.rows.map((r) => ({
      row: r.row,
      messages: r.messages,
      s: r.seconds,
      'msg/s': r.msgPerSec,
      'CPU µs/msg': r.cpuMicrosPerMessage,
      'peak RSS MB/worker': r.peakRssMB,
      'Redis B/reader': r.redisBytesPerReader ?? '',
      'used_memory B/reader': r.usedMemoryPerReader ?? '',
      'MJML compiles': r.mjmlCompiles ?? '',
      'topic sets': r.topicSets ?? '',
      'KB/msg': r.messageKB ?? '',
    })),
  );
  const ratio = (name: string, r: number | undefined) => (r === undefined ? '' : `${name} = ${r.toFixed(2)}   `);
  console.log(
    `${ratio('gazette/ceiling', f.ratioToCeiling)}${ratio('gazette/naive', f.ratioToNaive)}${ratio('gazette/bare sendMail loop', f.ratioToBareSendMail)}`.trimEnd(),
  );
  if (f.dkimMicrosPerMessage !== undefined)
    console.log(
      `DKIM (${f.dkimAlgorithm}): the signer alone ${f.dkimMicrosPerSignature?.toFixed(0) ?? '?'} µs per message; the DKIM row used ${f.dkimMicrosPerMessage.toFixed(0)} µs more worker CPU per message than the gazette row`,
    );
  if (f.dkimMicrosBySetting)
    table(
      'DKIM signing alone — µs per message (one body hash, one signature per key), by DKIM_ALGORITHM',
      Object.entries(f.dkimMicrosBySetting).map(([setting, us]) => ({ DKIM_ALGORITHM: setting, 'µs/msg': us })),
    );
}

/** The whole run should end within this (the budget for `npm run bench` on 2 cores). */
const BUDGET_S = 600;
/** What collect and render take after scale (about 45 s on 2 cores). */
const AFTER_SCALE_S = 50;

if (sections.has('scale')) {
  const auto = values['scale-max'] === 'auto';
  const sizes = [10_000, 100_000, 1_000_000].filter((n) => (auto ? n <= 100_000 : n <= scaleMax));
  process.stderr.write(`scale: ${sizes.join(', ')} readers, counting transport…\n`);
  const rows = await runScale(sizes);
  let note: string | undefined;
  if (auto) {
    // 1,000,000 readers when the run can still end within the budget: estimated from the
    // 100,000 row (seeding and edition ×10.5; runs on 2 cores took 9.4–10.1 times as long).
    const last = rows.at(-1);
    const estimate = last ? 10.5 * (last.seconds + last.seedSeconds) : Number.POSITIVE_INFINITY;
    const elapsed = (Date.now() - started.getTime()) / 1000;
    if (elapsed + estimate + AFTER_SCALE_S <= BUDGET_S) {
      process.stderr.write(`scale: 1000000 readers (estimated ${estimate.toFixed(0)} s)…\n`);
      rows.push(...(await runScale([1_000_000])));
    } else {
      note = `1,000,000 readers left out: about ${estimate.toFixed(0)} s more after ${elapsed.toFixed(0)} s would pass the ${BUDGET_S / 60}-minute budget on this machine now; run \`npm run bench -- --sections scale --scale-max 1000000\``;
    }
  }
  const base = rows[0]?.peakRssMB ?? 1;
  result.scale = {
    rows,
    rssRatioLargestToSmallest: (rows.at(-1)?.peakRssMB ?? base) / base,
    ...(note ? { note } : {}),
  };
  table(
    'scale — plan, render and fill every message (counting transport, no SMTP)',
    rows.map((r) => ({
      readers: r.readers,
      messages: r.sent,
      s: r.seconds,
      'µs/reader': r.microsPerReader,
      'peak RSS MB': r.peakRssMB,
      'Redis B/reader': r.redisBytesPerReader,
      'used_memory B/reader': r.usedMemoryPerReader,
      'seed s': r.seedSeconds,
    })),
  );
  console.log(
    `peak RSS ${rows.at(-1)?.readers.toLocaleString('en-US')} / 10,000 readers = ${(result.scale as { rssRatioLargestToSmallest: number }).rssRatioLargestToSmallest.toFixed(2)}`,
  );
  if (note) console.log(note);
}

if (sections.has('collect')) {
  process.stderr.write('collect: 10,000 WordPress posts…\n');
  const c = await runCollect();
  result.collect = c;
  table('collect — read → sanitize → summarize → classify → store', [
    { posts: c.posts, stored: c.stored, quarantined: c.quarantined, s: c.seconds, 'posts/s': c.postsPerSec },
  ]);
}

if (sections.has('render')) {
  const r = await runRender(200);
  result.render = r;
  table('render — per reader', [
    { render: 'MJML per reader (baseline)', 'ms/reader': r.baselineMsPerReader },
    { render: 'two-stage (Gazette)', 'ms/reader': r.twoStageMsPerReader },
  ]);
}

result.seconds = (Date.now() - started.getTime()) / 1000;
const outFile = values.out ? path.resolve(values.out) : path.join(ROOT, 'bench/results/latest.json');
await mkdir(path.dirname(outFile), { recursive: true });
await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `\nall sections in ${(result.seconds as number).toFixed(0)} s; written to ${path.relative(process.cwd(), outFile)}`,
);
