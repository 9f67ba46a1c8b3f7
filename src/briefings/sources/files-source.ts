import { DocumentError } from '../errors.js';
import { parseWordPressPost } from '../wordpress.js';
import { readPostFiles } from './files.js';
import type { SourceEntry, SourceRun } from './source.js';

/** WordPress post JSON from a file or directory. Files have no cursor: every run reads them all (upserts make that idempotent). */
export function filesRun(sourceId: string, target: string): SourceRun {
  async function* entries(): AsyncGenerator<SourceEntry> {
    for await (const doc of readPostFiles(target)) {
      if ('error' in doc) {
        yield { rejected: { origin: doc.origin, error: doc.error, excerpt: doc.excerpt } };
        continue;
      }
      try {
        yield { briefing: parseWordPressPost(doc.raw, sourceId) };
      } catch (err) {
        if (!(err instanceof DocumentError)) throw err;
        yield { rejected: { origin: doc.origin, error: err, excerpt: JSON.stringify(doc.raw) ?? '' } };
      }
    }
  }
  return { entries: entries(), commit: async () => {} };
}
