/**
 * The benchmark's publication: 5 topics, 3 lists, 12 WordPress-shaped briefings long enough for
 * ~40 KB digests, and readers spread over more than 8 topic sets. Written to a temp directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Container } from '../../src/container.js';
import { keys } from '../../src/store/keys.js';
import { ReaderStore } from '../../src/subscriptions/readers.js';

export const TOPICS = ['china', 'trade', 'diplomacy', 'north-korea', 'general'] as const;

/** Lists and the topics each offers; readers pick among these. */
export const LISTS = [
  { id: 'bench-daily', topics: ['china', 'trade', 'diplomacy', 'north-korea', 'general'] },
  { id: 'bench-weekly', topics: ['china', 'diplomacy', 'north-korea'] },
  { id: 'bench-trade', topics: ['trade', 'china'] },
] as const;

/** The topic choices readers make, per list ([] = all the list's topics): 10 sets in all. */
const CHOICES: Record<string, string[][]> = {
  'bench-daily': [[], ['china'], ['trade'], ['china', 'trade'], ['diplomacy', 'north-korea']],
  'bench-weekly': [[], ['north-korea'], ['china', 'diplomacy']],
  'bench-trade': [[], ['trade']],
};

const TITLES: Record<(typeof TOPICS)[number], string> = {
  china: 'China and Beijing weigh new measures',
  trade: 'Semiconductor exports and the supply chain',
  diplomacy: 'Diplomatic summit signals a bilateral thaw',
  'north-korea': 'North Korea and Pyongyang test the waters',
  general: 'Seoul city council debates housing',
};

const PARAGRAPH =
  'Officials met on Tuesday to discuss the measures, which analysts say could reshape the region’s economy for years. ' +
  'Companies have asked for clarity on how the rules apply, and the ministry promised guidance “within weeks”. ';

/** A WordPress REST post (as `/wp-json/wp/v2/posts` returns it), numbered `i`. */
export function benchPost(i: number): object {
  const topic = TOPICS[i % TOPICS.length] ?? 'general';
  const day = String(1 + (i % 20)).padStart(2, '0');
  const body = [
    `<p>${PARAGRAPH.repeat(8)}</p>`,
    '<h3>Why it matters</h3>',
    `<p>${PARAGRAPH.repeat(4)}</p>`,
    `<p>${PARAGRAPH.repeat(5)}</p>`,
  ].join('\n');
  return {
    id: 9_000_000 + i,
    date_gmt: `2026-11-${day}T01:00:00`,
    modified_gmt: `2026-11-${day}T02:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`,
    link: `https://koreapro.example/2026/11/briefing-${i}/`,
    title: { rendered: `${TITLES[topic]} (${i + 1})` },
    content: { rendered: body },
  };
}

/** Writes the publication and its 12 briefings under `dir`; returns the publication file. */
export async function writeBenchPublication(dir: string, options: { batchSize?: number } = {}): Promise<string> {
  const briefings = path.join(dir, 'briefings');
  await mkdir(briefings, { recursive: true });
  await writeFile(
    path.join(briefings, 'posts.json'),
    JSON.stringify(Array.from({ length: 12 }, (_, i) => benchPost(i))),
  );
  const publication = {
    name: 'Bench Briefings',
    topics: TOPICS.map((slug) => ({ slug, name: slug, terms: [], keywords: keywords(slug) })),
    fallbackTopic: 'general',
    lists: LISTS.map((l) => ({
      id: l.id,
      name: `Bench ${l.id}`,
      from: { name: 'Bench Briefings', address: 'bench@news.example' },
      postalAddress: '1 Bench Street, Seoul',
      schedule: { cron: '0 7 * * *', tz: 'UTC' },
      topics: l.topics,
      since: '2026-10-01T00:00:00Z',
      batchSize: options.batchSize ?? 100,
    })),
    sources: [{ id: 'bench', type: 'files', path: briefings }],
  };
  const file = path.join(dir, 'gazette.json');
  await writeFile(file, JSON.stringify(publication, null, 2));
  return file;
}

function keywords(slug: string): string[] {
  if (slug === 'china') return ['China', 'Beijing'];
  if (slug === 'trade') return ['Semiconductor', 'exports', 'supply chain'];
  if (slug === 'diplomacy') return ['Diplomatic', 'summit', 'bilateral'];
  if (slug === 'north-korea') return ['North Korea', 'Pyongyang'];
  return [];
}

/** Reader `i`: its list and topic choice, round robin over every (list, choice) pair. */
export function readerPlan(i: number): { listId: string; topics: string[] } {
  const pairs = LISTS.flatMap((l) => (CHOICES[l.id] ?? [[]]).map((topics) => ({ listId: l.id, topics })));
  const p = pairs[i % pairs.length] ?? { listId: 'bench-daily', topics: [] };
  return p;
}

/**
 * Subscribes readers `from` … `to - 1` as confirmed, `parallel` at a time, through Gazette's
 * reader store (the writes of `readers add`) on a connection of its own that pipelines the
 * lanes' commands (ioredis `enableAutoPipelining`): a write per command made seeding, not
 * Gazette, the slow part of the scale rows.
 */
export async function seedReaders(
  redisUrl: string,
  prefix: string,
  range: { from: number; to: number },
  parallel = 128,
): Promise<void> {
  const client = new Redis(redisUrl, { enableAutoPipelining: true });
  const readers = new ReaderStore(client, keys(prefix));
  let next = range.from;
  const lane = async () => {
    while (next < range.to) {
      const i = next++;
      const { listId, topics } = readerPlan(i);
      // Names with non-ASCII letters on some readers, as real lists have.
      const reader = await readers.upsert(`reader${i}@bench.example`, i % 3 === 0 ? `Jïn-woo ${i}` : `Reader ${i}`);
      await readers.setSubscription(listId, reader.id, { status: 'confirmed', topics, consent: { source: 'bench' } });
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, lane));
  } finally {
    await client.quit();
  }
}

/** Collects the briefings and subscribes `count` confirmed readers (readers 0 … count - 1). */
export async function seedBench(c: Container, count: number, parallel = 128): Promise<void> {
  const s = c.services;
  const source = s.publication.sources[0];
  if (!source) throw new Error('bench source missing');
  await s.collector.collect(source);
  // One process: on 2 cores a second seeding process only competes with this one and Redis.
  await seedReaders(s.config.redisUrl, s.config.redisPrefix, { from: 0, to: count }, parallel);
}

/** The slot the bench triggers: after every briefing. */
export const BENCH_SLOT = new Date('2026-11-30T07:00:00Z');
