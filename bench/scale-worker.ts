/**
 * A second worker for the scale rows: `scale-worker.ts <redisUrl> <prefix> <publication.json>`.
 * Gazette's workers in this process, on the same queues, sending to a counting transport. IPC:
 * `{ready}` once the workers run; `{count}` → `{sent, bytes, peakRss}`; stops on SIGTERM.
 */
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { createLogger } from '../src/logger.js';
import { loadPublication } from '../src/publication.js';
import { countingMailer } from './support/counting-mailer.js';
import { benchEnv } from './support/gazette.js';
import { peakRss } from './support/procs.js';

const [redisUrl = '', prefix = '', publicationFile = ''] = process.argv.slice(2);
const config = loadConfig(benchEnv({ redisUrl, prefix, publicationFile }));
const mailer = countingMailer();
const c = await createContainer(config, await loadPublication(config.publicationFile), createLogger('warn'), {
  mailer,
});
c.startWorkers();
process.on('message', () => {
  process.send?.({ sent: mailer.count, bytes: mailer.bytes, peakRss: peakRss(process.pid) });
});
process.on('SIGTERM', () => {
  void c.close().finally(() => process.exit(0));
});
process.send?.({ ready: true });
