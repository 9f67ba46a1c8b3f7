import { originFile } from '../briefings/collect.js';
import type { QuarantinedDocument } from '../briefings/quarantine.js';
import type { Services } from '../services.js';
import { UsageError } from './boot.js';
import { outJson } from './kit.js';

type Out = (line: string) => void;

/** Quarantined documents, newest first; as JSON on stdout when `out` is null. */
export async function showQuarantine(s: Services, limit: number, out: Out | null): Promise<void> {
  const docs = await s.quarantine.list(limit);
  if (!out) return outJson(docs);
  if (docs.length === 0) {
    out('The quarantine is empty.');
    return;
  }
  for (const d of docs) {
    const what = [d.severity === 'warning' ? 'warning (collected)' : '', d.documentId ? `post ${d.documentId}` : '']
      .filter(Boolean)
      .join(', ');
    const seen = (d.times ?? 1) > 1 ? ` (met ${d.times} times)` : '';
    out(`${d.at}  ${d.id}  ${d.source}  ${d.origin}${what ? `  [${what}]` : ''}${seen}\n  ${d.code}: ${d.reason}`);
  }
}

/** Retry quarantined documents; returns a one-line summary. Unknown ids are a usage error. */
export async function retryQuarantined(s: Services, ids: string[] | 'all'): Promise<string> {
  const all = await s.quarantine.list(100_000);
  const picked = ids === 'all' ? all : all.filter((d) => ids.includes(d.id));
  const unknown = ids === 'all' ? [] : ids.filter((id) => !all.some((d) => d.id === id));
  if (unknown.length) throw new UsageError(`not in the quarantine: ${unknown.join(', ')}`);
  // Entries from one origin (a feed, a file) are re-read once: drop them all, then re-read.
  const groups = new Map<string, QuarantinedDocument[]>();
  for (const doc of picked) {
    const source = s.publication.sources.find((src) => src.id === doc.source);
    const key = !source || source.type === 'files' ? `${doc.source} ${originFile(doc.origin)}` : doc.source;
    groups.set(key, [...(groups.get(key) ?? []), doc]);
  }
  for (const docs of groups.values()) {
    for (const doc of docs) await s.quarantine.remove(doc.id);
    const first = docs[0] as QuarantinedDocument;
    await s.collector.reread(
      first,
      s.publication.sources.find((src) => src.id === first.source),
    );
  }
  const left = (await s.quarantine.list(100_000)).filter((d) => picked.some((p) => p.id === d.id)).length;
  return `${picked.length} retried: ${picked.length - left} now read, ${left} still quarantined`;
}
