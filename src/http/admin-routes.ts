import { PassThrough, type Readable } from 'node:stream';
import { z } from 'zod';
import { findList, type List } from '../publication.js';
import type { Services } from '../services.js';
import { exportReaders, importReaders } from '../subscriptions/csv.js';
import { FieldError, NotFoundError } from '../subscriptions/errors.js';
import { countByStatus, pageReaders, readerDetail, removeReader } from '../subscriptions/manage.js';
import { InvalidReaderError, normalizeEmail } from '../subscriptions/readers.js';
import { adminAuth } from './admin-auth.js';
import { tooLarge } from './errors.js';
import type { ZodApp } from './types.js';

const status = z.enum(['pending', 'confirmed', 'unsubscribed', 'bounced']);
const readerId = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
const listParam = z.object({ list: z.string().max(63) });

function email(raw: string, field = 'email'): string {
  try {
    return normalizeEmail(raw);
  } catch (err) {
    if (err instanceof InvalidReaderError) throw new FieldError(field, 'is not a valid email address');
    throw err;
  }
}

/** Largest CSV import, in bytes (about 200,000 readers). */
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

/** The stream, failing with a 413 once more than `limit` bytes came (a chunked body declares no length). */
function capped(payload: Readable, limit: number): Readable {
  let seen = 0;
  const out = new PassThrough();
  payload.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limit) {
      payload.destroy();
      out.destroy(tooLarge());
    }
  });
  payload.on('error', (err) => out.destroy(err));
  payload.pipe(out);
  return out;
}

/** Body of `POST /api/readers`. */
export const newReaderBody = z.object({
  email: z.string().max(254),
  name: z.string().max(100).optional(),
  list: z.string().max(63),
  topics: z.array(z.string().max(63)).max(100).optional(),
  status: z.enum(['pending', 'confirmed']).default('confirmed'),
  note: z.string().max(300).optional(),
});

/** Body of `PATCH /api/readers/:id`. */
export const readerPatchBody = z.object({
  list: z.string().max(63),
  topics: z.array(z.string().max(63)).max(100).optional(),
  status: status.optional(),
});

/** The admin API, mounted under `/api` behind `Authorization: Bearer $ADMIN_TOKEN`. */
export function registerAdminRoutes(api: ZodApp, s: Services): void {
  api.addHook('onRequest', adminAuth(s.config.adminToken));
  api.addContentTypeParser('text/csv', (req, payload, done) =>
    done(null, capped(payload, req.routeOptions.bodyLimit ?? IMPORT_BODY_LIMIT)),
  );

  const list = (id: string): List => {
    const found = findList(s.publication, id);
    if (!found) throw new NotFoundError(`unknown list "${id}"`);
    return found;
  };
  const listTopics = (l: List, topics: string[] | undefined) => s.subscriptions.checkTopics(l, topics);

  api.get('/lists', async () => ({
    lists: await Promise.all(
      s.publication.lists.map(async (l) => ({
        id: l.id,
        name: l.name,
        topics: l.topics,
        readers: await countByStatus(s.readers, l),
      })),
    ),
  }));

  api.get(
    '/lists/:list/readers',
    {
      schema: {
        params: listParam,
        querystring: z.object({
          cursor: z.string().max(40).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
    },
    async (req) => pageReaders(s.readers, list(req.params.list), req.query.cursor, req.query.limit),
  );

  api.get('/readers', { schema: { querystring: z.object({ q: z.string().min(1).max(254) }) } }, async (req) => ({
    readers: await s.readers.search(req.query.q, 100),
  }));

  api.post(
    '/readers',
    {
      schema: {
        body: newReaderBody,
      },
    },
    async (req, reply) => {
      const b = req.body;
      const l = list(b.list);
      const address = email(b.email);
      const topics = listTopics(l, b.topics);
      if ((await s.suppression.suppressed([address])).size) throw new FieldError('email', 'is on the suppression list');
      const reader = await s.readers.upsert(address, b.name);
      const subscription = await s.readers.setSubscription(l.id, reader.id, {
        status: b.status,
        topics,
        consent: { source: 'admin', ip: req.ip, ...(b.note ? { note: b.note } : {}) },
      });
      return reply.code(201).send({ reader, subscription });
    },
  );

  api.get('/readers/:id', { schema: { params: readerId } }, async (req) => {
    const detail = await readerDetail(s.readers, s.publication, req.params.id);
    if (!detail) throw new NotFoundError('unknown reader');
    return detail;
  });

  api.get('/readers/:id/consent', { schema: { params: readerId } }, async (req) => {
    if (!(await s.readers.get(req.params.id))) throw new NotFoundError('unknown reader');
    return { consent: await s.readers.consentHistory(req.params.id) };
  });

  api.patch(
    '/readers/:id',
    {
      schema: {
        params: readerId,
        body: readerPatchBody,
      },
    },
    async (req) => {
      const l = list(req.body.list);
      const current = await s.readers.subscription(l.id, req.params.id);
      if (!current) throw new NotFoundError('the reader is not on this list');
      const topics = req.body.topics ? listTopics(l, req.body.topics) : undefined;
      return s.readers.setSubscription(l.id, req.params.id, {
        status: req.body.status ?? current.status,
        ...(topics ? { topics } : {}),
        consent: { source: 'admin', ip: req.ip },
      });
    },
  );

  api.delete(
    '/readers/:id',
    { schema: { params: readerId, querystring: z.object({ erase: z.enum(['true', 'false']).default('false') }) } },
    async (req, reply) => {
      const removed = await removeReader(
        s.readers,
        s.suppression,
        s.publication,
        req.params.id,
        req.query.erase === 'true',
      );
      if (!removed) throw new NotFoundError('unknown reader');
      return reply.code(204).send();
    },
  );

  api.get(
    '/suppression',
    { schema: { querystring: z.object({ cursor: z.string().max(40).default('0') }) } },
    async (req) => s.suppression.page(req.query.cursor, 500),
  );
  api.post(
    '/suppression',
    {
      schema: { body: z.object({ email: z.string().max(254), reason: z.string().min(1).max(200).default('manual') }) },
    },
    async (req, reply) => {
      await s.suppression.add(email(req.body.email), req.body.reason);
      return reply.code(201).send({ status: 'suppressed' });
    },
  );
  api.delete(
    '/suppression/:email',
    { schema: { params: z.object({ email: z.string().max(254) }) } },
    async (req, reply) => {
      if (!(await s.suppression.remove(email(req.params.email))))
        throw new NotFoundError('not on the suppression list');
      return reply.code(204).send();
    },
  );

  api.post(
    '/lists/:list/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        params: listParam,
        querystring: z.object({
          confirmed: z.enum(['true', 'false']).default('false'),
          note: z.string().max(300).optional(),
        }),
      },
    },
    async (req) => {
      if (!String(req.headers['content-type'] ?? '').startsWith('text/csv')) {
        throw new FieldError('content-type', 'send the CSV as text/csv');
      }
      const l = list(req.params.list);
      try {
        return await importReaders(req.body as Readable, s.readers, s.suppression, {
          list: l,
          confirmed: req.query.confirmed === 'true',
          ...(req.query.note ? { note: req.query.note } : {}),
        });
      } catch (err) {
        // A file the parser refuses (no email column, an unclosed quote) is the client's error, not a 500.
        if (err instanceof InvalidReaderError) throw new FieldError('csv', err.message);
        throw err;
      }
    },
  );

  api.get('/lists/:list/export', { schema: { params: listParam } }, async (req, reply) => {
    const l = list(req.params.list);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${l.id}-readers.csv"`,
    });
    await exportReaders(s.readers, l, reply.raw);
    reply.raw.end();
  });
}
