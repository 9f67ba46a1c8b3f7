/** Child processes of the benchmark, and what Linux says about them (/proc): CPU time and peak RSS. */
import { type ChildProcess, fork, type Serializable } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TICKS = 100; // USER_HZ on Linux

/** Fork a TypeScript file of the repo as a Node process (tsx loader), with IPC. */
export function forkTs(
  file: string,
  args: string[] = [],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): ChildProcess {
  return fork(path.join(ROOT, file), args, {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', ...nodeArgs],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

/** User + system CPU time of a process so far, in µs. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS;
}

/** Peak resident set size of a process (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** The next IPC message of `child` matching `test`. */
export function nextMessage<T>(child: ChildProcess, test: (m: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (!test(m)) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Send a message and wait for the answer. */
export async function ask<T>(child: ChildProcess, message: Serializable): Promise<T> {
  const answer = nextMessage<T>(child);
  child.send(message);
  return answer;
}

/** Stops a child politely (SIGTERM), harder after 10 s. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
  child.kill('SIGTERM');
  await once(child, 'exit');
  clearTimeout(hard);
}

/** Keeps a child's output (last 4 KB) for error messages, so a full pipe never stalls it. */
export function tail(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4096);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

/** The SMTP sink in its own process. */
export async function startSink(): Promise<{
  child: ChildProcess;
  port: number;
  count(reset?: boolean): Promise<SinkCount>;
}> {
  const child = forkTs('bench/sink.ts');
  tail(child);
  const { port } = await nextMessage<{ port: number }>(child, (m) => 'port' in m);
  return {
    child,
    port,
    count: (reset = false) => ask<SinkCount>(child, { ask: reset ? 'reset' : 'count' }),
  };
}

export interface SinkCount {
  count: number;
  bytes: number;
  lastAt: number;
}
