import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { archiveUrl, readerLinks } from '../delivery/message.js';
import { readerTopics } from '../editions/plan.js';
import { findList } from '../publication.js';
import { renderTopicSet } from '../render/digest.js';
import { compilePersonalizer } from '../render/personalize.js';
import type { Services } from '../services.js';
import { UsageError } from './boot.js';

export interface PreviewRequest {
  listId: string;
  /** A reader's address: render what that reader would get (their topics, their links). */
  reader?: string;
  /** A planned edition id; default: the list's current edition or a draft of it. */
  editionId?: string;
}

export interface Preview {
  editionId: string;
  subject: string;
  html: string;
  text: string;
}

/** Write one edition to an HTML file (and the text part beside it), as a reader would see it. */
export async function writePreview(
  s: Services,
  req: PreviewRequest & { out: string },
): Promise<{ file: string; subject: string } | null> {
  const preview = await renderPreview(s, req);
  if (!preview) return null;
  await mkdir(path.dirname(path.resolve(req.out)), { recursive: true });
  await writeFile(req.out, preview.html);
  await writeFile(`${req.out.replace(/\.html?$/i, '')}.txt`, preview.text);
  return { file: path.resolve(req.out), subject: preview.subject };
}

/**
 * One edition as a reader would see it (HTML, text and subject); null when the list has nothing
 * new. Throws UsageError for an unknown list, edition or reader, or a reader with nothing to get.
 */
export async function renderPreview(s: Services, req: PreviewRequest): Promise<Preview | null> {
  const list = findList(s.publication, req.listId);
  if (!list)
    throw new UsageError(`unknown list "${req.listId}" (known: ${s.publication.lists.map((l) => l.id).join(', ')})`);
  const edition = req.editionId ? await s.editions.get(req.editionId) : await s.planner.draft(list.id);
  if (req.editionId && !edition) throw new UsageError(`unknown edition "${req.editionId}"`);
  if (!edition) return null;
  const reader = req.reader ? await s.readers.findByEmail(req.reader) : null;
  if (req.reader && !reader) throw new UsageError(`no reader with address ${req.reader}`);
  const subscription = reader ? await s.readers.subscription(list.id, reader.id) : null;
  const topics = readerTopics(edition, list, subscription?.topics ?? []);
  if (topics.length === 0)
    throw new UsageError(`${req.reader} gets no email from this edition: nothing new in their topics`);
  const rendered = await renderTopicSet({
    publication: s.publication,
    list,
    edition,
    topics,
    archiveUrl: archiveUrl(s.config.publicUrl, edition),
    templates: s.templates,
  });
  const links = readerLinks(
    {
      publicUrl: s.config.publicUrl,
      defaultFrom: s.config.mail.from,
      unsubscribeAddress: s.config.mail.unsubscribeAddress,
    },
    s.tokens,
    list,
    reader?.id ?? 'preview',
  );
  const filled = compilePersonalizer(rendered)({
    name: reader?.name ?? '',
    ...links,
    followed: subscription?.topics ?? [],
  });
  return { editionId: edition.id, subject: filled.subject, html: filled.html, text: filled.text };
}
