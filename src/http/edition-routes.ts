import { z } from 'zod';
import { planAndDispatch } from '../../jobs/plan-edition.js';
import { UsageError } from '../cli/boot.js';
import { renderPreview } from '../cli/preview.js';
import { EditionStateError, UnknownEditionError } from '../delivery/dispatcher.js';
import { findList } from '../publication.js';
import type { Services } from '../services.js';
import { ConflictError, FieldError, NotFoundError } from '../subscriptions/errors.js';
import type { ZodApp } from './types.js';

const listParam = z.object({ list: z.string().max(63) });
const editionParam = z.object({ id: z.string().min(1).max(200) });

/**
 * Editions in the admin API (registered inside its authenticated scope): list, preview and
 * trigger a list's editions; show, pause, resume and cancel one.
 */
export function registerEditionRoutes(api: ZodApp, s: Services): void {
  const list = (id: string) => {
    const found = findList(s.publication, id);
    if (!found) throw new NotFoundError(`unknown list "${id}"`);
    return found;
  };
  const status = async (id: string) => {
    const st = await s.editions.status(id);
    if (!st) throw new NotFoundError(`unknown edition "${id}"`);
    return { id, ...st, control: await s.editions.control(id) };
  };

  api.get(
    '/lists/:list/editions',
    {
      schema: {
        params: listParam,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      },
    },
    async (req) => {
      const l = list(req.params.list);
      const ids = await s.editions.recent(l.id, req.query.limit);
      return { editions: await Promise.all(ids.map(status)) };
    },
  );

  // Trigger the list's edition for its latest slot now; the workers send it.
  api.post('/lists/:list/editions', { schema: { params: listParam } }, async (req, reply) => {
    const l = list(req.params.list);
    const outcome = await planAndDispatch(s, l.id, new Date());
    if (outcome.status === 'skipped') return reply.code(200).send({ status: 'skipped', reason: outcome.reason });
    return reply.code(202).send({ status: outcome.status, edition: await status(outcome.edition.id) });
  });

  // The list's current edition (or a draft of the next), as a reader would get it.
  api.get(
    '/lists/:list/preview',
    {
      schema: {
        params: listParam,
        querystring: z.object({
          reader: z.string().max(254).optional(),
          edition: z.string().max(200).optional(),
          format: z.enum(['html', 'text', 'json']).default('html'),
        }),
      },
    },
    async (req, reply) => {
      const l = list(req.params.list);
      let preview: Awaited<ReturnType<typeof renderPreview>>;
      try {
        preview = await renderPreview(s, {
          listId: l.id,
          ...(req.query.reader ? { reader: req.query.reader } : {}),
          ...(req.query.edition ? { editionId: req.query.edition } : {}),
        });
      } catch (err) {
        if (err instanceof UsageError) throw new FieldError(req.query.reader ? 'reader' : 'edition', err.message);
        throw err;
      }
      if (!preview) throw new NotFoundError(`list "${l.id}" has nothing new since its last edition`);
      if (req.query.format === 'json') return preview;
      reply.header('x-gazette-subject', encodeURIComponent(preview.subject));
      if (req.query.format === 'text') return reply.type('text/plain; charset=utf-8').send(preview.text);
      return reply.type('text/html; charset=utf-8').send(preview.html);
    },
  );

  api.get('/editions/:id', { schema: { params: editionParam } }, async (req) => status(req.params.id));

  for (const verb of ['pause', 'resume', 'cancel'] as const) {
    api.post(
      `/editions/:id/${verb}`,
      {
        schema: {
          params: editionParam,
          body: z.object({ reason: z.string().min(1).max(200).optional() }).nullish(),
        },
      },
      async (req) => {
        const id = req.params.id;
        try {
          if (verb === 'pause') await s.dispatcher.pause(id, req.body?.reason ?? 'paused through the admin API');
          else if (verb === 'cancel') await s.dispatcher.cancel(id);
          else await s.dispatcher.resume(id);
        } catch (err) {
          if (err instanceof UnknownEditionError) throw new NotFoundError(`unknown edition "${id}"`);
          if (err instanceof EditionStateError) throw new ConflictError(err.message);
          throw err;
        }
        return status(id);
      },
    );
  }
}
