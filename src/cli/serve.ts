import closeWithGrace from 'close-with-grace';
import { jobs } from '../../jobs/index.js';
import type { Container } from '../container.js';
import { applySchedulers } from '../queue/schedulers.js';

/**
 * Run workers (and, for `start`, the schedulers) until SIGTERM/SIGINT: then stop taking jobs,
 * let in-flight jobs finish, and close queues, the mail pool and Redis, in that order.
 */
export async function serve(container: Container, withSchedulers: boolean): Promise<void> {
  const { services, log } = container;
  if (withSchedulers) {
    const ids = await applySchedulers(services.producer, services.publication, {
      planEdition: jobs['plan-edition'],
      collect: jobs.collect,
    });
    log.info({ event: 'schedulers.applied', schedulers: ids }, 'schedulers applied');
  }
  const workers = container.startWorkers();
  log.info(
    { event: 'workers.started', queues: workers.map((w) => w.name), mail: services.mailer.destination },
    'workers started',
  );
  await new Promise<void>((resolve) => {
    closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
      if (err) log.error({ event: 'process.error', err }, 'shutting down after an error');
      log.info({ event: 'shutdown', signal }, 'draining in-flight jobs');
      await container.close();
      log.info({ event: 'shutdown.done' }, 'stopped');
      resolve();
    });
  });
}
