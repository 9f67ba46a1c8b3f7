import { existsSync } from 'node:fs';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { type Container, createContainer } from '../container.js';
import { createLogger } from '../logger.js';
import { loadPublication, type Publication, PublicationError } from '../publication.js';
import { pingRedis } from '../store/redis.js';

/** A problem the user can fix: printed as is, without a stack, exit code 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
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
  try {
    await pingRedis(config.redisUrl);
  } catch (err) {
    throw new UsageError(
      `cannot reach Redis at ${redactUrl(config.redisUrl)} (${(err as Error).message}); set REDIS_URL`,
    );
  }
  return createContainer(config, publication, createLogger(config.logLevel));
}

/** Print a readable error for what the user can fix; anything else with its stack. */
export function reportFailure(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`gazette: invalid configuration\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 2;
  }
  if (err instanceof PublicationError || err instanceof UsageError) {
    process.stderr.write(`gazette: ${err.message}\n`);
    return 2;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) {
    process.stderr.write(`gazette: ${(err as Error).message} (${code})\n`);
    return 1;
  }
  process.stderr.write(`gazette: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
