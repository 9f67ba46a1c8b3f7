import type { Source } from '../publication.js';
import type { Classifier } from '../topics/classify.js';
import { type Briefing, briefingId, type ParsedBriefing } from './briefing.js';
import type { CursorStore } from './cursors.js';
import { DocumentError } from './errors.js';
import { judgeLink, type LinkPolicy } from './links.js';
import { normalizeDocument } from './normalize.js';
import type { Quarantine, QuarantinedDocument } from './quarantine.js';
import { feedRun } from './sources/feed-source.js';
import { filesRun } from './sources/files-source.js';
import type { Rejected, SourceRun } from './sources/source.js';
import { wordpressRun } from './sources/wordpress-source.js';
import type { BriefingStore, UpsertOutcome } from './store.js';

/** Without {@link CollectorOptions.openSince}: re-check what was collected in the last 30 days. */
const RECHECK_DAYS = 30;

export interface CollectorOptions {
  /**
   * Where the earliest edition still to be planned starts (the oldest list's last cut-off):
   * briefings first collected after it can still go into an edition, so each WordPress run
   * re-checks that they are still published. @defaultValue 30 days before now
   */
  openSince?: () => Promise<Date>;
  /** The clock: first-collected times and the WordPress sweep's lookback. @defaultValue the system clock */
  now?: () => Date;
}

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
 * everything 'unchanged'. A source-level failure (the site is down, answers HTML, …) throws a
 * SourceError after the good documents already read are stored.
 */
export class Collector {
  constructor(
    private readonly store: BriefingStore,
    private readonly quarantine: Quarantine,
    private readonly cursors: CursorStore,
    private readonly classify: Classifier,
    private readonly options: CollectorOptions = {},
    /** Told of every run that completed (the operational counters). */
    private readonly onRun: (report: CollectReport) => Promise<void> = async () => {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async collect(source: Source, onProgress?: CollectProgress): Promise<CollectReport> {
    const links = source.type === 'wordpress' ? { url: source.url, linkHosts: source.linkHosts } : undefined;
    return this.drain(source.id, this.open(source), onProgress, links);
  }

  /** Import WordPress post JSON from a file or directory (the `import` command). */
  async collectFiles(sourceId: string, target: string, onProgress?: CollectProgress): Promise<CollectReport> {
    return this.drain(sourceId, filesRun(sourceId, target), onProgress);
  }

  /**
   * Read a quarantined document's origin again (after a fix to the parser, the file or the
   * site). Remove its quarantine entry first: it comes back, with its current reason, if the
   * document still cannot be read. Files are re-read from their path; feeds and sites are read in full.
   */
  async reread(
    doc: Pick<QuarantinedDocument, 'source' | 'origin'>,
    source: Source | undefined,
  ): Promise<CollectReport> {
    if (!source || source.type === 'files') return this.collectFiles(doc.source, originFile(doc.origin));
    await this.cursors.set(source.id, {});
    return this.collect(source);
  }

  private open(source: Source): SourceRun {
    switch (source.type) {
      case 'files':
        return filesRun(source.id, source.path);
      case 'feed':
        return feedRun(source, this.cursors);
      case 'wordpress':
        return wordpressRun(
          source,
          this.cursors,
          () => this.recentIds(source.id),
          () => this.now(),
        );
    }
  }

  private async drain(
    sourceId: string,
    run: SourceRun,
    onProgress?: CollectProgress,
    links?: LinkPolicy,
  ): Promise<CollectReport> {
    const report: CollectReport = { source: sourceId, new: 0, updated: 0, unchanged: 0, quarantined: 0 };
    for await (const entry of run.entries) {
      if ('briefing' in entry) {
        // Every source's text cleaned once here (WordPress posts are already cleaned as read).
        const clean = normalizeDocument(entry.briefing) as ParsedBriefing;
        const briefing = links ? await this.checkLink(sourceId, clean, links) : clean;
        const outcome = await this.accept(sourceId, briefing).catch((err: unknown) => err);
        if (typeof outcome === 'string') report[outcome as UpsertOutcome] += 1;
        else {
          // The store refused this one document (a Redis script error, say): it waits in the
          // quarantine and the run goes on, so one post never stops a source.
          const reason = `could not be stored: ${outcome instanceof Error ? outcome.message : String(outcome)}`;
          await this.reject(sourceId, {
            origin: entry.briefing.url,
            error: new DocumentError('DOCUMENT_INVALID', reason.slice(0, 300)),
            excerpt: JSON.stringify(entry.briefing),
            documentId: entry.briefing.sourceId,
          });
          report.quarantined += 1;
        }
      } else if ('unpublished' in entry) {
        if (await this.unpublish(sourceId, entry.unpublished)) report.updated += 1;
      } else {
        await this.reject(sourceId, entry.rejected);
        report.quarantined += 1;
      }
      onProgress?.(report);
    }
    await run.commit();
    await this.onRun(report);
    return report;
  }

  /** Publisher ids of this source's briefings that could still go into an edition: all of them, however many. */
  private async recentIds(sourceId: string): Promise<string[]> {
    const since = (await this.options.openSince?.()) ?? new Date(this.now().getTime() - RECHECK_DAYS * 86_400_000);
    const open = await this.store.collectedBetween(since, new Date(8.64e15));
    return open.filter((b) => b.source === sourceId).map((b) => b.sourceId);
  }

  private async unpublish(sourceId: string, publisherId: string): Promise<boolean> {
    const briefing = await this.store.get(briefingId(sourceId, publisherId));
    if (!briefing?.published) return false;
    return (await this.store.upsert({ ...briefing, published: false }, this.now())) === 'updated';
  }

  private async accept(sourceId: string, parsed: ParsedBriefing): Promise<UpsertOutcome> {
    const briefing: Briefing = { ...parsed, id: briefingId(sourceId, parsed.sourceId), topics: this.classify(parsed) };
    return this.store.upsert(briefing, this.now());
  }

  /**
   * The briefing with its link as it may be emailed (https upgraded), or without a link when it
   * points off the source's hosts or is not http(s); such a briefing is listed in the quarantine
   * as a warning (it is still collected and sent, without "Read more").
   */
  private async checkLink(source: string, b: ParsedBriefing, links: LinkPolicy): Promise<ParsedBriefing> {
    const verdict = judgeLink(b.url, links);
    if ('url' in verdict) return verdict.url === b.url ? b : { ...b, url: verdict.url };
    await this.quarantine.add({
      source,
      origin: b.url,
      documentId: b.sourceId,
      severity: 'warning',
      code: 'LINK_REFUSED',
      reason: `${verdict.refused}: sent without a "Read more" link`,
      excerpt: JSON.stringify({ title: b.title, url: b.url }),
    });
    return { ...b, url: '' };
  }

  private async reject(source: string, r: Rejected): Promise<void> {
    await this.quarantine.add({
      source,
      origin: r.origin,
      ...(r.documentId === undefined ? {} : { documentId: r.documentId }),
      code: r.error.code,
      reason: r.error.reason,
      excerpt: r.excerpt,
    });
  }
}

/** The file a files-source origin names (`dir/posts.json#3` → `dir/posts.json`). */
export function originFile(origin: string): string {
  return origin.replace(/#\d+$/, '');
}
