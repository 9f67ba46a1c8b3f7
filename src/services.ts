import type { Collector } from './briefings/collect.js';
import type { Quarantine } from './briefings/quarantine.js';
import type { BriefingStore } from './briefings/store.js';
import type { Config } from './config.js';
import type { BatchSender } from './delivery/batch.js';
import type { Dispatcher } from './delivery/dispatcher.js';
import type { Ledger } from './delivery/ledger.js';
import type { Mailer } from './delivery/mailer.js';
import type { Renders } from './delivery/renders.js';
import type { SuppressionList } from './delivery/suppression.js';
import type { EditionPlanner } from './editions/planner.js';
import type { EditionStore } from './editions/store.js';
import type { OpsCounters } from './ops/counters.js';
import type { Publication } from './publication.js';
import type { Producer } from './queue/producer.js';
import type { Templates } from './render/templates.js';
import type { Redis } from './store/redis.js';
import type { ReaderStore } from './subscriptions/readers.js';
import type { SubscriptionService } from './subscriptions/service.js';
import type { Tokens } from './subscriptions/tokens.js';

/** Everything a job handler or command may use; built once by the container. */
export interface Services {
  config: Config;
  /** Operational counters in Redis (job durations, collections), for `/metrics`. */
  ops: OpsCounters;
  publication: Publication;
  briefings: BriefingStore;
  quarantine: Quarantine;
  collector: Collector;
  editions: EditionStore;
  planner: EditionPlanner;
  readers: ReaderStore;
  /** Double opt-in, preferences and unsubscribe: the reader-facing flows. */
  subscriptions: SubscriptionService;
  /** The data connection (HTTP-side rate limits use it). */
  redis: Redis;
  suppression: SuppressionList;
  ledger: Ledger;
  tokens: Tokens;
  templates: Templates;
  renders: Renders;
  dispatcher: Dispatcher;
  batches: BatchSender;
  mailer: Mailer;
  producer: Producer;
}
