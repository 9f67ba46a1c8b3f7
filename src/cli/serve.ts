import closeWithGrace from 'close-with-grace';
import { jobs } from '../../jobs/index.js';
import type { Container } from '../container.js';
import { type App, buildApp } from '../http/app.js';
import { applySchedulers } from '../queue/schedulers.js';

export interface ServeRoles {
  /** Apply the list and source schedules (`start`, `api`). */
  schedulers: boolean;
  /** Run the queue workers (`start`, `worker`). */
  workers: boolean;
  /** Serve the HTTP app on PORT (`start`, `api`). */
  http: boolean;
}

/**
 * Run the given roles until SIGTERM/SIGINT: then stop accepting HTTP requests (in-flight ones
 * finish), stop taking jobs, let in-flight jobs finish, and close queues, the mail pool and
 * Redis, in that order.
 */
export async function serve(
  container: Container,
  roles: ServeRoles,
  /** Runs last at shutdown (close-with-grace exits the process right after): e.g. stop a private Redis. */
  afterClose?: () => Promise<void>,
): Promise<void> {
  const { services, log } = container;
  // Once per long-running process, not on every command.
  if (services.config.usingDevelopmentSecret) {
    log.warn(
      { event: 'config.development-secret' },
      'SECRET is not set: readers’ links are signed with a public development key',
    );
  }
  if (roles.schedulers) {
    const ids = await applySchedulers(services.producer, services.publication, {
      planEdition: jobs['plan-edition'],
      collect: jobs.collect,
    });
    log.info({ event: 'schedulers.applied', schedulers: ids }, 'schedulers applied');
  }
  if (roles.workers) {
    const workers = container.startWorkers();
    log.info(
      { event: 'workers.started', queues: workers.map((w) => w.name), mail: services.mailer.destination },
      'workers started',
    );
  }
  let app: App | null = null;
  if (roles.http) {
    app = await buildApp(services, log);
    const address = await app.listen({ port: services.config.port, host: '0.0.0.0' });
    log.info({ event: 'http.listening', address, publicUrl: services.config.publicUrl }, 'http listening');
  }
  await new Promise<void>((resolve) => {
    closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
      if (err) log.error({ event: 'process.error', err }, 'shutting down after an error');
      log.info({ event: 'shutdown', signal }, 'draining in-flight requests and jobs');
      await app?.close();
      await container.close();
      await afterClose?.();
      log.info({ event: 'shutdown.done' }, 'stopped');
      resolve();
    });
  });
}
