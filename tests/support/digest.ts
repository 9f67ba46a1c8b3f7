/**
 * Digests to render in tests and for screenshots: a publication with four topics, a list in
 * Seoul, and generated editions of any size (real-looking briefings, long and short).
 */
import type { Edition, EditionBriefing, EditionSection } from '../../src/editions/edition.js';
import { type List, type Publication, parsePublication } from '../../src/publication.js';

export const ARCHIVE_URL = 'https://news.example/archive/korea-daily/korea-daily-20241130T220000Z';

export const SAMPLE_READER = {
  name: 'Ada',
  preferencesUrl: `https://news.example/preferences/${'p'.repeat(150)}`,
  unsubscribeUrl: `https://news.example/unsubscribe/${'u'.repeat(150)}`,
};

const TOPICS = [
  { slug: 'north-korea', name: 'North Korea', terms: ['north korea'], keywords: ['Pyongyang', 'Kim Jong Un'] },
  { slug: 'diplomacy', name: 'Diplomacy', terms: ['diplomacy'], keywords: ['summit', 'ambassador'] },
  { slug: 'trade', name: 'Trade & Economy', terms: ['economy'], keywords: ['export', 'semiconductor'] },
  { slug: 'china', name: 'China', terms: ['china'], keywords: ['Beijing', 'Xi Jinping'] },
];

/** The test publication; `list` overrides fields of its one list (`korea-daily`). */
export function digestPublication(
  list: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Publication {
  return parsePublication(
    {
      name: 'Korea Pro',
      topics: TOPICS,
      fallbackTopic: 'china',
      lists: [
        {
          id: 'korea-daily',
          name: 'Korea Pro Daily',
          postalAddress: 'Korea Pro, 1 Sejong-daero\nJung-gu, Seoul 04519, Republic of Korea',
          schedule: { cron: '0 7 * * *', tz: 'Asia/Seoul' },
          topics: TOPICS.map((t) => t.slug),
          ...list,
        },
      ],
      ...extra,
    },
    'test.json',
    '/',
  );
}

export function theList(p: Publication): List {
  const list = p.lists[0];
  if (!list) throw new Error('no list');
  return list;
}

const HEADLINES: Record<string, string[]> = {
  'north-korea': [
    'Pyongyang test-fires a new solid-fuel missile as Kim Jong Un watches',
    'North Korea reopens its border to Chinese tour groups after four years',
    'Defectors describe food rationing in the northern provinces',
  ],
  diplomacy: [
    'Seoul and Tokyo agree on a summit before the end of the year',
    'New US ambassador arrives in Seoul with a message on alliance costs',
    'Foreign ministers meet in Jakarta on the sidelines of ASEAN',
  ],
  trade: [
    'Semiconductor exports rebound for a third straight month',
    'Won slides past 1,400 to the dollar as investors seek safety',
    'Shipbuilders win a record order for liquefied gas carriers',
  ],
  china: [
    'Beijing eases curbs on gallium and germanium shipments to Korean firms',
    'Xi Jinping calls for “stable supply chains” in a call with Yoon',
    'Chinese tourists return to Jeju in numbers not seen since 2019',
  ],
};

const LEAD =
  'Officials in Seoul said on Friday that the decision followed weeks of talks, and that further steps ' +
  'would depend on how the other side responds over the coming months, according to people familiar with the matter.';
const WHY = 'The move affects supply chains across the region and could shape the agenda of next month’s meetings.';

/** One generated briefing; `n` makes it unique, `topic` picks its headline and topics. */
export function sampleBriefing(topic: string, n: number, publishedAt: string): EditionBriefing {
  const headlines = HEADLINES[topic] ?? ['A briefing'];
  const title = headlines[n % headlines.length] ?? 'A briefing';
  return {
    id: `wp-${topic}-${n}`,
    url: `https://koreapro.org/2024/11/${topic}-briefing-number-${n}-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}/`,
    title: n < headlines.length ? title : `${title} (${n})`,
    publishedAt,
    modifiedAt: publishedAt,
    author: n % 2 ? 'Jeongmin Kim' : 'Chad O’Carroll',
    lead: LEAD,
    ...(n % 3 === 0 ? { whyItMatters: WHY } : {}),
    topics: [topic],
  };
}

/**
 * An edition of `perSection[i]` briefings in the i-th topic (list order), newest first,
 * published in the 24 hours before the 07:00 Seoul cut-off of 1 Dec 2024.
 */
export function sampleEdition(perSection: number[]): Edition {
  const cutoff = Date.parse('2024-11-30T22:00:00Z');
  const sections: EditionSection[] = TOPICS.map((t, i) => ({
    topic: t.slug,
    name: t.name,
    briefings: Array.from({ length: perSection[i] ?? 0 }, (_, n) =>
      sampleBriefing(t.slug, n, new Date(cutoff - (n * 7 + i) * 60_000 - 60_000).toISOString()),
    ),
  })).filter((s) => s.briefings.length > 0);
  return {
    id: 'korea-daily-20241130T220000Z',
    listId: 'korea-daily',
    since: new Date(cutoff - 86_400_000).toISOString(),
    cutoff: new Date(cutoff).toISOString(),
    plannedAt: new Date(cutoff + 1000).toISOString(),
    sections,
  };
}
