/**
 * A list's cron + IANA time zone, applied as a real BullMQ job scheduler, fires at the right UTC
 * instant on both sides of each daylight-saving change. The 2026 changes are already past on this
 * machine's clock and BullMQ computes a scheduler's next run from max(startDate, now), so the
 * test uses the 2027 changes (EU: Mar 28, Oct 31; US: Mar 14, Nov 7), with the same repeat shape
 * applySchedulers upserts ({ pattern, tz }) plus a `startDate` just before each day.
 */
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { testRedis } from '../support/redis.js';

const redis = testRedis('schedule-dst');
const queue = new Queue('editions', { connection: redis.connect(), prefix: redis.prefix });
queue.on('error', () => {});
afterAll(async () => {
  await queue.close();
  await redis.cleanup();
});

/** [time zone, start of the local day (UTC instant before 07:00 local), expected 07:00 local in UTC] */
const CASES: [string, string, string][] = [
  ['Europe/Berlin', '2027-03-27T00:00:00Z', '2027-03-27T06:00:00.000Z'], // CET, day before
  ['Europe/Berlin', '2027-03-28T00:00:00Z', '2027-03-28T05:00:00.000Z'], // CEST from 01:00Z
  ['Europe/Berlin', '2027-10-30T00:00:00Z', '2027-10-30T05:00:00.000Z'], // CEST, day before
  ['Europe/Berlin', '2027-10-31T00:00:00Z', '2027-10-31T06:00:00.000Z'], // CET from 01:00Z
  ['America/New_York', '2027-03-13T06:00:00Z', '2027-03-13T12:00:00.000Z'], // EST, day before
  ['America/New_York', '2027-03-14T06:00:00Z', '2027-03-14T11:00:00.000Z'], // EDT from 07:00Z
  ['America/New_York', '2027-11-06T06:00:00Z', '2027-11-06T11:00:00.000Z'], // EDT, day before
  ['America/New_York', '2027-11-07T06:00:00Z', '2027-11-07T12:00:00.000Z'], // EST from 06:00Z
];

describe('07:00 list schedules across daylight-saving changes', () => {
  it.each(CASES)('07:00 %s after %s fires at %s', async (tz, startDate, expected) => {
    const id = `edition-${tz.replace('/', '-')}-${startDate.slice(0, 10)}`;
    await queue.upsertJobScheduler(
      id,
      { pattern: '0 7 * * *', tz, startDate },
      { name: 'plan-edition', data: { listId: id } },
    );
    const scheduler = await queue.getJobScheduler(id);
    expect(new Date(scheduler?.next ?? 0).toISOString()).toBe(expected);
    const delayed = await queue.getDelayed();
    const job = delayed.find((j) => j.repeatJobKey === id);
    expect(job && new Date(job.timestamp + (job.opts.delay ?? 0)).toISOString()).toBe(expected);
  });
});
