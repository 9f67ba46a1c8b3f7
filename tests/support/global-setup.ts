/**
 * Vitest global setup: starts a private Debian `redis-server` on a free 127.0.0.1 port for the
 * whole run (the same code the demo uses) and hands its URL to test files as
 * `inject('redisUrl')`. Never uses port 6379.
 */
import type { TestProject } from 'vitest/node';
import { startPrivateRedis } from '../../src/store/private-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:PORT` of the run's private redis-server. */
    redisUrl: string;
  }
}

/** Starts redis-server, provides `redisUrl`, and returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startPrivateRedis().catch((err: Error) => {
    throw err.message === 'redis-server is not on PATH'
      ? new Error('redis-server is not on PATH: install it (apt-get install -y redis-server) to run the tests')
      : err;
  });
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
