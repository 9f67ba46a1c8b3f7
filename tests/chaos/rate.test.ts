/**
 * The send rate across workers: MAIL_RATE=200/s on both `gazette worker` processes, one edition
 * of 20,000 readers, and the SMTP sink's clock as the judge. The counter lives in Redis, so two
 * workers together must go no faster than the one limit, and no slower either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, figures, round, startFleet } from './support/fleet.js';

const READERS = Number(process.env.CHAOS_READERS ?? 20_000);
const RATE = 200;
/** 20,000 messages at 200/s take 100 s; this leaves room for a slow start on shared cores. */
const SETTLE_MS = 300_000;

/**
 * Messages accepted per whole second since the first acceptance. The first and the last second
 * are partial (the run starts and ends within them), so only the seconds between are steady.
 */
function perSecond(acceptedAt: readonly number[]): number[] {
  const first = acceptedAt[0] ?? 0;
  const buckets: number[] = [];
  for (const t of acceptedAt) {
    const i = Math.floor((t - first) / 1000);
    buckets[i] = (buckets[i] ?? 0) + 1;
  }
  return Array.from(buckets, (n) => n ?? 0);
}

describe(`MAIL_RATE=${RATE}/s across two worker processes`, () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ lists: ['rated'], readers: READERS, workerEnv: { MAIL_RATE: `${RATE}/s` } });
  }, 600_000);

  afterAll(async () => {
    await fleet?.close();
  });

  it(`holds ${RATE} msg/s within 10% over an edition of ${READERS}`, async () => {
    fleet.sink.reset();
    const startedAt = Date.now();
    const editionId = await fleet.dispatch('rated');
    const status = await fleet.settle(editionId, SETTLE_MS);
    const accepted = fleet.sink.acceptedAt;
    const steady = perSecond(accepted).slice(1, -1);
    const steadyRate = steady.reduce((a, b) => a + b, 0) / steady.length;
    const first = accepted[0] ?? 0;
    const last = accepted.at(-1) ?? 0;
    const result = {
      ...figures('rate', fleet.sink, READERS, startedAt),
      limit: RATE,
      steadySeconds: steady.length,
      achievedPerS: round(steadyRate),
      firstToLastPerS: round((accepted.length - 1) / ((last - first) / 1000)),
      maxSecond: Math.max(...steady),
      minSecond: Math.min(...steady),
    };
    console.log(JSON.stringify(result));

    expect(status).toMatchObject({ state: 'dispatched', audience: READERS, dispatched: READERS, pending: 0 });
    expect(result.missing).toBe(0);
    expect(result.duplicatesWithOtherId).toBe(0);
    // Long enough to judge a rate (20,000 at 200/s: about 100 steady seconds).
    expect(steady.length).toBeGreaterThanOrEqual(Math.floor(READERS / RATE) - 5);
    // The two workers together hold the one limit: within 10%, over the steady part and end to end.
    expect(result.achievedPerS).toBeGreaterThanOrEqual(RATE * 0.9);
    expect(result.achievedPerS).toBeLessThanOrEqual(RATE * 1.1);
    expect(result.firstToLastPerS).toBeGreaterThanOrEqual(RATE * 0.9);
    expect(result.firstToLastPerS).toBeLessThanOrEqual(RATE * 1.1);
  });
});
