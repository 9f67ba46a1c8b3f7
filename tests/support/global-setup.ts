/**
 * Vitest global setup: starts a private Debian `redis-server` on a free 127.0.0.1 port for the
 * whole run and hands its URL to test files as `inject('redisUrl')`. Never uses port 6379.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:PORT` of the run's private redis-server. */
    redisUrl: string;
  }
}

const READY = 'Ready to accept connections';
const START_TIMEOUT_MS = 15_000;

/** Asks the kernel for a free port by listening on port 0, then releases it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port && port !== 6379 ? resolve(port) : reject(new Error('no usable free port'))));
    });
  });
}

/** Resolves once the server logs that it accepts connections; rejects if it exits or stalls. */
function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => done(new Error(`redis-server not ready after ${START_TIMEOUT_MS} ms:\n${log}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes(READY)) done();
    };
    const onExit = (code: number | null): void =>
      done(new Error(`redis-server exited (${code}) before ready:\n${log}`));
    const onError = (err: Error): void => done(err);
    function done(err?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) reject(err);
      else resolve();
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Waits for the child to exit, killing it harder if SIGTERM is not enough. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts redis-server, provides `redisUrl`, and returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not on PATH: install it (apt-get install -y redis-server) to run the tests');
  }
  const dir = await mkdtemp(join(tmpdir(), 'gazette-test-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // The free port can be taken between probing and binding: try a few times.
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    const args = ['--save', '', '--appendonly', 'no', '--dir', dir, '--bind', '127.0.0.1', '--port', String(port)];
    const candidate = spawn('redis-server', [...args, '--protected-mode', 'yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    candidate.stderr?.resume();
    try {
      await waitReady(candidate);
      candidate.stdout?.resume();
      child = candidate;
    } catch (err) {
      await stop(candidate);
      if (attempt >= 3 || !String(err).includes('in use')) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const server = child;
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
  return async () => {
    await stop(server);
    await rm(dir, { recursive: true, force: true });
  };
}
