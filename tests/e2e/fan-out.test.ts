/**
 * Fan-out in bounded steps: an edition's send batches are added in chunks under its finish
 * job, and the edition ends only after the last batch — every reader sent once.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import type { Container } from '../../src/container.js';
import { ROOT, SAMPLE_PUBLICATION, seedSample, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const READERS = 1_101;

describe('an edition of more batches than one chunk', () => {
  const redis = testRedis('fan-out');
  let sink: SmtpSink;
  let gazette: Container;
  let dir: string;

  beforeAll(async () => {
    // The sample publication with batches of one reader: 1,101 batches, three chunks of adds.
    dir = await mkdtemp(path.join(os.tmpdir(), 'gazette-fan-out-'));
    const publication = JSON.parse(await readFile(SAMPLE_PUBLICATION, 'utf8'));
    publication.lists[0].batchSize = 1;
    publication.sources[0].path = path.join(ROOT, 'sample/briefings');
    await writeFile(path.join(dir, 'gazette.json'), JSON.stringify(publication));
    sink = await startSmtpSink();
    gazette = await startGazette(redis, sink, { GAZETTE_CONFIG: path.join(dir, 'gazette.json') });
    const readers = Array.from({ length: READERS }, (_, i) => ({
      email: `r${i}@example.com`,
      name: `R ${i}`,
      topics: [],
    }));
    await seedSample(gazette, readers);
    gazette.startWorkers();
  }, 120_000);

  afterAll(async () => {
    await gazette?.close();
    await sink?.close();
    await redis.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('adds every batch before the edition can end, and sends each reader exactly once', async () => {
    const s = gazette.services;
    const run = await runEdition(s, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
    if (run.status === 'skipped') throw new Error(run.reason);
    expect(run.result).toMatchObject({ state: 'dispatched', audience: READERS, dispatched: READERS, pending: 0 });

    const to = sink.messages.flatMap((m) => m.to);
    expect(to).toHaveLength(READERS);
    expect(new Set(to).size).toBe(READERS);

    const adder = await s.producer.queue('editions').getJob(`add-batches-${run.editionId}`);
    expect(await adder?.getState()).toBe('completed');
    expect(adder?.returnvalue).toBe(READERS);
  }, 240_000);
});
