import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const READY = 'Ready to accept connections';

/** A free TCP port on 127.0.0.1 (never 6379), found by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port && port !== 6379 ? resolve(port) : reject(new Error('no usable free port'))));
    });
  });
}

export interface PrivateRedis {
  url: string;
  /** The data directory (AOF and dump files live here while the server runs). */
  dir: string;
  /**
   * Stop the server (SIGTERM: with the append-only file on, it syncs it first) and start it
   * again on the same port and directory, resolving once it accepts connections again.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Persist with the append-only file (`appendfsync everysec`), as production should. @defaultValue false */
  appendOnly?: boolean;
}

/** Resolves once the server logs that it accepts connections; rejects if it exits, fails or stalls. */
function waitReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => done(new Error(`redis-server not ready after ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(READY)) done();
    };
    const onExit = (code: number | null) =>
      done(new Error(`redis-server exited (${code}) before it was ready:\n${log}`));
    const onError = (err: NodeJS.ErrnoException) =>
      done(err.code === 'ENOENT' ? new Error('redis-server is not on PATH') : err);
    function done(err?: Error) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining its output, or a full pipe would stall the server.
      child.stdout?.resume();
      err ? reject(err) : resolve();
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Waits for the child to exit, killing it harder if SIGTERM is not enough. */
function stopChild(child: ChildProcess): Promise<void> {
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

/**
 * Start `redis-server` from PATH on a free port of 127.0.0.1 and wait until it accepts
 * connections: in memory only unless `appendOnly` is set. Rejects with a readable reason when
 * the binary is missing or does not start. `extraArgs` (e.g. `['--maxmemory-policy',
 * 'allkeys-lru']`) are passed on to the server after Gazette's own.
 */
export async function startPrivateRedis(
  timeoutMs = 15_000,
  extraArgs: readonly string[] = [],
  options: PrivateRedisOptions = {},
): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gazette-redis-'));
  const launch = (port: number) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
    args.push('--appendonly', options.appendOnly ? 'yes' : 'no');
    const child = spawn('redis-server', [...args, '--protected-mode', 'yes', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.resume();
    return child;
  };
  // The free port can be taken between probing and binding: try a few times.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let child = launch(port);
    try {
      await waitReady(child, timeoutMs);
      return {
        url: `redis://127.0.0.1:${port}`,
        dir,
        async restart() {
          await stopChild(child);
          child = launch(port);
          await waitReady(child, timeoutMs);
        },
        async stop() {
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      await stopChild(child);
      if (attempt >= 3 || !String(err).includes('in use')) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}
