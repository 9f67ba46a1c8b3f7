/**
 * render: Gazette's two-stage render (MJML once per topic set, a precompiled Handlebars pass per
 * reader) against the naive baseline (MJML compiled for every reader), per reader.
 */
import { performance } from 'node:perf_hooks';
import type { Edition } from '../src/editions/edition.js';
import { listSchema, publicationSchema } from '../src/publication.js';
import { renderTopicSet } from '../src/render/digest.js';
import { compilePersonalizer } from '../src/render/personalize.js';
import { loadTemplates } from '../src/render/templates.js';

const topics = ['china', 'trade', 'diplomacy'];
const publication = publicationSchema.parse({
  name: 'Bench',
  topics: topics.map((slug) => ({ slug, name: slug })),
  fallbackTopic: 'china',
  lists: [
    {
      id: 'bench',
      name: 'Bench Daily',
      postalAddress: '1 Main St',
      schedule: { cron: '0 7 * * *', tz: 'UTC' },
      topics,
    },
  ],
});
const list = listSchema.parse(publication.lists[0]);
const edition: Edition = {
  id: 'bench-20260101T070000Z',
  listId: 'bench',
  since: '2025-12-31T07:00:00.000Z',
  cutoff: '2026-01-01T07:00:00.000Z',
  plannedAt: '2026-01-01T07:00:01.000Z',
  sections: topics.map((topic) => ({
    topic,
    name: topic,
    briefings: Array.from({ length: 4 }, (_, i) => ({
      id: `${topic}-${i}`,
      url: `https://example.com/${topic}/${i}`,
      title: `A ${topic} briefing number ${i} with a longer title`,
      publishedAt: '2026-01-01T06:00:00.000Z',
      modifiedAt: '2026-01-01T06:00:00.000Z',
      lead: 'South Korea and China held talks on export controls. '.repeat(4),
      whyItMatters: 'The talks hint at a thaw in relations between the two neighbours. '.repeat(3),
    })),
  })),
};

export interface RenderResult {
  readers: number;
  baselineMsPerReader: number;
  twoStageMsPerReader: number;
  speedup: number;
}

export async function runRender(readers = 200): Promise<RenderResult> {
  const templates = await loadTemplates();
  const input = { publication, list, edition, topics, archiveUrl: 'https://news.example/archive/bench/x', templates };
  const readerValues = (i: number) => ({
    name: `Reader ${i}`,
    preferencesUrl: `https://news.example/preferences/tok${i}`,
    unsubscribeUrl: `https://news.example/unsubscribe/tok${i}`,
  });

  async function time(fn: () => Promise<void>): Promise<number> {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  }

  await renderTopicSet(input); // warm-up: module loading and MJML's first-run costs out of the way
  const ours = await time(async () => {
    const personalize = compilePersonalizer(await renderTopicSet(input));
    for (let i = 0; i < readers; i++) personalize(readerValues(i));
  });
  const baseline = await time(async () => {
    for (let i = 0; i < readers; i++) compilePersonalizer(await renderTopicSet(input))(readerValues(i));
  });

  return {
    readers,
    baselineMsPerReader: baseline / readers,
    twoStageMsPerReader: ours / readers,
    speedup: baseline / ours,
  };
}
