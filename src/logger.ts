import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Ids a log line carries while a job runs: set once by the job runner, read by every logger. */
export interface LogContext {
  queue?: string;
  job?: string;
  jobId?: string;
  editionId?: string;
  listId?: string;
  sourceId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Run `fn` with these ids on every line logged inside it, however deep (async context). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

export type LogFormat = 'json' | 'pretty';

// Addresses anywhere in a string, and the token of a reader link (`/unsubscribe/<token>`).
const ADDRESS = /[^\s<>()[\]"',;:@]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/g;
const LINK_TOKEN = /\/(unsubscribe|preferences|confirm)\/[A-Za-z0-9_.~-]+/g;

/** A string with addresses and link tokens replaced. */
export function scrub(text: string): string {
  return text.replace(ADDRESS, '[address]').replace(LINK_TOKEN, '/$1/[token]');
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) return scrubValue(pino.stdSerializers.err(value), depth);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, depth + 1)]));
}

/** pino-pretty, when installed (a development dependency): else a line saying so. */
function prettyStream(fd: number): DestinationStream {
  const require = createRequire(import.meta.url);
  let pretty: (opts: object) => DestinationStream;
  try {
    pretty = require('pino-pretty') as typeof pretty;
  } catch {
    throw Object.assign(new Error('LOG_FORMAT=pretty needs pino-pretty (a development dependency): run npm install'), {
      code: 'LOG_FORMAT_UNAVAILABLE',
    });
  }
  return pretty({ destination: fd, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' });
}

export interface LoggerOptions {
  /** @defaultValue 'json' */
  format?: LogFormat;
  /** Where lines go. @defaultValue standard error (stdout stays for command output) */
  destination?: DestinationStream;
}

/**
 * The one root logger: JSON lines (or pino-pretty's lines) on stderr. While a job runs, every
 * line carries its queue, job id and edition id ({@link withLogContext}). Addresses and link
 * tokens are redacted wherever they appear: as fields, and inside strings and errors.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? (options.format === 'pretty' ? prettyStream(2) : pino.destination(2));
  return pino(
    {
      level,
      base: { app: 'gazette' },
      mixin: () => ({ ...context.getStore() }),
      formatters: { log: (obj) => scrubValue(obj, 0) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
        },
      },
      redact: {
        paths: [
          'email',
          '*.email',
          'to',
          '*.to',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'authorization',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };
