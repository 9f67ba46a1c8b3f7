/**
 * The real `gazette` CLI as a child process (`node --import tsx src/cli/main.ts …`, cwd = repo
 * root), with an explicit environment: only PATH, HOME and TMPDIR are inherited, so nothing in
 * the developer's shell (a REDIS_URL to port 6379, say) leaks into a test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { expect } from 'vitest';
import { ROOT } from './gazette.js';

export const CLI = 'src/cli/main.ts';

export interface CliOptions {
  /** Kill the process (SIGKILL) and reject after this long. @defaultValue 30_000 */
  timeoutMs?: number;
  /** @defaultValue the repository root */
  cwd?: string;
}

export interface CliResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A pino log line from the child's stderr. */
export interface LogLine {
  event?: string;
  level?: number;
  msg?: string;
  [field: string]: unknown;
}

/** A running CLI process; see {@link spawnCli}. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Everything written so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** The JSON log lines on stderr so far, in order (other lines skipped). */
  logs(): LogLine[];
  /** Resolves with the first log line matching `match` (already written or to come); rejects after `timeoutMs` or when the process exits first. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once the process has exited; rejects (after SIGKILL) if it has not within `timeoutMs`. */
  exited(timeoutMs?: number): Promise<CliResult>;
  /** SIGKILL if still running, and wait for the exit: for `afterAll`. */
  stop(): Promise<void>;
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) inherited[name] = value;
  }
  return { ...inherited, ...env };
}

/** Starts `gazette <args>`; for long-running commands (`worker`, `start`). */
export function spawnCli(args: readonly string[], env: Record<string, string>, opts: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let closed = false;
  /** 'output' on every stderr chunk, 'close' once the process has exited and its pipes are drained. */
  const events = new EventEmitter();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    events.emit('output');
  });
  const exit = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': the output pipes are drained by then.
    child.once('close', (code, signal) => {
      closed = true;
      events.emit('close');
      resolve({ code, signal, stdout, stderr });
    });
  });
  exit.catch(() => {});

  const logs = (): LogLine[] =>
    stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as LogLine];
        } catch {
          return [];
        }
      });

  const describe = () => `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    logs,
    waitForLog(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs().find(match);
          if (found) finish(() => resolve(found));
        };
        const onClose = () => {
          check();
          finish(() => reject(new Error(`gazette ${args.join(' ')} exited before the awaited log line${describe()}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no matching log line after ${timeoutMs} ms${describe()}`))),
          timeoutMs,
        );
        let settled = false;
        function finish(settle: () => void) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          events.off('output', check);
          events.off('close', onClose);
          settle();
        }
        events.on('output', check);
        events.once('close', onClose);
        check();
        if (closed) onClose();
      });
    },
    async exited(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`gazette ${args.join(' ')} still running after ${timeoutMs} ms (killed)${describe()}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop() {
      if (!closed) child.kill('SIGKILL');
      await exit.catch(() => {});
    },
  };
}

/** Runs `gazette <args>` to the end; rejects (after SIGKILL) if it takes longer than `timeoutMs`. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  opts: CliOptions = {},
): Promise<CliResult> {
  return spawnCli(args, env, opts).exited(opts.timeoutMs ?? 30_000);
}

/** A line of a stack trace: never in what a command prints, unless `--debug`. */
export const STACK = /^\s+at /m;

/** A usage error or failure: exactly one line on stderr, nothing on stdout, no stack. */
export function expectOneLine(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^gazette: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stdout).toBe('');
}
