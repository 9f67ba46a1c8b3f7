import { z } from 'zod';
import { hashTag, parseRedisUrl } from './store/redis-url.js';
import { formatIssues } from './zod-issues.js';

/** DKIM signature algorithms: rsa-sha256 (RFC 6376) and ed25519-sha256 (RFC 8463). */
export const DKIM_ALGORITHMS = ['rsa-sha256', 'ed25519-sha256'] as const;
export type DkimAlgorithm = (typeof DKIM_ALGORITHMS)[number];

/** A send rate: `N/s`, `N/min` or `N/h` (e.g. `200/s`), or `0` for none. */
export const RATE = z
  .string()
  .regex(/^(0|[1-9]\d*\/(s|sec|second|m|min|minute|h|hour))$/, 'must be N/s, N/min or N/h (e.g. 200/s), or 0');

/**
 * The only reader of `process.env`. One zod schema, read once, frozen.
 * Error messages name the variable and never echo its value.
 */

const mailTransport = z
  .string()
  .refine((v) => /^(smtps?:\/\/.+|outbox:.+)$/.test(v), 'must be smtp://…, smtps://… or outbox:DIR');

const envSchema = z
  .object({
    /**
     * `development` allows a built-in, public SECRET; anything else requires one. Production by
     * default, so a forgotten SECRET stops the program instead of signing links with a public key.
     * @defaultValue production
     */
    GAZETTE_ENV: z.enum(['development', 'production', 'test']).default('production'),
    /**
     * One Redis (`redis://`, `rediss://`), or a Redis Cluster through its seed nodes
     * (`redis+cluster://host:port,host:port`, `rediss+cluster://` for TLS).
     * @defaultValue redis://127.0.0.1:6379
     */
    REDIS_URL: z
      .string()
      .superRefine((url, ctx) => {
        try {
          parseRedisUrl(url);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .default('redis://127.0.0.1:6379'),
    /** Key prefix in Redis for all of Gazette's data and queues; a hash tag keeps Redis Cluster happy. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9{}_-]+$/, 'letters, digits, _ - { } only')
      .default('{gazette}'),
    GAZETTE_CONFIG: z.string().min(1).default('sample/gazette.json'),
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** One key (id `k1`), or a key ring `kid:key,kid:key` (the first signs, all verify). */
    SECRET: z.string().min(1).optional(),
    /** A key ring `kid:key,kid:key`; wins over SECRET when set. */
    SECRETS: z.string().min(1).optional(),
    /** Client IP behind a proxy: `false` (default), `true`, a hop count, or addresses/CIDRs. */
    TRUST_PROXY: z.string().min(1).default('false'),
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** The queue dashboard shows jobs but offers no retry, remove or promote buttons. */
    DASHBOARD_READ_ONLY: z.enum(['true', 'false']).default('false'),
    MAIL_TRANSPORT: mailTransport.default('outbox:outbox'),
    MAIL_FROM: z.string().min(3).default('Gazette <gazette@localhost>'),
    /** Address used for `mailto:` unsubscribe; defaults to unsubscribe@<MAIL_FROM domain>. */
    MAIL_UNSUBSCRIBE: z.email().optional(),
    /** Concurrent jobs per queue in one worker process. */
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
    /** SMTP connections per worker process (the pool), measured with `npm run bench`. */
    SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(5),
    /**
     * How SMTP digests are composed: `fast` (each topic set's message built once, filled per
     * reader) or `sendMail` (nodemailer composes every message: the path before the fast one,
     * kept as a fallback and as the benchmark's naive row).
     */
    MAIL_COMPOSE: z.enum(['fast', 'sendMail']).default('fast'),
    DKIM_DOMAIN: z.string().min(1).optional(),
    /** Selectors, comma-separated: one per DKIM_ALGORITHM entry, in order. */
    DKIM_SELECTOR: z.string().min(1).optional(),
    /** PEM key files, comma-separated: one per DKIM_ALGORITHM entry, in order. */
    DKIM_PRIVATE_KEY_FILE: z.string().min(1).optional(),
    /**
     * Signatures per message, comma-separated: `rsa-sha256` (RFC 6376), `ed25519-sha256`
     * (RFC 8463) or both (dual signing, for verifiers that know only RSA).
     */
    DKIM_ALGORITHM: z
      .string()
      .default('rsa-sha256')
      .transform((v) => v.split(',').map((a) => a.trim()))
      .pipe(z.array(z.enum(DKIM_ALGORITHMS)).min(1))
      .refine((a) => new Set(a).size === a.length, 'names an algorithm twice'),
    /** Attempts of a send batch before its readers count as pending (the edition then ends `incomplete`). */
    SEND_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
    /** First retry delay of a send batch in ms; doubles each attempt. */
    SEND_BACKOFF_MS: z.coerce.number().int().min(1).max(3_600_000).default(5_000),
    /** Consecutive temporary SMTP failures across an edition after which it pauses itself. */
    ERROR_BUDGET_TRANSIENT: z.coerce.number().int().min(1).default(50),
    /**
     * Messages per second, minute or hour across every worker (`200/s`, `6000/min`, `50000/h`);
     * unset or `0`: no limit beyond what the server allows.
     */
    MAIL_RATE: RATE.optional(),
    /** Days after an edition ends before its audience, renders and ledger expire (fractions allowed). */
    EDITION_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(30),
    /**
     * Allow an `http://` PUBLIC_URL while sending over SMTP outside development (RFC 8058
     * one-click unsubscribe needs https; set this only behind a proxy that serves https).
     */
    ALLOW_HTTP_PUBLIC_URL: z.enum(['true', 'false']).default('false'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `json` (one object a line, for machines) or `pretty` (pino-pretty, for people). */
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  })
  .superRefine((env, ctx) => {
    for (const [name, value] of [
      ['SECRET', env.SECRET],
      ['SECRETS', env.SECRETS],
    ] as const) {
      const problem = value === undefined ? null : keyRingProblem(name, value);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
    if (env.GAZETTE_ENV !== 'development' && !env.SECRET && !env.SECRETS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRET'],
        message: `is required when GAZETTE_ENV=${env.GAZETTE_ENV} (set SECRET, or GAZETTE_ENV=development to sign links with a public development key)`,
      });
    }
    if (env.REDIS_URL.includes('+cluster://') && hashTag(env.REDIS_PREFIX) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_PREFIX'],
        message:
          'must carry a hash tag such as {gazette} on a Redis Cluster (every key must hash to one slot for BullMQ and the delivery ledger)',
      });
    }
    const dkim = [env.DKIM_DOMAIN, env.DKIM_SELECTOR, env.DKIM_PRIVATE_KEY_FILE];
    if (dkim.some(Boolean) && !dkim.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['DKIM_DOMAIN'],
        message: 'DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE must be set together',
      });
    }
    if (env.DKIM_SELECTOR && env.DKIM_PRIVATE_KEY_FILE) {
      const n = env.DKIM_ALGORITHM.length;
      for (const name of ['DKIM_SELECTOR', 'DKIM_PRIVATE_KEY_FILE'] as const) {
        if (listOf(env[name]).length !== n)
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `needs ${n} comma-separated value${n > 1 ? 's' : ''}, one per DKIM_ALGORITHM entry (${env.DKIM_ALGORITHM.join(',')})`,
          });
      }
      if (n > 1 && new Set(listOf(env.DKIM_SELECTOR)).size < n)
        ctx.addIssue({
          code: 'custom',
          path: ['DKIM_SELECTOR'],
          message: 'needs one selector per key (one DNS record each)',
        });
    }
    if (
      env.GAZETTE_ENV !== 'development' &&
      env.MAIL_TRANSPORT.startsWith('smtp') &&
      env.PUBLIC_URL.startsWith('http://') &&
      env.ALLOW_HTTP_PUBLIC_URL !== 'true'
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_URL'],
        message:
          'must be https:// when sending over SMTP (one-click unsubscribe links, RFC 8058, need https); set ALLOW_HTTP_PUBLIC_URL=true if a proxy serves it over https, or GAZETTE_ENV=development',
      });
    }
  });

/** `200/s` → 200 messages per 1 s window; `0` or unset → no limit. */
export function parseRate(value: string | undefined): { messages: number; perSeconds: number } | undefined {
  if (!value || value === '0') return undefined;
  const [count = '0', unit = 's'] = value.split('/');
  const perSeconds = unit.startsWith('h') ? 3600 : unit.startsWith('m') ? 60 : 1;
  return { messages: Number(count), perSeconds };
}

/** Used only when GAZETTE_ENV=development and no SECRET is set: links are then forgeable by anyone. */
const DEVELOPMENT_SECRET = 'gazette-development-secret-do-not-use-in-production';

/** A signing key with its id; the id travels in every token. */
export interface SigningKey {
  id: string;
  key: string;
}

const RING = /^[A-Za-z0-9_-]{1,16}:[^,]+(,[A-Za-z0-9_-]{1,16}:[^,]+)*$/;

/**
 * `kid:key,kid:key` → keys in order; anything else is one key with id `k1` (the id every link
 * carried before key rotation existed, so those links keep verifying).
 */
export function parseKeyRing(value: string, ring = RING.test(value)): SigningKey[] {
  if (!ring) return [{ id: 'k1', key: value }];
  return value.split(',').map((part) => {
    const at = part.indexOf(':');
    return { id: part.slice(0, at), key: part.slice(at + 1) };
  });
}

function keyRingProblem(name: string, value: string): string | null {
  const ring = name === 'SECRETS' || RING.test(value);
  if (name === 'SECRETS' && !RING.test(value)) return 'must be kid:key,kid:key (ids: letters, digits, _ -)';
  const keys = parseKeyRing(value, ring);
  if (keys.some((k) => k.key.length < 32)) {
    return ring ? 'every key must be at least 32 characters' : 'must be at least 32 characters';
  }
  if (new Set(keys.map((k) => k.id)).size !== keys.length) return 'key ids must be unique';
  return null;
}

function trustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

export type MailTransportSetting = { kind: 'smtp'; url: string } | { kind: 'outbox'; dir: string };

export interface Config {
  env: 'development' | 'production' | 'test';
  redisUrl: string;
  redisPrefix: string;
  publicationFile: string;
  publicUrl: string;
  port: number;
  /** The first signing key (new links are signed with it). */
  secret: string;
  /** Every signing key, first one signs; all verify. */
  secrets: SigningKey[];
  /** fastify's `trustProxy`: whom to believe about the client IP. */
  trustProxy: boolean | number | string;
  /** True when no SECRET was given (development only): links are then forgeable. */
  usingDevelopmentSecret: boolean;
  adminToken?: string;
  /** DASHBOARD_READ_ONLY. */
  dashboardReadOnly: boolean;
  mail: {
    transport: MailTransportSetting;
    from: string;
    unsubscribeAddress: string;
    dkim?: {
      domainName: string;
      keys: Array<{ algorithm: DkimAlgorithm; keySelector: string; privateKeyFile: string }>;
    };
    /** SMTP_MAX_CONNECTIONS. */
    maxConnections: number;
    /** MAIL_COMPOSE. */
    compose: 'fast' | 'sendMail';
  };
  workerConcurrency: number;
  send: {
    attempts: number;
    backoffMs: number;
    transientBudget: number;
    /** Messages per window across all workers (MAIL_RATE); absent: unlimited. */
    rate?: { messages: number; perSeconds: number };
  };
  /** Seconds after an edition ends before its per-reader data expires. */
  retentionSeconds: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

function fromDomain(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost';
}

/**
 * Validate `env` (default: `process.env`) into a frozen Config; throws ConfigError listing every
 * problem. `defaults` fill variables that are unset (the demo uses its own prefix, for example).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaults: Record<string, string> = {}): Config {
  const given = Object.entries(env).filter(([, v]) => v !== undefined && v !== '');
  const present = { ...defaults, ...Object.fromEntries(given) };
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  const e = parsed.data;
  const transport: MailTransportSetting = e.MAIL_TRANSPORT.startsWith('outbox:')
    ? { kind: 'outbox', dir: e.MAIL_TRANSPORT.slice('outbox:'.length) }
    : { kind: 'smtp', url: e.MAIL_TRANSPORT };
  const secrets = e.SECRETS
    ? parseKeyRing(e.SECRETS, true)
    : parseKeyRing(e.SECRET ?? DEVELOPMENT_SECRET, e.SECRET !== undefined && RING.test(e.SECRET));
  const config: Config = {
    env: e.GAZETTE_ENV,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    publicationFile: e.GAZETTE_CONFIG,
    publicUrl: e.PUBLIC_URL.replace(/\/+$/, ''),
    port: e.PORT,
    secret: secrets[0]?.key ?? DEVELOPMENT_SECRET,
    secrets,
    trustProxy: trustProxy(e.TRUST_PROXY),
    usingDevelopmentSecret: !e.SECRET && !e.SECRETS,
    ...(e.ADMIN_TOKEN ? { adminToken: e.ADMIN_TOKEN } : {}),
    dashboardReadOnly: e.DASHBOARD_READ_ONLY === 'true',
    mail: {
      transport,
      from: e.MAIL_FROM,
      unsubscribeAddress: e.MAIL_UNSUBSCRIBE ?? `unsubscribe@${fromDomain(e.MAIL_FROM)}`,
      maxConnections: e.SMTP_MAX_CONNECTIONS,
      compose: e.MAIL_COMPOSE,
      ...(e.DKIM_DOMAIN && e.DKIM_SELECTOR && e.DKIM_PRIVATE_KEY_FILE
        ? {
            dkim: {
              domainName: e.DKIM_DOMAIN,
              keys: e.DKIM_ALGORITHM.map((algorithm, i) => ({
                algorithm,
                keySelector: listOf(e.DKIM_SELECTOR)[i] ?? '',
                privateKeyFile: listOf(e.DKIM_PRIVATE_KEY_FILE)[i] ?? '',
              })),
            },
          }
        : {}),
    },
    workerConcurrency: e.WORKER_CONCURRENCY,
    send: {
      attempts: e.SEND_ATTEMPTS,
      backoffMs: e.SEND_BACKOFF_MS,
      transientBudget: e.ERROR_BUDGET_TRANSIENT,
      ...(parseRate(e.MAIL_RATE) ? { rate: parseRate(e.MAIL_RATE) } : {}),
    },
    retentionSeconds: e.EDITION_RETENTION_DAYS * 86_400,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
  };
  return Object.freeze(config);
}

function listOf(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}
