/**
 * Crashes mid-edition, on a whole deployment: 20,000 readers over ten topic sets, two `gazette
 * worker` processes, a redis-server with the append-only file on, an SMTP sink that counts. Each
 * scenario sends one list's edition while something breaks, then checks what a publisher would:
 * nobody lost (every confirmed reader got a copy), the edition's counts equal the sink's distinct
 * recipients, and any second copy carries the first one's Message-ID. Each prints its figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, figures, type RunFigures, round, startFleet } from './support/fleet.js';

const READERS = Number(process.env.CHAOS_READERS ?? 20_000);
const LISTS = ['kill-three', 'sigterm', 'redis-restart', 'stall-twice'];
/** However broken, an edition of 20,000 on two shared cores must settle within this. */
const SETTLE_MS = 240_000;

describe(`an edition of ${READERS} readers while workers and Redis break`, () => {
  let fleet: Fleet;
  const results: RunFigures[] = [];

  beforeAll(async () => {
    const t = Date.now();
    fleet = await startFleet({ lists: LISTS, readers: READERS });
    console.log(
      `seeded ${READERS} readers on ${LISTS.length} lists and started 2 workers in ${round((Date.now() - t) / 1000)} s`,
    );
  }, 600_000);

  afterAll(async () => {
    if (results.length) console.table(results);
    await fleet?.close();
  });

  /** Sends the list's edition, runs `chaos` once it is under way, and checks the outcome. */
  async function run(listId: string, chaos: () => Promise<Record<string, number>>): Promise<RunFigures> {
    fleet.sink.reset();
    const startedAt = Date.now();
    const editionId = await fleet.dispatch(listId);
    const extra = await chaos();
    const status = await fleet.settle(editionId, SETTLE_MS);
    const result = { ...figures(listId, fleet.sink, READERS, startedAt), ...extra };
    results.push(result);
    console.log(JSON.stringify(result));
    expect(status).toMatchObject({
      state: 'dispatched',
      audience: READERS,
      pending: 0,
      failed: 0,
      bounced: 0,
      skipped: 0,
    });
    expect(status.renders).toBeGreaterThanOrEqual(8);
    // 0 lost, and what the edition says it dispatched is what the sink saw.
    expect(result.missing).toBe(0);
    expect(result.recipients).toBe(READERS);
    expect(status.dispatched).toBe(result.recipients);
    // Any duplicate is the same message again (same Message-ID), never a second, different one.
    expect(result.duplicatesWithOtherId).toBe(0);
    expect(fleet.sink.tally().withoutMessageId).toBe(0);
    return result;
  }

  it('loses nobody when a worker is SIGKILLed three times mid-edition (and restarted each time)', async () => {
    await run('kill-three', async () => {
      for (const at of [0.15, 0.4, 0.65]) {
        await fleet.sink.waitForRecipients(Math.round(READERS * at), SETTLE_MS);
        const slot = at === 0.4 ? 1 : 0;
        await fleet.stopWorker(slot, 'SIGKILL');
        await fleet.startWorker(slot);
      }
      return { kills: 3 };
    });
  });
});
