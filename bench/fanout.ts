/**
 * fanout: one edition per list (3 lists) to N readers through 2 `gazette worker` processes and a
 * real SMTP sink in its own process, next to the ceiling (a nodemailer pool sending one pre-built
 * raw message N times) and the naive path (Gazette itself with MAIL_COMPOSE=sendMail: nodemailer
 * composing every message, as before the fast path; plus a bare sendMail loop for reference), on the same sink
 * and pool settings. Time runs from the trigger to the sink's last acceptance.
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import MailComposer from 'nodemailer/lib/mail-composer';
import { runEdition } from '../src/cli/run-edition.js';
import type { DkimAlgorithm } from '../src/config.js';
import { createDkimSigner } from '../src/delivery/dkim.js';
import { toMailOptions } from '../src/delivery/mailer.js';
import { envelope, readerLinks } from '../src/delivery/message.js';
import { startPrivateRedis } from '../src/store/private-redis.js';
import { BENCH_SLOT, LISTS, readerPlan, seedBench, writeBenchPublication } from './support/fixture.js';
import { benchContainer, benchEnv, startWorkerProcesses } from './support/gazette.js';
import { cpuMicros, forkTs, nextMessage, peakRss, type SinkCount, startSink, stop, tail } from './support/procs.js';
import { editionKeyBytes, usedMemory } from './support/redis-bytes.js';

export interface FanoutRow {
  row: string;
  messages: number;
  seconds: number;
  msgPerSec: number;
  cpuMicrosPerMessage: number;
  peakRssMB: number;
  /** MEMORY USAGE of the keys the edition wrote, per reader ({@link editionKeyBytes}). */
  redisBytesPerReader?: number;
  /** Redis `used_memory` growth per reader over the edition (includes keyspace-table resizes). */
  usedMemoryPerReader?: number;
  mjmlCompiles?: number;
  topicSets?: number;
  messageKB?: number;
}

export interface FanoutResult {
  readers: number;
  /** SMTP connections per process, the same for every row. */
  connections: number;
  rows: FanoutRow[];
  /** gazette / ceiling (absent when either row was not run: `--rows`). */
  ratioToCeiling?: number;
  /** gazette / naive, where naive is Gazette with MAIL_COMPOSE=sendMail (the path before the fast one). */
  ratioToNaive?: number;
  /** gazette / a bare nodemailer sendMail loop without Redis or ledger (for reference). */
  ratioToBareSendMail?: number;
  /** Worker CPU per message of the DKIM row minus the gazette row (noisy: two runs). */
  dkimMicrosPerMessage?: number;
  /** DKIM_ALGORITHM of the DKIM row. */
  dkimAlgorithm?: string;
  /** The fast path's signer alone, in this process, on the sample message: µs per message, for the row's DKIM_ALGORITHM. */
  dkimMicrosPerSignature?: number;
  /** The same for each setting: rsa-sha256, ed25519-sha256, and both (dual). */
  dkimMicrosBySetting?: Record<string, number>;
}

/** DKIM keys for the bench: RSA-2048 and Ed25519, PEM. */
function benchKeys(): Record<DkimAlgorithm, string> {
  const pem = (k: KeyObject) => String(k.export({ type: 'pkcs8', format: 'pem' }));
  return {
    'rsa-sha256': pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    'ed25519-sha256': pem(generateKeyPairSync('ed25519').privateKey),
  };
}

/** µs per message of the fast path's signer (one body hash + a signature per key), on the sample message. */
async function signatureCost(keys: Record<DkimAlgorithm, string>, algorithms: DkimAlgorithm[], messageJson: string) {
  const raw = await new MailComposer(toMailOptions(JSON.parse(messageJson))).compile().build();
  const signer = createDkimSigner({
    domainName: 'news.example',
    headerFieldNames: 'From:Subject:Date:Message-ID:To:MIME-Version:Content-Type:List-Id:List-Unsubscribe',
    keys: algorithms.map((algorithm) => ({
      algorithm,
      keySelector: `bench-${algorithm}`,
      privateKey: keys[algorithm],
    })),
  });
  for (let i = 0; i < 20; i++) signer.sign(raw);
  const n = 300;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) signer.sign(raw);
  return ((performance.now() - t0) * 1000) / n;
}

const WORKERS = 2;

async function waitForCount(
  sink: { count(): Promise<SinkCount> },
  want: number,
  timeoutMs: number,
): Promise<SinkCount> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const c = await sink.count();
    if (c.count >= want) return c;
    if (Date.now() > until) throw new Error(`sink got ${c.count} of ${want} messages in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One Gazette run on a fresh prefix: seed, start 2 workers, trigger the 3 lists, wait for the sink. */
async function gazetteRow(
  row: string,
  o: {
    redisUrl: string;
    dir: string;
    readers: number;
    sink: Awaited<ReturnType<typeof startSink>>;
    extra?: Record<string, string>;
  },
): Promise<{ row: FanoutRow; sample?: string }> {
  const publicationFile = await writeBenchPublication(o.dir);
  const prefix = `{bench-${randomBytes(3).toString('hex')}}`;
  const env = benchEnv({ redisUrl: o.redisUrl, prefix, publicationFile, smtpPort: o.sink.port, extra: o.extra });
  const c = await benchContainer(env);
  const admin = new Redis(o.redisUrl);
  try {
    process.stderr.write(`  ${row}: seeding ${o.readers} readers…\n`);
    await seedBench(c, o.readers);
    const before = { used: await usedMemory(admin), keys: await editionKeyBytes(admin, prefix) };
    const workers = await startWorkerProcesses(WORKERS, env);
    try {
      const cpu0 = workers.map((w) => cpuMicros(w.pid ?? 0));
      await o.sink.count(true);
      process.stderr.write(`  ${row}: sending…\n`);
      const t0 = Date.now();
      const runs = await Promise.all(LISTS.map((l) => runEdition(c.services, l.id, BENCH_SLOT)));
      const got = await waitForCount(o.sink, o.readers, Math.max(60_000, o.readers * 25));
      const cpu = workers.reduce((sum, w, i) => sum + cpuMicros(w.pid ?? 0) - (cpu0[i] ?? 0), 0);
      const rss = Math.max(...workers.map((w) => peakRss(w.pid ?? 0)));
      const after = { used: await usedMemory(admin), keys: await editionKeyBytes(admin, prefix) };
      let compiles = 0;
      for (const r of runs) if (r.status !== 'skipped') compiles += Number(r.result.renders ?? 0);
      const topicSets = new Set(
        Array.from({ length: Math.min(o.readers, 200) }, (_, i) => JSON.stringify(readerPlan(i))),
      ).size;
      const seconds = (got.lastAt - t0) / 1000;
      const sample = await sampleMessage(c, runs, got.bytes / got.count);
      return {
        row: {
          row,
          messages: got.count,
          seconds,
          msgPerSec: got.count / seconds,
          cpuMicrosPerMessage: cpu / got.count,
          peakRssMB: rss / 2 ** 20,
          redisBytesPerReader: (after.keys - before.keys) / o.readers,
          usedMemoryPerReader: (after.used - before.used) / o.readers,
          mjmlCompiles: compiles,
          topicSets,
          messageKB: got.bytes / got.count / 1000,
        },
        sample,
      };
    } finally {
      await Promise.all(workers.map((w) => stop(w)));
    }
  } finally {
    await c.close();
    await admin.quit();
  }
}

/**
 * One reader's message as Gazette builds it, for the ceiling and naive rows (JSON of an
 * OutgoingMessage): of the topic sets readers have, the one whose size is closest to the
 * average message Gazette sent, so all rows move messages of about the same size.
 */
async function sampleMessage(
  c: Awaited<ReturnType<typeof benchContainer>>,
  runs: Awaited<ReturnType<typeof runEdition>>[],
  averageBytes: number,
): Promise<string> {
  const s = c.services;
  const identity = {
    publicUrl: s.config.publicUrl,
    defaultFrom: s.config.mail.from,
    unsubscribeAddress: s.config.mail.unsubscribeAddress,
  };
  const reader = { id: 'rSample', email: 'sample@bench.example', name: 'Sample Reader' } as Parameters<
    typeof envelope
  >[3];
  let best = { size: Number.POSITIVE_INFINITY, json: '' };
  for (const run of runs) {
    if (run.status === 'skipped') continue;
    const { edition, list } = await s.dispatcher.load(run.editionId);
    const sets = new Set(
      Array.from({ length: 200 }, (_, i) => readerPlan(i))
        .filter((p) => p.listId === list.id)
        .map((p) => p.topics.join('+')),
    );
    for (const set of sets) {
      const topics = set ? set.split('+') : [...list.topics];
      const personalize = await s.renders.personalizer(edition, list, topics);
      const links = readerLinks(identity, s.tokens, list, reader.id);
      const content = personalize({
        name: reader.name,
        preferencesUrl: links.preferencesUrl,
        unsubscribeUrl: links.unsubscribeUrl,
      });
      // Quoted-printable grows HTML by about a tenth; headers and the text part make up the rest.
      const size = Buffer.byteLength(content.html) * 1.1 + Buffer.byteLength(content.text);
      if (Math.abs(size - averageBytes) < Math.abs(best.size - averageBytes)) {
        best = { size, json: JSON.stringify(envelope(identity, list, edition, reader, links, content)) };
      }
    }
  }
  if (!best.json) throw new Error('no edition was sent');
  return best.json;
}

/** The ceiling or naive row: 2 processes, N/2 messages each, on the same sink. */
async function poolRow(
  row: string,
  mode: 'ceiling' | 'naive',
  o: { readers: number; sink: Awaited<ReturnType<typeof startSink>>; messageFile: string; connections: number },
): Promise<FanoutRow> {
  const children = Array.from({ length: WORKERS }, () =>
    forkTs('bench/pool-child.ts', [
      mode,
      String(Math.ceil(o.readers / WORKERS)),
      String(o.sink.port),
      o.messageFile,
      String(o.connections),
    ]),
  );
  const outputs = children.map((c) => tail(c));
  try {
    await Promise.all(children.map((c) => nextMessage(c, (m: { ready?: boolean }) => m.ready === true)));
    const cpu0 = children.map((c) => cpuMicros(c.pid ?? 0));
    await o.sink.count(true);
    const t0 = Date.now();
    const done = children.map((c) =>
      nextMessage<{ done?: boolean; error?: string }>(c, (m) => 'done' in m || 'error' in m),
    );
    for (const c of children) c.send({ go: true });
    for (const d of await Promise.all(done)) if (d.error) throw new Error(`${row}: ${d.error}`);
    const got = await waitForCount(o.sink, WORKERS * Math.ceil(o.readers / WORKERS), Math.max(60_000, o.readers * 25));
    const cpu = children.reduce((sum, c, i) => sum + cpuMicros(c.pid ?? 0) - (cpu0[i] ?? 0), 0);
    const rss = Math.max(...children.map((c) => peakRss(c.pid ?? 0)));
    const seconds = (got.lastAt - t0) / 1000;
    return {
      row,
      messages: got.count,
      seconds,
      msgPerSec: got.count / seconds,
      cpuMicrosPerMessage: cpu / got.count,
      peakRssMB: rss / 2 ** 20,
      messageKB: got.bytes / got.count / 1000,
    };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${outputs.map((t) => t()).join('\n')}`);
  } finally {
    await Promise.all(children.map((c) => stop(c)));
  }
}

export async function runFanout(o: {
  readers: number;
  /** DKIM_ALGORITHM of the DKIM row (comma-separated); empty: no DKIM row. */
  dkim: DkimAlgorithm[];
  connections: number;
  /** The rows to run (default all): gazette, ceiling, naive, bare, dkim. The gazette row always runs. */
  only?: ReadonlySet<string>;
}): Promise<FanoutResult> {
  const wanted = (row: string) => !o.only || o.only.has(row);
  const redis = await startPrivateRedis(15_000, ['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
  const sink = await startSink();
  const dir = await mkdtemp(path.join(tmpdir(), 'gazette-bench-'));
  try {
    const pool = { SMTP_MAX_CONNECTIONS: String(o.connections) };
    const gazette = await gazetteRow('gazette', { redisUrl: redis.url, dir, readers: o.readers, sink, extra: pool });
    const messageFile = path.join(dir, 'message.json');
    await writeFile(messageFile, gazette.sample ?? '');
    const pooled = { readers: o.readers, sink, messageFile, connections: o.connections };
    const ceiling = wanted('ceiling') ? await poolRow('ceiling (raw, pre-built)', 'ceiling', pooled) : undefined;
    // Naive: Gazette itself as it was before the fast path (MAIL_COMPOSE=sendMail: nodemailer
    // composes every message), with the same Redis, ledger, workers, sink and pool.
    const naive = wanted('naive')
      ? await gazetteRow('naive (Gazette, sendMail each)', {
          redisUrl: redis.url,
          dir,
          readers: o.readers,
          sink,
          extra: { ...pool, MAIL_COMPOSE: 'sendMail' },
        })
      : undefined;
    // For reference: sendMail alone in a loop (no Redis, no ledger, no queue).
    const bareSendMail = wanted('bare') ? await poolRow('bare sendMail loop (no Redis)', 'naive', pooled) : undefined;
    const rows = [gazette.row, ceiling, naive?.row, bareSendMail].filter((r): r is FanoutRow => r !== undefined);
    let dkimMicrosPerMessage: number | undefined;
    let dkimMicrosPerSignature: number | undefined;
    let dkimMicrosBySetting: Record<string, number> | undefined;
    if (o.dkim.length > 0 && wanted('dkim')) {
      const keys = benchKeys();
      const files = await Promise.all(
        o.dkim.map(async (algorithm) => {
          const file = path.join(dir, `dkim-${algorithm}.pem`);
          await writeFile(file, keys[algorithm]);
          return file;
        }),
      );
      const setting = o.dkim.join(',');
      const dkim = await gazetteRow(`gazette + DKIM (${setting})`, {
        redisUrl: redis.url,
        dir,
        readers: o.readers,
        sink,
        extra: {
          ...pool,
          DKIM_DOMAIN: 'news.example',
          DKIM_ALGORITHM: setting,
          DKIM_SELECTOR: o.dkim.map((a) => `bench-${a}`).join(','),
          DKIM_PRIVATE_KEY_FILE: files.join(','),
        },
      });
      rows.push(dkim.row);
      dkimMicrosPerMessage = dkim.row.cpuMicrosPerMessage - gazette.row.cpuMicrosPerMessage;
      const sample = gazette.sample ?? '';
      dkimMicrosBySetting = {};
      for (const algorithms of [
        ['rsa-sha256'],
        ['ed25519-sha256'],
        ['rsa-sha256', 'ed25519-sha256'],
      ] as DkimAlgorithm[][])
        dkimMicrosBySetting[algorithms.join(',')] = await signatureCost(keys, algorithms, sample);
      dkimMicrosPerSignature = dkimMicrosBySetting[setting] ?? (await signatureCost(keys, o.dkim, sample));
    }
    return {
      readers: o.readers,
      connections: o.connections,
      rows,
      ...(ceiling ? { ratioToCeiling: gazette.row.msgPerSec / ceiling.msgPerSec } : {}),
      ...(naive ? { ratioToNaive: gazette.row.msgPerSec / naive.row.msgPerSec } : {}),
      ...(bareSendMail ? { ratioToBareSendMail: gazette.row.msgPerSec / bareSendMail.msgPerSec } : {}),
      ...(dkimMicrosPerMessage !== undefined ? { dkimMicrosPerMessage } : {}),
      ...(dkimMicrosPerSignature !== undefined ? { dkimMicrosPerSignature } : {}),
      ...(dkimMicrosBySetting ? { dkimAlgorithm: o.dkim.join(','), dkimMicrosBySetting } : {}),
    };
  } finally {
    await stop(sink.child);
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
