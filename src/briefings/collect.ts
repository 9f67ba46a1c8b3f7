import type { Source } from '../publication.js';
import type { Classifier } from '../topics/classify.js';
import { type Briefing, briefingId, type ParsedBriefing } from './briefing.js';
import { DocumentError } from './errors.js';
import type { Quarantine } from './quarantine.js';
import { readPostFiles } from './sources/files.js';
import type { BriefingStore, UpsertOutcome } from './store.js';
import { parseWordPressPost } from './wordpress.js';

export interface CollectReport {
  source: string;
  new: number;
  updated: number;
  unchanged: number;
  quarantined: number;
}

export type CollectProgress = (report: CollectReport) => void;

/**
 * Collects briefings from sources: parse, classify, upsert; a document that cannot be
 * salvaged goes to the quarantine with its reason. Safe to run twice: the second run reports
 * everything 'unchanged'.
 */
export class Collector {
  constructor(
    private readonly store: BriefingStore,
    private readonly quarantine: Quarantine,
    private readonly classify: Classifier,
  ) {}

  async collect(source: Source, onProgress?: CollectProgress): Promise<CollectReport> {
    switch (source.type) {
      case 'files':
        return this.collectFiles(source.id, source.path, onProgress);
    }
  }

  /** Import WordPress post JSON from a file or directory (the `import` command and `files` sources). */
  async collectFiles(sourceId: string, target: string, onProgress?: CollectProgress): Promise<CollectReport> {
    const report: CollectReport = { source: sourceId, new: 0, updated: 0, unchanged: 0, quarantined: 0 };
    for await (const doc of readPostFiles(target)) {
      if ('error' in doc) {
        await this.reject(sourceId, doc.origin, doc.error, doc.excerpt);
        report.quarantined += 1;
      } else {
        try {
          const outcome = await this.accept(sourceId, parseWordPressPost(doc.raw, sourceId));
          report[outcome] += 1;
        } catch (err) {
          if (!(err instanceof DocumentError)) throw err;
          await this.reject(sourceId, doc.origin, err, JSON.stringify(doc.raw) ?? '');
          report.quarantined += 1;
        }
      }
      onProgress?.(report);
    }
    return report;
  }

  private async accept(sourceId: string, parsed: ParsedBriefing): Promise<UpsertOutcome> {
    const briefing: Briefing = {
      ...parsed,
      id: briefingId(sourceId, parsed.sourceId),
      topics: this.classify(parsed),
    };
    return this.store.upsert(briefing);
  }

  private async reject(source: string, origin: string, err: DocumentError, excerpt: string): Promise<void> {
    await this.quarantine.add({ source, origin, code: err.code, reason: err.reason, excerpt });
  }
}
