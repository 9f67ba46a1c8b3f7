/** A Gazette for the benchmark: environment, an in-process container (seeding, triggering) and worker processes. */
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';
import { loadPublication } from '../../src/publication.js';
import { forkTs, tail } from './procs.js';

export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

export function benchEnv(o: {
  redisUrl: string;
  prefix: string;
  publicationFile: string;
  smtpPort?: number;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    GAZETTE_ENV: 'test',
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    SECRET: BENCH_SECRET,
    GAZETTE_CONFIG: o.publicationFile,
    MAIL_TRANSPORT: o.smtpPort ? `smtp://127.0.0.1:${o.smtpPort}?ignoreTLS=true` : 'outbox:/tmp/gazette-bench-unused',
    PUBLIC_URL: 'https://news.example',
    LOG_LEVEL: 'warn',
    PORT: '0',
    ...o.extra,
  };
}

export async function benchContainer(env: Record<string, string>): Promise<Container> {
  const config = loadConfig({ ...env, LOG_LEVEL: 'warn' });
  return createContainer(config, await loadPublication(config.publicationFile), createLogger(config.logLevel));
}

/** Starts `gazette worker` processes and resolves once each has started its workers. */
export async function startWorkerProcesses(count: number, env: Record<string, string>): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      // BENCH_CPU_PROF=DIR: each worker writes a V8 CPU profile there when it stops.
      const prof = process.env.BENCH_CPU_PROF;
      const child = forkTs(
        'src/cli/main.ts',
        ['worker'],
        { ...env, LOG_LEVEL: 'info' },
        prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [],
      );
      const output = tail(child);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output()}`)), 60_000);
        const onData = (chunk: Buffer) => {
          if (!chunk.toString().includes('workers.started')) return;
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stderr?.off('data', onData);
          resolve();
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', onData);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`worker exited (${code}):\n${output()}`));
        });
      });
      child.removeAllListeners('exit');
      return child;
    }),
  );
}
