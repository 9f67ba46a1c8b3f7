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
}

/**
 * A WordPress site over its REST API: posts changed since the stored cursor (new and edited
 * ones), then a check that the recent briefings already stored are still published — a post
 * unpublished, trashed or made private drops out of anonymous results, and so leaves future
 * editions. With nothing new that is two requests.
 *
 * @param recentIds the WordPress ids of this source's briefings that could still go into an
 *   edition (published recently and still marked published).
 */
export function wordpressRun(
  source: WordPressSourceSettings,
  cursors: CursorStore,
  recentIds: () => Promise<string[]>,
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
