import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerArchiveRoutes } from './archive-routes.js';
import { registerEditionRoutes } from './edition-routes.js';
import { installErrorHandling, tooLarge } from './errors.js';
import { type OpsOptions, registerOpsRoutes } from './ops-routes.js';
import { loadPages } from './pages.js';
import { registerReaderRoutes } from './reader-routes.js';
import type { ZodApp } from './types.js';

/** Request bodies above this get 413 (the admin CSV import has its own, larger limit). */
export const BODY_LIMIT = 16 * 1024;

export interface AppOptions {
  /** Subscribe requests per client IP per minute. @defaultValue 20 */
  subscribePerIpPerMinute?: number;
  ops?: OpsOptions;
}

export type App = ZodApp;

/** fastify types `trustProxy` without hop counts; proxy-addr's hop semantics, as a function. */
function trustProxy(setting: boolean | number | string): boolean | string | ((addr: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_addr, hop) => hop < setting : setting;
}

/**
 * The HTTP app, built by this one function: public reader pages (subscribe, confirm,
 * preferences, unsubscribe), the web archive, and the admin API under `/api`. Routes are thin
 * and schema-first (zod); one error handler hides stacks and 5xx detail. URLs carry tokens, so
 * requests are logged by route pattern, never by URL.
 */
export async function buildApp(s: Services, log: Logger, opts: AppOptions = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: BODY_LIMIT,
    // Signed tokens are path parameters of a few hundred characters.
    routerOptions: { maxParamLength: 1024 },
    trustProxy: trustProxy(s.config.trustProxy),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const pages = await loadPages(s.templates.dir);
  installErrorHandling(app, pages, BODY_LIMIT);
  // Refuse a declared oversized body before anything reads it: fastify checks `bodyLimit` only
  // for the bodies it buffers itself, not for multipart or the streamed CSV import.
  app.addHook('onRequest', async (req) => {
    if (Number(req.headers['content-length']) > (req.routeOptions.bodyLimit ?? BODY_LIMIT)) throw tooLarge();
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        event: 'http.request',
        method: req.method,
        route: req.routeOptions.url ?? '(none)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT });
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { files: 0, fields: 50, fieldSize: 2048, parts: 50, fieldNameSize: 100 },
  });
  await app.register(fastifyCookie, { secret: createHmac('sha256', s.config.secret).update('cookie').digest('hex') });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'gazette-csrf',
    cookieOpts: {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/preferences',
      secure: s.config.publicUrl.startsWith('https:'),
    },
  });
  await app.register(fastifyRateLimit, {
    global: false,
    redis: s.redis,
    nameSpace: `${s.config.redisPrefix}:throttle:ip:`,
    skipOnError: true,
  });

  await registerOpsRoutes(app, s, opts.ops);
  registerReaderRoutes(app, s, pages, { subscribePerIpPerMinute: opts.subscribePerIpPerMinute ?? 20 });
  registerArchiveRoutes(app, s, pages);
  await app.register(
    async (api) => {
      registerAdminRoutes(api, s);
      registerEditionRoutes(api, s);
    },
    { prefix: '/api' },
  );
  return app;
}
