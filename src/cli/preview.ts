import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addressSlug, archiveUrl, readerLinks } from '../delivery/message.js';
import { readerTopics } from '../editions/plan.js';
import { makeDirs } from '../make-dirs.js';
import { findList } from '../publication.js';
import { renderTopicSet } from '../render/digest.js';
import { compilePersonalizer } from '../render/personalize.js';
import type { DroppedBriefing } from '../render/vet.js';
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
  /** Briefings left out because their card could not be rendered, with the reason. */
  dropped: DroppedBriefing[];
}

/**
 * Where a preview goes unless told: beside the emails in the outbox, or in the temp directory
 * when sending over SMTP; never the working directory.
 */
export function defaultPreviewFile(s: Services, editionId: string, reader?: string): string {
  const dir =
    s.config.mail.transport.kind === 'outbox'
      ? path.resolve(s.config.mail.transport.dir)
      : path.join(tmpdir(), 'gazette');
  return path.join(dir, `preview-${editionId}${reader ? `-${addressSlug(reader)}` : ''}.html`);
}

/** Write one edition to an HTML file (and the text part beside it), as a reader would see it. */
export async function writePreview(
  s: Services,
  req: PreviewRequest & { out?: string },
): Promise<{ file: string; subject: string; dropped: DroppedBriefing[] } | null> {
  const preview = await renderPreview(s, req);
  if (!preview) return null;
  const file = path.resolve(req.out ?? defaultPreviewFile(s, preview.editionId, req.reader));
  await makeDirs(path.dirname(file));
  await writeFile(file, preview.html);
  await writeFile(`${file.replace(/\.html?$/i, '')}.txt`, preview.text);
  return { file, subject: preview.subject, dropped: preview.dropped };
}

/**
 * One edition as a reader would see it (HTML, text and subject); null when the list has nothing
 * new. Throws UsageError for an unknown list, edition or reader, or a reader with nothing to get.
 */
export async function renderPreview(s: Services, req: PreviewRequest): Promise<Preview | null> {
  const list = findList(s.publication, req.listId);
  if (!list)
    throw new UsageError(`unknown list "${req.listId}" (known: ${s.publication.lists.map((l) => l.id).join(', ')})`);
  // What the user named is checked first: a wrong address is an error even on a quiet day.
  const reader = req.reader ? await s.readers.findByEmail(req.reader) : null;
  if (req.reader && !reader) throw new UsageError(`no reader with address ${req.reader}`);
  const edition = req.editionId ? await s.editions.get(req.editionId) : await s.planner.draft(list.id);
  if (req.editionId && !edition) throw new UsageError(`unknown edition "${req.editionId}" (see gazette status)`);
  if (!edition) return null;
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
  return {
    editionId: edition.id,
    subject: filled.subject,
    html: filled.html,
    text: filled.text,
    dropped: rendered.dropped ?? [],
  };
}
