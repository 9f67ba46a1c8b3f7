import pino, { type Logger } from 'pino';

/**
 * The one root logger: JSON lines to stderr (stdout stays for command output).
 * Addresses and tokens are redacted wherever they appear as fields.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { app: 'gazette' },
      redact: {
        paths: ['email', '*.email', 'to', '*.to', 'token', '*.token', 'secret', '*.secret'],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}

export type { Logger };
