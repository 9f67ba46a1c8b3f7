import { existsSync } from 'node:fs';
import { type Config, loadConfig } from '../config.js';
import { type Container, createContainer } from '../container.js';
import { createLogger, type Logger } from '../logger.js';
import { loadPublication, type Publication } from '../publication.js';
import { inspectRedis, type RedisTraits } from '../store/redis.js';
import { redactRedisUrl } from '../store/redis-url.js';

/** A problem the user can fix in the command line: printed as is, without a stack, exit code 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** Something failed that the command line cannot fix (Redis down, a send failed): one line, exit code 1. */
export class FailureError extends Error {
  readonly code = 'FAILURE';
}

/**
 * Read `.env` (when present), then the environment and the publication file. `defaults` apply
 * to unset variables; `overrides` win over the environment.
 */
export async function loadSettings(
  defaults: Record<string, string> = {},
  overrides: Record<string, string> = {},
): Promise<{ config: Config; publication: Publication }> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig({ ...process.env, ...overrides }, defaults);
  const publication = await loadPublication(config.publicationFile);
  return { config, publication };
}

/** Settings, a reachable Redis (checked first, so a dead one fails fast), then the container. */
export async function boot(
  defaults: Record<string, string> = {},
  overrides: Record<string, string> = {},
): Promise<Container> {
  const { config, publication } = await loadSettings(defaults, overrides);
  let traits: RedisTraits;
  try {
    traits = await inspectRedis(config.redisUrl);
  } catch (err) {
    throw new FailureError(
      `cannot reach Redis at ${redactUrl(config.redisUrl)} (${(err as Error).message}): start it, or set REDIS_URL to one that runs`,
      { cause: err },
    );
  }
  const log = createLogger(config.logLevel, { format: config.logFormat });
  guardRedis(config, traits, log);
  return createContainer(config, publication, log);
}

/**
 * Production guards on the Redis: one that evicts keys under memory pressure would drop queued
 * jobs and ledger entries silently, so anything but `noeviction` is refused; without the
 * append-only file a Redis restart loses the last snapshot's worth of work, so in production
 * that is a warning.
 */
export function guardRedis(config: Config, traits: RedisTraits, log: Logger): void {
  const where = redactUrl(config.redisUrl);
  if (traits.maxmemoryPolicy !== undefined && traits.maxmemoryPolicy !== 'noeviction') {
    throw new UsageError(
      `Redis at ${where} has maxmemory-policy ${traits.maxmemoryPolicy}: it would evict queued jobs and ` +
        `delivery records under memory pressure; set maxmemory-policy noeviction (redis.conf, or ` +
        `CONFIG SET maxmemory-policy noeviction)`,
    );
  }
  if (traits.aofEnabled === false && config.env === 'production') {
    log.warn(
      { event: 'redis.aof-off', redis: where },
      'Redis runs without the append-only file: a restart loses the work since its last snapshot; set appendonly yes',
    );
  }
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  return redactRedisUrl(url);
}
