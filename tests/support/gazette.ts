/**
 * A real Gazette for tests: the container built from the sample publication, on the test
 * Redis (own prefix) and sending to the in-process SMTP sink.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';
import { loadPublication } from '../../src/publication.js';
import type { TestRedis } from './redis.js';
import type { SmtpSink } from './smtp.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SAMPLE_PUBLICATION = path.join(ROOT, 'sample/gazette.json');
export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

export async function startGazette(
  redis: TestRedis,
  sink: SmtpSink,
  env: Record<string, string> = {},
): Promise<Container> {
  const config = loadConfig({
    GAZETTE_ENV: 'test',
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    MAIL_TRANSPORT: `${sink.url}?ignoreTLS=true`,
    PUBLIC_URL: 'https://news.example',
    SECRET: TEST_SECRET,
    GAZETTE_CONFIG: SAMPLE_PUBLICATION,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const publication = await loadPublication(config.publicationFile);
  return createContainer(config, publication, createLogger(config.logLevel));
}
