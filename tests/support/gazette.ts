/**
 * A real Gazette for tests: the container built from the sample publication, on the test
 * Redis (own prefix) and sending to the in-process SMTP sink.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE_READERS } from '../../src/cli/demo.js';
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

/** The environment of a `gazette` child process on the same Redis prefix and SMTP sink. */
export function gazetteEnv(redis: TestRedis, sink: SmtpSink): Record<string, string> {
  return {
    GAZETTE_ENV: 'test',
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    SECRET: TEST_SECRET,
    GAZETTE_CONFIG: SAMPLE_PUBLICATION,
    MAIL_TRANSPORT: `${sink.url}?ignoreTLS=true`,
    PUBLIC_URL: 'https://news.example',
    LOG_LEVEL: 'info',
    // `start` serves HTTP too: a free port each, so processes never collide.
    PORT: '0',
  };
}

/**
 * Collect the sample briefings and subscribe readers (default: the demo's sample readers) to
 * the sample list, confirmed. Returns reader ids by address.
 */
export async function seedSample(
  c: Container,
  readers: ReadonlyArray<{ email: string; name: string; topics: string[] }> = SAMPLE_READERS,
): Promise<Map<string, string>> {
  const s = c.services;
  const source = s.publication.sources[0];
  if (!source) throw new Error('sample source missing');
  await s.collector.collect(source);
  const ids = new Map<string, string>();
  for (const r of readers) {
    const reader = await s.readers.upsert(r.email, r.name);
    await s.readers.setSubscription('korea-daily', reader.id, {
      status: 'confirmed',
      topics: r.topics,
      consent: { source: 'test' },
    });
    ids.set(r.email, reader.id);
  }
  return ids;
}

/** The sample publication, without sources, with two more lists: Weekly (china, diplomacy, north-korea) and Alerts (north-korea); returns its path in `dir`. */
export async function writeThreeListPublication(dir: string): Promise<string> {
  const sample = JSON.parse(await readFile(SAMPLE_PUBLICATION, 'utf8')) as {
    lists: Array<Record<string, unknown>>;
    sources: unknown[];
  };
  const daily = sample.lists[0] ?? {};
  sample.lists.push(
    { ...daily, id: 'korea-weekly', name: 'Korea Pro Weekly', topics: ['china', 'diplomacy', 'north-korea'] },
    { ...daily, id: 'korea-alerts', name: 'Korea Pro Alerts', topics: ['north-korea'] },
  );
  sample.sources = [];
  const file = path.join(dir, 'gazette.json');
  await writeFile(file, JSON.stringify(sample));
  return file;
}
