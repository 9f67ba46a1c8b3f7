/**
 * The real HTTP app for tests, on a real Gazette container (test Redis prefix, SMTP sink).
 * Routes are exercised with `app.inject()`, or over a socket after `app.listen()`.
 */
import type { Container } from '../../src/container.js';
import { type App, type AppOptions, buildApp } from '../../src/http/app.js';
import { startGazette } from './gazette.js';
import type { TestRedis } from './redis.js';
import type { SmtpSink } from './smtp.js';

export interface TestApp {
  gazette: Container;
  app: App;
  close(): Promise<void>;
}

export async function startApp(
  redis: TestRedis,
  sink: SmtpSink,
  env: Record<string, string> = {},
  opts: AppOptions = {},
): Promise<TestApp> {
  const gazette = await startGazette(redis, sink, { ADMIN_TOKEN: ADMIN, ...env });
  const app = await buildApp(gazette.services, gazette.log, opts);
  await app.ready();
  return {
    gazette,
    app,
    async close() {
      await app.close();
      await gazette.close();
    },
  };
}

export const ADMIN = 'admin-token-for-tests-0123456789';

/** The first link to `path` (e.g. `/confirm/`) in a text part; its token. */
export function tokenIn(text: string | undefined, path: string): string {
  const match = new RegExp(`${path.replace(/\//g, '\\/')}([A-Za-z0-9_.-]+)`).exec(text ?? '');
  if (!match?.[1]) throw new Error(`no ${path} link in:\n${text}`);
  return match[1];
}

/** `name=value` pairs of Set-Cookie headers, for a Cookie header. */
export function cookiesOf(setCookie: string | string[] | undefined): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list.map((c) => c.split(';')[0]).join('; ');
}

/** The hidden CSRF field of a rendered form. */
export function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no _csrf field in the page');
  return match[1];
}
