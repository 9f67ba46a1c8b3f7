import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Briefing } from '../../src/briefings/briefing.js';
import { Quarantine } from '../../src/briefings/quarantine.js';
import { BriefingStore } from '../../src/briefings/store.js';
import { Ledger } from '../../src/delivery/ledger.js';
import { EditionStore } from '../../src/editions/store.js';
import { keys } from '../../src/store/keys.js';
import { ReaderStore } from '../../src/subscriptions/readers.js';
import { testRedis } from '../support/redis.js';

const redis = testRedis('stores');
const client = redis.connect();
const k = keys(redis.prefix);
afterAll(() => redis.cleanup());

function briefing(over: Partial<Briefing> = {}): Briefing {
  return {
    id: 's-1',
    source: 's',
    sourceId: '1',
    url: 'https://example.com/1',
    title: 'Title',
    terms: [],
    topics: ['china'],
    publishedAt: '2024-08-20T23:00:29.000Z',
    modifiedAt: '2024-08-20T06:38:17.000Z',
    lead: 'Lead',
    html: '<p>Lead</p>',
    published: true,
    ...over,
  };
}

describe('briefing store', () => {
  const store = new BriefingStore(client, k);

  it('stores a briefing once, updates it when it changed, and ignores an older copy', async () => {
    expect(await store.upsert(briefing())).toBe('new');
    expect(await store.upsert(briefing())).toBe('unchanged');
    expect(await store.upsert(briefing({ title: 'Edited', modifiedAt: '2024-08-21T00:00:00.000Z' }))).toBe('updated');
    expect(await store.upsert(briefing({ title: 'Stale copy' }))).toBe('unchanged');
    expect((await store.get('s-1'))?.title).toBe('Edited');
  });

  it('finds published briefings by window and drops an unpublished one from it', async () => {
    const since = new Date('2024-08-20T00:00:00Z');
    const until = new Date('2024-08-21T00:00:00Z');
    expect((await store.publishedBetween(since, until)).map((b) => b.id)).toEqual(['s-1']);
    await store.upsert(briefing({ title: 'Edited', modifiedAt: '2024-08-22T00:00:00.000Z', published: false }));
    expect(await store.publishedBetween(since, until)).toEqual([]);
  });
});

describe('quarantine', () => {
  it('keeps the same broken document once, newest first, with its reason', async () => {
    const q = new Quarantine(client, k);
    const doc = {
      source: 's',
      origin: 'bad.json',
      code: 'DOCUMENT_INVALID',
      reason: 'missing field "title.rendered"',
      excerpt: '{"id":1}',
    };
    await q.add(doc);
    await q.add(doc);
    await q.add({ ...doc, origin: 'worse.json', excerpt: 'x'.repeat(5000) });
    const listed = await q.list();
    expect(listed.map((d) => d.origin)).toEqual(['worse.json', 'bad.json']);
    expect(listed[1]?.reason).toBe('missing field "title.rendered"');
    expect(listed[0]?.excerpt).toHaveLength(2000);
  });
});

describe('edition store', () => {
  const editions = new EditionStore(client, k);
  const edition = {
    id: 'daily-20240821T070000Z',
    listId: 'daily',
    since: 'a',
    cutoff: '2024-08-21T07:00:00.000Z',
    plannedAt: 'x',
    sections: [],
  };

  it('freezes an edition once: a second plan of the slot gets the first one back', async () => {
    expect((await editions.freeze(edition)).created).toBe(true);
    const again = await editions.freeze({ ...edition, plannedAt: 'later' });
    expect(again).toMatchObject({ created: false, edition: { plannedAt: 'x' } });
    expect((await editions.lastCutoff('daily'))?.toISOString()).toBe('2024-08-21T07:00:00.000Z');
  });

  it('never moves a list’s cut-off back', async () => {
    await editions.advanceCutoff('daily', '2024-08-20T07:00:00.000Z');
    expect((await editions.lastCutoff('daily'))?.toISOString()).toBe('2024-08-21T07:00:00.000Z');
    await editions.advanceCutoff('daily', '2024-08-22T07:00:00.000Z');
    expect((await editions.lastCutoff('daily'))?.toISOString()).toBe('2024-08-22T07:00:00.000Z');
  });
});

describe('ledger', () => {
  const ledger = new Ledger(client, k);

  it('lets a crashed claim be retried but never re-sends a settled reader, and counts each reader once', async () => {
    // Stale after 300 ms by Redis's clock, so the test can wait it out.
    const quick = new Ledger(client, k, 300);
    expect(await quick.claim('e1', 'r1')).toMatchObject({ claimed: true, retry: false });
    // A fresh claim belongs to a run that may still be sending: never taken over.
    expect(await quick.claim('e1', 'r1')).toEqual({ claimed: false, state: 'busy' });
    await new Promise((resolve) => setTimeout(resolve, 350));
    // A stale one was left by a dead worker: the retry may send.
    expect(await quick.claim('e1', 'r1')).toMatchObject({ claimed: true, retry: true });
    expect(await quick.settle('e1', 'r1', 'dispatched', '<id@x>')).toBe(true);
    expect(await quick.settle('e1', 'r1', 'dispatched', '<id@x>')).toBe(false);
    expect(await quick.claim('e1', 'r1')).toEqual({ claimed: false, state: 'dispatched' });
    expect(await client.hget(k.editionStatus('e1'), 'dispatched')).toBe('1');
  });

  it('judges claims by Redis time: a worker whose clock runs 5 minutes ahead never takes over a live claim', async () => {
    expect(await ledger.claim('e3', 'r1')).toMatchObject({ claimed: true });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 5 * 60_000);
      expect(await new Ledger(client, k).claim('e3', 'r1')).toEqual({ claimed: false, state: 'busy' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('recognises a claim re-sent with its own token (after a reconnect) as its own, not busy', async () => {
    expect(await ledger.claim('e4', 'r1', 'tok-1')).toMatchObject({ claimed: true, token: 'tok-1' });
    expect(await ledger.claim('e4', 'r1', 'tok-1')).toMatchObject({ claimed: true, token: 'tok-1' });
    expect(await ledger.claim('e4', 'r1', 'tok-2')).toEqual({ claimed: false, state: 'busy' });
  });

  it('lets a run give back its own claim, and only its own', async () => {
    const first = await ledger.claim('e2', 'r1');
    if (!first.claimed) throw new Error('not claimed');
    await ledger.release('e2', 'r1', 'someone-else');
    expect(await ledger.claim('e2', 'r1')).toEqual({ claimed: false, state: 'busy' });
    await ledger.release('e2', 'r1', first.token);
    expect(await ledger.claim('e2', 'r1')).toMatchObject({ claimed: true, retry: false });
  });
});

describe('reader store', () => {
  const readers = new ReaderStore(client, k);

  it('keeps one reader per address whatever its case, and strips line breaks from names', async () => {
    const a = await readers.upsert('Ada@Example.com', 'Ada\r\nBcc: evil@example.com');
    const b = await readers.upsert('ada@example.com ');
    expect(b.id).toBe(a.id);
    expect(a.name).toBe('Ada Bcc: evil@example.com');
    expect(a.email).toBe('ada@example.com');
  });

  it('refuses an invalid address with a clear error', async () => {
    await expect(readers.upsert('not an address')).rejects.toMatchObject({
      code: 'READER_INVALID',
      message: expect.stringContaining('invalid email'),
    });
  });

  it('records subscription changes with their consent', async () => {
    const r = await readers.upsert('grace@example.com', 'Grace');
    await readers.setSubscription('daily', r.id, {
      status: 'confirmed',
      topics: ['china'],
      consent: { source: 'form', ip: '192.0.2.1' },
    });
    expect(await readers.subscription('daily', r.id)).toMatchObject({ status: 'confirmed', topics: ['china'] });
    const history = await readers.consentHistory(r.id);
    expect(history.at(-1)).toMatchObject({ list: 'daily', status: 'confirmed', source: 'form', ip: '192.0.2.1' });
    // The consent record is never trimmed: 300 more changes, all 301 kept, oldest first.
    for (let i = 0; i < 300; i++) {
      await readers.setSubscription('daily', r.id, {
        status: i % 2 ? 'confirmed' : 'unsubscribed',
        consent: { source: `s${i}` },
      });
    }
    const all = await readers.consentHistory(r.id);
    expect(all).toHaveLength(301);
    expect(all[0]).toMatchObject({ source: 'form' });
    expect(all.at(-1)).toMatchObject({ source: 's299', status: 'confirmed' });
    // A record kept as a stream by an earlier version is still read, before the newer entries.
    await client.xadd(
      k.readerConsent(r.id),
      '*',
      'at',
      '2025-01-01T00:00:00.000Z',
      'list',
      'daily',
      'status',
      'pending',
      'source',
      'form-v0',
      'ip',
      '',
      'ua',
      '',
      'note',
      '',
    );
    expect((await readers.consentHistory(r.id))[0]).toMatchObject({ source: 'form-v0', status: 'pending' });
    // A reader's whole record costs little Redis memory: a few hundred bytes per entry, no stream overhead.
    const other = await readers.upsert('hopper@example.com', 'Grace H');
    await readers.setSubscription('daily', other.id, {
      status: 'confirmed',
      consent: { source: 'form', ip: '192.0.2.1' },
    });
    expect(Number(await client.memory('USAGE', k.readerConsentLog(other.id)))).toBeLessThan(400);
  });
});
