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
  out: string;
}

/** Write one edition to an HTML file (and the text part beside it), as a reader would see it. */
export async function writePreview(
  s: Services,
  req: PreviewRequest,
): Promise<{ file: string; subject: string } | null> {
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
  await mkdir(path.dirname(path.resolve(req.out)), { recursive: true });
  await writeFile(req.out, filled.html);
  await writeFile(`${req.out.replace(/\.html?$/i, '')}.txt`, filled.text);
  return { file: path.resolve(req.out), subject: filled.subject };
}
