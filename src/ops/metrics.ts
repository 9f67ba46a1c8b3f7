import { type Metric, Registry } from 'prom-client';
import { QUEUES } from '../queue/define.js';
import type { Services } from '../services.js';
import { JOB_SECONDS_BUCKETS, type OpsCounters } from './counters.js';

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * A metric whose samples are read from Redis when scraped: every process's work counts, whichever
 * process answers `/metrics`. prom-client's registry formats it like its own metrics.
 */
function fromRedis(
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  read: () => Promise<Sample[]>,
): Metric {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      return { name, help, type, aggregator: 'sum', values: await read() };
    },
    reset() {},
  };
  return metric as unknown as Metric;
}

const FINAL = ['dispatched', 'failed', 'bounced', 'skipped', 'cancelled'] as const;

/** The Prometheus metrics of Gazette, read from Redis at each scrape; BullMQ's own export is appended. */
export class Metrics {
  private readonly registry = new Registry();

  constructor(
    private readonly s: Services,
    counters: OpsCounters,
  ) {
    const r = this.registry;
    r.registerMetric(
      fromRedis(
        'gazette_emails_total',
        'Readers settled by list, outcome (dispatched, failed, bounced, skipped, cancelled) and reason',
        'counter',
        async () => (await this.editionTotals()).emails,
      ),
    );
    r.registerMetric(
      fromRedis(
        'gazette_editions',
        'Editions by list and state',
        'gauge',
        async () => (await this.editionTotals()).states,
      ),
    );
    r.registerMetric(
      fromRedis(
        'gazette_last_edition_success_timestamp_seconds',
        'When the newest dispatched edition of each list ended',
        'gauge',
        async () => (await this.editionTotals()).lastSuccess,
      ),
    );
    r.registerMetric(
      fromRedis('gazette_readers_suppressed', 'Addresses on the suppression list', 'gauge', async () => [
        { labels: {}, value: await this.s.suppression.size() },
      ]),
    );
    r.registerMetric(
      fromRedis(
        'gazette_briefings_collected_total',
        'Briefings stored by source (new or updated)',
        'counter',
        async () =>
          (await counters.collected())
            .filter((c) => c.what !== 'quarantined')
            .map((c) => ({ labels: { source: c.source, kind: c.what }, value: c.count })),
      ),
    );
    r.registerMetric(
      fromRedis('gazette_briefings_quarantined_total', 'Documents quarantined by source', 'counter', async () =>
        (await counters.collected())
          .filter((c) => c.what === 'quarantined')
          .map((c) => ({ labels: { source: c.source }, value: c.count })),
      ),
    );
    r.registerMetric(
      fromRedis(
        'gazette_last_collection_success_timestamp_seconds',
        'When the last collection run of each source completed',
        'gauge',
        async () =>
          Object.entries(await counters.lastCollections()).map(([source, ms]) => ({
            labels: { source },
            value: ms / 1000,
          })),
      ),
    );
    r.registerMetric(
      fromRedis('gazette_job_duration_seconds', 'Job run time by queue, all workers', 'histogram', async () => {
        const samples: Sample[] = [];
        for (const queue of QUEUES) {
          const h = await counters.jobSeconds(queue);
          const name = 'gazette_job_duration_seconds';
          for (const le of [...JOB_SECONDS_BUCKETS.map(String), '+Inf']) {
            samples.push({ metricName: `${name}_bucket`, labels: { queue, le }, value: h[le] ?? 0 });
          }
          samples.push({ metricName: `${name}_sum`, labels: { queue }, value: h.sum ?? 0 });
          samples.push({ metricName: `${name}_count`, labels: { queue }, value: h.count ?? 0 });
        }
        return samples;
      }),
    );
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The whole exposition: Gazette's metrics, then BullMQ's (one HELP/TYPE per metric name). */
  async text(): Promise<string> {
    this.cache = null;
    const own = await this.registry.metrics();
    const queues = await Promise.all(QUEUES.map((q) => this.s.producer.queue(q).exportPrometheusMetrics()));
    return `${own}${mergeExpositions(queues)}\n`;
  }

  private cache: Promise<EditionTotals> | null = null;

  /** One pass over every edition's status, shared by the metrics of one scrape. */
  private editionTotals(): Promise<EditionTotals> {
    this.cache ??= this.readEditionTotals();
    return this.cache;
  }

  private async readEditionTotals(): Promise<EditionTotals> {
    const totals: EditionTotals = { emails: [], states: [], lastSuccess: [] };
    for (const list of this.s.publication.lists) {
      const ids = await this.s.editions.recent(list.id, 100_000);
      const emails = new Map<string, number>();
      const states = new Map<string, number>();
      let last = 0;
      for (const h of await this.s.editions.rawStatuses(ids)) {
        if (!h.state) continue;
        states.set(h.state, (states.get(h.state) ?? 0) + 1);
        if (h.state === 'dispatched' && h.endedAt) last = Math.max(last, Date.parse(h.endedAt));
        for (const outcome of FINAL) {
          let rest = Number(h[outcome] ?? 0);
          for (const [field, v] of Object.entries(h)) {
            if (!field.startsWith(`reason:${outcome}:`)) continue;
            const reason = field.slice(`reason:${outcome}:`.length);
            emails.set(`${outcome}|${reason}`, (emails.get(`${outcome}|${reason}`) ?? 0) + Number(v));
            rest -= Number(v);
          }
          if (rest > 0) emails.set(`${outcome}|`, (emails.get(`${outcome}|`) ?? 0) + rest);
        }
      }
      for (const outcome of FINAL)
        if (![...emails.keys()].some((k) => k.startsWith(`${outcome}|`))) emails.set(`${outcome}|`, 0);
      for (const [key, value] of emails) {
        const [outcome = '', reason = ''] = key.split('|');
        totals.emails.push({ labels: { list: list.id, outcome, reason }, value });
      }
      for (const state of ['dispatching', 'dispatched', 'paused', 'incomplete', 'cancelled', 'skipped']) {
        totals.states.push({ labels: { list: list.id, state }, value: states.get(state) ?? 0 });
      }
      if (last) totals.lastSuccess.push({ labels: { list: list.id }, value: last / 1000 });
    }
    return totals;
  }
}

interface EditionTotals {
  emails: Sample[];
  states: Sample[];
  lastSuccess: Sample[];
}

/** Merge several Prometheus text expositions, keeping the first HELP and TYPE line of each metric. */
export function mergeExpositions(texts: readonly string[]): string {
  const meta = new Map<string, string[]>();
  const samples = new Map<string, string[]>();
  for (const line of texts.flatMap((t) => t.split('\n'))) {
    if (!line.trim()) continue;
    const m = /^# (HELP|TYPE) (\S+)/.exec(line);
    const name = m ? (m[2] as string) : (/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '');
    if (!samples.has(name)) samples.set(name, []);
    if (m) {
      const kept = meta.get(name) ?? [];
      if (!kept.some((l) => l.startsWith(`# ${m[1]} `))) kept.push(line);
      meta.set(name, kept);
    } else samples.get(name)?.push(line);
  }
  return [...samples.keys()].flatMap((name) => [...(meta.get(name) ?? []), ...(samples.get(name) ?? [])]).join('\n');
}
