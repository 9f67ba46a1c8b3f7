import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, CommanderError } from '@commander-js/extra-typings';
import { ConfigError } from '../config.js';
import type { Container } from '../container.js';
import { PublicationError } from '../publication.js';
import { boot, FailureError, UsageError } from './boot.js';

/** A line of command output on stdout (logs and progress go to stderr). */
export const out = (line: string) => process.stdout.write(`${line}\n`);

/** One JSON document on stdout, for `--json`. */
export const outJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** True when `--debug` was given anywhere on the command line. */
export const debugFlag = () => process.argv.includes('--debug');

/**
 * Run a command with a booted container, closing it afterwards. One-shot commands speak for
 * themselves, so their log lines are off unless LOG_LEVEL is set (or `--debug`).
 */
export function withServices<A extends unknown[]>(fn: (c: Container, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    const container = await boot({ LOG_LEVEL: 'silent' }, debugFlag() ? { LOG_LEVEL: 'debug' } : {});
    try {
      await fn(container, ...args);
    } finally {
      await container.close();
    }
  };
}

export type WithServices = typeof withServices;

/** The version in package.json (found upwards from this file: `src/cli` or `dist/src/cli`). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'gazette' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

// biome-ignore lint/suspicious/noExplicitAny: any command of the tree, whatever its options
type AnyCommand = Command<any, any, any>;

/** `gazette readers import`, for help hints. */
function commandPath(cmd: AnyCommand): string {
  const names: string[] = [];
  for (let c: typeof cmd | null = cmd; c; c = c.parent as typeof cmd | null) names.unshift(c.name());
  return names.join(' ');
}

/** Commander's own usage errors, with the command they came from. */
class CommandUsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
  }
}

/**
 * On every command: required options marked in the help, and commander's usage errors thrown
 * (as one line naming the command's help) instead of printed with the help and exit code 1.
 */
export function configureCommands(cmd: AnyCommand): void {
  cmd.configureHelp({
    optionTerm: (option) => (option.mandatory ? `${option.flags} (required)` : option.flags),
    sortSubcommands: false,
  });
  cmd.configureOutput({ outputError: () => {} });
  cmd.exitOverride((err) => {
    if (err.exitCode === 0 || err.code === 'commander.help' || err.code === 'commander.helpDisplayed') throw err;
    const message = err.message
      .replace(/^error: /, '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ');
    throw new CommandUsageError(message, commandPath(cmd));
  });
  for (const sub of cmd.commands) configureCommands(sub as AnyCommand);
}

/**
 * Print one line for an error and return the exit code: 2 for what the user can fix in the
 * command line (usage), 1 for failures. A stack trace only with `debug`.
 */
export function reportFailure(err: unknown, debug: boolean): number {
  const write = (line: string) => process.stderr.write(`gazette: ${line}\n`);
  if (err instanceof CommanderError) return err.exitCode; // help or version, already printed
  if (err instanceof CommandUsageError) {
    write(`${err.message}; see \`${err.command} --help\``);
    return 2;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`gazette: invalid configuration\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 2;
  }
  if (err instanceof PublicationError || err instanceof UsageError) {
    write(err.message);
    return 2;
  }
  if (err instanceof FailureError) {
    write(err.message);
    if (debug && err.cause instanceof Error && err.cause.stack) process.stderr.write(`${err.cause.stack}\n`);
    return 1;
  }
  const message = (err instanceof Error ? err.message : String(err)).split('\n').join('; ');
  const code = (err as { code?: unknown }).code;
  const coded = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? ` (${code})` : '';
  write(`${message}${coded}${debug ? '' : '; run again with --debug for the details'}`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}
