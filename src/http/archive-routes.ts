import { generateAtomFeed } from 'feedsmith';
import { z } from 'zod';
import { archiveUrl } from '../delivery/message.js';
import type { Edition } from '../editions/edition.js';
import { readerTopics } from '../editions/plan.js';
import { findList, type List } from '../publication.js';
import { formatDate } from '../render/dates.js';
import type { Services } from '../services.js';
import { NotFoundError } from '../subscriptions/errors.js';
import type { Pages } from './pages.js';
import { listView, type ZodApp } from './types.js';

const listParams = z.object({ list: z.string().max(63) });
const editionParams = z.object({ list: z.string().max(63), edition: z.string().max(120) });
/** `?topics=a,b`: the page for one topic set (a digest's "more on the web" links ask for it). */
const editionQuery = z.object({ topics: z.string().max(2000).optional() });

/** How many past editions the index and the feed show. */
const ARCHIVE_SIZE = 50;

function summary(edition: Edition): string {
  const count = edition.sections.reduce((n, sec) => n + sec.briefings.length, 0);
  return `${count} briefing${count === 1 ? '' : 's'}: ${edition.sections.map((sec) => sec.name).join(', ')}`;
}

/**
 * The web archive: past editions as pages, an index and an Atom feed. Only editions that went
 * out are shown; the page is the edition's full topic set, with the list's subscribe page in
 * place of any reader's links (no tokens).
 */
export function registerArchiveRoutes(app: ZodApp, s: Services, pages: Pages): void {
  const listOr404 = (id: string): List => {
    const list = findList(s.publication, id);
    if (!list) throw new NotFoundError(`unknown list "${id}"`);
    return list;
  };
  const sent = async (list: List, limit: number): Promise<Edition[]> => {
    const ids = await s.editions.recent(list.id, limit);
    const found = await Promise.all(ids.map((id) => published(list, id)));
    return found.filter((e): e is Edition => e !== null);
  };
  const published = async (list: List, id: string): Promise<Edition | null> => {
    const edition = await s.editions.get(id);
    if (!edition || edition.listId !== list.id) return null;
    const status = await s.editions.status(id);
    return status && status.state !== 'planned' ? edition : null;
  };

  app.get('/archive/:list', { schema: { params: listParams } }, async (req, reply) => {
    const list = listOr404(req.params.list);
    const editions = (await sent(list, ARCHIVE_SIZE)).map((e) => ({
      id: e.id,
      date: formatDate(e.cutoff, list.schedule.tz, list.locale),
      subject: summary(e),
    }));
    return reply
      .type('text/html; charset=utf-8')
      .send(pages.render('archive', { title: 'Past editions', ...listView(list), editions }));
  });

  app.get('/archive/:list/feed.xml', { schema: { params: listParams } }, async (req, reply) => {
    const list = listOr404(req.params.list);
    const editions = await sent(list, ARCHIVE_SIZE);
    const base = s.config.publicUrl;
    const xml = generateAtomFeed({
      id: `${base}/archive/${list.id}`,
      title: { value: list.name },
      ...(list.description ? { subtitle: { value: list.description } } : {}),
      updated: new Date(editions[0]?.cutoff ?? Date.now()),
      links: [
        { href: `${base}/archive/${list.id}/feed.xml`, rel: 'self' },
        { href: `${base}/archive/${list.id}`, rel: 'alternate', type: 'text/html' },
      ],
      entries: editions.map((e) => ({
        id: archiveUrl(base, e),
        title: { value: `${list.name}, ${formatDate(e.cutoff, list.schedule.tz, list.locale)}` },
        updated: new Date(e.cutoff),
        published: new Date(e.cutoff),
        summary: { value: summary(e) },
        links: [{ href: archiveUrl(base, e), rel: 'alternate', type: 'text/html' }],
      })),
    });
    return reply.type('application/atom+xml; charset=utf-8').send(xml);
  });

  app.get(
    '/archive/:list/:edition',
    { schema: { params: editionParams, querystring: editionQuery } },
    async (req, reply) => {
      const list = listOr404(req.params.list);
      const edition = await published(list, req.params.edition);
      if (!edition) throw new NotFoundError(`unknown edition "${req.params.edition}"`);
      const asked = (req.query.topics ?? '').split(',').filter((t) => list.topics.includes(t));
      const topics = readerTopics(edition, list, asked);
      const personalize = await s.renders.personalizer(edition, list, topics.length ? topics : list.topics, true);
      const subscribeUrl = `${s.config.publicUrl}/subscribe/${list.id}`;
      const page = personalize({ name: '', preferencesUrl: subscribeUrl, unsubscribeUrl: subscribeUrl });
      // Briefings left out of the render: named by id for operators (titles stay off the wire).
      const dropped = (await s.editions.status(edition.id))?.dropped ?? [];
      if (dropped.length)
        reply.header('x-gazette-dropped', dropped.map((d) => `${d.id}: ${asciiReason(d.reason)}`).join('; '));
      return reply.type('text/html; charset=utf-8').send(page.html);
    },
  );
}

/** A drop reason as a header value: printable ASCII only. */
function asciiReason(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
