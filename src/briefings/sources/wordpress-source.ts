import type { CursorStore } from '../cursors.js';
import type { SourceEntry, SourceRun } from './source.js';
import { WordPressClient, type WordPressCursor } from './wordpress-client.js';

export interface WordPressSourceSettings {
  id: string;
  url: string;
  restRoute: 'auto' | 'pretty' | 'query';
  allowPrivate: boolean;
  timeoutSeconds: number;
  maxBytes: number;
  /** How far back each run also sweeps by publication time, for scheduled posts. @defaultValue 48 */
  lookbackHours?: number;
}

/** @see WordPressSourceSettings.lookbackHours */
export const DEFAULT_LOOKBACK_HOURS = 48;

/**
 * A WordPress site over its REST API: posts changed since the stored cursor (new and edited
 * ones); then posts published in the last `lookbackHours` — WordPress publishes a scheduled post
 * without touching `modified_gmt`, so the cursor alone misses it (the store is idempotent, so a
 * post read twice is stored once); then a check that the briefings already stored that could
 * still go into an edition are still published — a post unpublished, trashed or made private
 * drops out of anonymous results, and so leaves future editions. With nothing new that is one
 * request each for the changes and the sweep, and one per 100 briefings re-checked.
 *
 * @param recentIds the WordPress ids of this source's briefings that could still go into an
 *   edition (still marked published).
 * @param now the clock the sweep's lookback counts from.
 */
export function wordpressRun(
  source: WordPressSourceSettings,
  cursors: CursorStore,
  recentIds: () => Promise<string[]>,
  now: () => Date = () => new Date(),
): SourceRun {
  const client = new WordPressClient({
    sourceId: source.id,
    baseUrl: source.url,
    restRoute: source.restRoute,
    allowPrivate: source.allowPrivate,
    timeoutMs: source.timeoutSeconds * 1000,
    maxBytes: source.maxBytes,
  });
  let done = false;
  async function* entries(): AsyncGenerator<SourceEntry> {
    const cursor = (await cursors.get<WordPressCursor>(source.id)) ?? {};
    const seen = new Set<string>();
    for await (const entry of client.changedSince(cursor)) {
      if ('error' in entry) {
        yield { rejected: entry };
        continue;
      }
      seen.add(entry.id);
      yield { briefing: entry.briefing };
    }
    const lookbackMs = (source.lookbackHours ?? DEFAULT_LOOKBACK_HOURS) * 3_600_000;
    for await (const entry of client.publishedSince(new Date(now().getTime() - lookbackMs))) {
      if ('error' in entry) {
        yield { rejected: entry };
        continue;
      }
      seen.add(entry.id);
      yield { briefing: entry.briefing };
    }
    const toCheck = (await recentIds()).filter((id) => !seen.has(id));
    if (toCheck.length > 0) {
      const listed = await client.stillPublished(toCheck);
      for (const id of toCheck) if (!listed.has(id)) yield { unpublished: id };
    }
    done = true;
  }
  return {
    entries: entries(),
    commit: async () => {
      if (done) await cursors.set(source.id, client.cursor);
    },
  };
}
