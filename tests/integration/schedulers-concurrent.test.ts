/**
 * Several processes starting at once each apply the publication's schedulers: the queues end
 * with exactly one scheduler per list and per polled source, and a list dropped from the
 * publication loses its scheduler at the next start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { jobs } from '../../jobs/index.js';
import { loadPublication, type Publication } from '../../src/publication.js';
import { Producer } from '../../src/queue/producer.js';
import { applySchedulers } from '../../src/queue/schedulers.js';
import { SAMPLE_PUBLICATION } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';

const redis = testRedis('schedulers-concurrent');
const producers = Array.from({ length: 4 }, () => new Producer(redis.connect(), redis.prefix));
afterAll(async () => {
  await redis.cleanup();
});

const defs = { planEdition: jobs['plan-edition'], collect: jobs.collect };

async function schedulerIds(producer: Producer): Promise<string[]> {
  const all = [
    ...(await producer.queue(defs.planEdition.queue).getJobSchedulers()),
    ...(await producer.queue(defs.collect.queue).getJobSchedulers()),
  ];
  return all.map((s) => s.key).sort();
}

describe('applySchedulers from several processes at once', () => {
  it('leaves one scheduler per list and polled source, and removes a dropped list', async () => {
    const sample = await loadPublication(SAMPLE_PUBLICATION);
    const base = sample.lists[0];
    if (!base) throw new Error('sample list missing');
    const publication: Publication = {
      ...sample,
      lists: [base, { ...base, id: 'seoul-evening', schedule: { cron: '0 18 * * *', tz: 'Asia/Seoul' } }],
      sources: sample.sources.map((s) => ({ ...s, everySeconds: 600 })),
    };
    const expected = [
      ...publication.sources.map((s) => `collect-${s.id}`),
      `edition-${base.id}`,
      'edition-seoul-evening',
    ].sort();

    const applied = await Promise.all(producers.map((p) => applySchedulers(p, publication, defs)));
    for (const ids of applied) expect([...ids].sort()).toEqual(expected);
    const first = producers[0] as Producer;
    expect(await schedulerIds(first)).toEqual(expected);
    // One delayed next-run per scheduler, not one per process.
    const delayed = await first.queue(defs.planEdition.queue).getDelayed();
    expect(delayed.map((j) => j.repeatJobKey).sort()).toEqual([`edition-${base.id}`, 'edition-seoul-evening']);

    const without = { ...publication, lists: [base] };
    await Promise.all(producers.map((p) => applySchedulers(p, without, defs)));
    expect(await schedulerIds(first)).toEqual(expected.filter((id) => id !== 'edition-seoul-evening'));
  });
});
