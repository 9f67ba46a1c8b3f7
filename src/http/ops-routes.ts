import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { Metrics } from '../ops/metrics.js';
import { ReadinessCheck } from '../ops/readiness.js';
import { QUEUES } from '../queue/define.js';
import type { Services } from '../services.js';
import { adminAuth } from './admin-auth.js';
import type { ZodApp } from './types.js';

export interface OpsOptions {
  /** Override of the wedged-queue limit of `/readyz` (tests). */
  wedgedMs?: number;
}

export const DASHBOARD_PATH = '/admin/queues';

/**
 * What operators use: `/healthz` (the process answers), `/readyz` (Redis, workers, no wedged
 * queue), `/metrics` (Prometheus text) and the queue dashboard at `/admin/queues` (bull-board,
 * behind the admin token; read-only when DASHBOARD_READ_ONLY=true).
 */
export async function registerOpsRoutes(app: ZodApp, s: Services, opts: OpsOptions = {}): Promise<void> {
  const metrics = new Metrics(s, s.ops);
  const readiness = new ReadinessCheck(s, opts.wedgedMs);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await readiness.check();
    return reply
      .code(r.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: r.ready ? 'ready' : 'not-ready', ...r.checks });
  });
  app.get('/metrics', async (_req, reply) =>
    reply
      .type(metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await metrics.text()),
  );

  // bull-board brings its own routes, static files and views: its own plugin scope, behind the
  // admin token (HTTP Basic with the token as password, so that a browser can log in).
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', adminAuth(s.config.adminToken, 'Basic'));
    const adapter = new FastifyAdapter();
    adapter.setBasePath(DASHBOARD_PATH);
    createBullBoard({
      queues: QUEUES.map((q) => new BullMQAdapter(s.producer.queue(q), { readOnlyMode: s.config.dashboardReadOnly })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'Gazette' } },
    });
    await scope.register(adapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
