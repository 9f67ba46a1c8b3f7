import type { Worker } from 'bullmq';
import { flowFanOut } from '../jobs/fan-out.js';
import { jobs } from '../jobs/index.js';
import { Collector } from './briefings/collect.js';
import { CursorStore } from './briefings/cursors.js';
import { Quarantine } from './briefings/quarantine.js';
import { BriefingStore } from './briefings/store.js';
import type { Config } from './config.js';
import { Audience } from './delivery/audience.js';
import { BatchSender, DEFAULT_BUDGET } from './delivery/batch.js';
import { Dispatcher } from './delivery/dispatcher.js';
import { Ledger } from './delivery/ledger.js';
import { createMailer, type Mailer } from './delivery/mailer.js';
import { archiveUrl, type Identity } from './delivery/message.js';
import { ListRates, MailRate } from './delivery/rate.js';
import { Renders } from './delivery/renders.js';
import { SuppressionList } from './delivery/suppression.js';
import { EditionPlanner } from './editions/planner.js';
import { EditionStore } from './editions/store.js';
import type { Logger } from './logger.js';
import { OpsCounters } from './ops/counters.js';
import type { Publication } from './publication.js';
import { Producer } from './queue/producer.js';
import { startWorkers } from './queue/runner.js';
import { loadTemplates } from './render/templates.js';
import type { Services } from './services.js';
import { keys } from './store/keys.js';
import { createRedis, type Redis } from './store/redis.js';
import { ReaderStore } from './subscriptions/readers.js';
import { SubscriptionService } from './subscriptions/service.js';
import { Tokens } from './subscriptions/tokens.js';
import { createClassifier } from './topics/classify.js';

/** The one place that builds connections, adapters and services, and closes them in order. */
export interface Container {
  services: Services;
  log: Logger;
  /** Start workers for all queues in this process. */
  startWorkers(): Worker[];
  /** Stop taking jobs, let in-flight ones finish, then close queues, mail pool and Redis. */
  close(): Promise<void>;
}

/** Adapters a caller may bring instead of those built from the config (the benchmark's counting transport). */
export interface ContainerOverrides {
  mailer?: Mailer;
}

export async function createContainer(
  config: Config,
  publication: Publication,
  log: Logger,
  overrides: ContainerOverrides = {},
): Promise<Container> {
  const connections: Redis[] = [];
  const connect = (role: 'worker' | 'producer') => {
    const client = createRedis(config.redisUrl, role);
    client.on('error', (err) => log.error({ event: 'redis.error', err: err.message }, 'redis connection error'));
    connections.push(client);
    return client;
  };
  const redis = connect('worker');
  const k = keys(config.redisPrefix);
  const stopping = new AbortController();
  const identity: Identity = {
    publicUrl: config.publicUrl,
    defaultFrom: config.mail.from,
    unsubscribeAddress: config.mail.unsubscribeAddress,
  };

  const briefings = new BriefingStore(redis, k);
  const quarantine = new Quarantine(redis, k);
  const editions = new EditionStore(redis, k);
  const readers = new ReaderStore(redis, k);
  const suppression = new SuppressionList(redis, k);
  const ledger = new Ledger(redis, k);
  const tokens = new Tokens(config.secrets);
  const templates = await loadTemplates();
  const mailer =
    overrides.mailer ??
    (await createMailer(config.mail.transport, config.mail.dkim, {
      maxConnections: config.mail.maxConnections,
      compose: config.mail.compose,
    }));
  const producer = new Producer(redis, config.redisPrefix, {
    'send-batch': { attempts: config.send.attempts, backoff: { type: 'exponential', delay: config.send.backoffMs } },
  });
  const renders = new Renders(redis, k, publication, templates, (e) => archiveUrl(config.publicUrl, e));
  const audience = new Audience(redis, k, readers, ledger);
  const dispatcher = new Dispatcher(
    publication,
    editions,
    audience,
    renders,
    flowFanOut(() => producer),
    ledger,
    log,
    config.retentionSeconds,
  );
  const subscriptions = new SubscriptionService({
    redis,
    k,
    publication,
    readers,
    suppression,
    tokens,
    templates,
    mailer,
    identity,
    log,
  });
  const ops = new OpsCounters(redis, k);
  const planner = new EditionPlanner(publication, briefings, editions);
  const services: Services = {
    config,
    ops,
    redis,
    subscriptions,
    publication,
    briefings,
    quarantine,
    collector: new Collector(
      briefings,
      quarantine,
      new CursorStore(redis, k),
      createClassifier(publication.topics, publication.fallbackTopic),
      { openSince: () => planner.openSince() },
      (report) => ops.recordCollection(report),
    ),
    editions,
    planner,
    readers,
    suppression,
    ledger,
    tokens,
    templates,
    renders,
    dispatcher,
    batches: new BatchSender({
      dispatcher,
      audience,
      readers,
      suppression,
      ledger,
      renders,
      mailer,
      tokens,
      identity,
      editions,
      budget: { ...DEFAULT_BUDGET, consecutiveTransient: config.send.transientBudget },
      ...(config.send.rate ? { rate: new MailRate(redis, config.redisPrefix, config.send.rate) } : {}),
      listRates: new ListRates(redis, config.redisPrefix),
      log,
      stopping: stopping.signal,
    }),
    mailer,
    producer,
  };

  const workers: Worker[] = [];
  return {
    services,
    log,
    startWorkers() {
      const started = startWorkers(jobs, services, log, {
        connection: () => connect('worker'),
        prefix: config.redisPrefix,
        concurrency: config.workerConcurrency,
      });
      workers.push(...started);
      return started;
    },
    async close() {
      // Batches stop between readers (in-flight sends settle), so draining is quick even for large batches.
      stopping.abort();
      await Promise.all(workers.map((w) => w.close()));
      await producer.close();
      await subscriptions.drain();
      await mailer.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
