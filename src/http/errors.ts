import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, FieldError, NotFoundError, RateLimitedError } from '../subscriptions/errors.js';
import { TokenError } from '../subscriptions/tokens.js';
import type { Pages } from './pages.js';

/** JSON for the API and JSON requests; an HTML page for people. */
export function wantsJson(req: FastifyRequest): boolean {
  if (req.url.startsWith('/api/') || req.url === '/api') return true;
  const type = String(req.headers['content-type'] ?? '');
  const accept = String(req.headers.accept ?? '');
  return type.startsWith('application/json') || (accept.includes('application/json') && !accept.includes('text/html'));
}

interface Problem {
  status: number;
  error: string;
  message: string;
  field?: string;
  retryAfter?: number;
}

const GENERIC: Record<number, string> = {
  400: 'The request could not be understood.',
  401: 'Authentication required.',
  403: 'Forbidden.',
  404: 'Not found.',
  405: 'Method not allowed.',
  413: 'The request body is too large.',
  415: 'Unsupported content type.',
  429: 'Too many requests. Try again later.',
};

/** The invalid-link answer: one page for every reason (bad signature, expiry, purpose…). */
export const INVALID_LINK: Problem = {
  status: 400,
  error: 'invalid-link',
  message: 'This link is not valid or has expired. Open the latest email you received, or subscribe again.',
};

function fieldOf(err: FastifyError): string | undefined {
  const first = err.validation?.[0];
  if (!first) return undefined;
  const where = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (first.params as { issue?: { path?: unknown[] } } | undefined)?.issue?.path;
  return where || (Array.isArray(missing) ? missing.join('.') : undefined) || err.validationContext;
}

/** A 413 like fastify's own, for bodies that its `bodyLimit` check does not see (multipart, streams). */
export function tooLarge(): Error {
  return Object.assign(new Error('request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
}

/** Classify any error into what may be shown; 5xx never carry detail. */
export function toProblem(err: unknown): Problem {
  if (err instanceof TokenError) return INVALID_LINK;
  if (err instanceof FieldError) return { status: 400, error: 'invalid-field', field: err.field, message: err.message };
  if (err instanceof NotFoundError) return { status: 404, error: 'not-found', message: err.message };
  if (err instanceof ConflictError) return { status: 409, error: 'conflict', message: err.message };
  if (err instanceof RateLimitedError) {
    return { status: 429, error: 'rate-limited', message: GENERIC[429] ?? '', retryAfter: err.retryAfter };
  }
  const e = err as FastifyError;
  if (e.validation) {
    const field = fieldOf(e) ?? 'body';
    const detail = e.validation[0]?.message ?? 'invalid';
    return { status: 400, error: 'invalid-field', field, message: `${field}: ${detail}` };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, error: e.code ?? 'bad-request', message: GENERIC[status] ?? GENERIC[400] ?? '' };
  }
  return { status: 500, error: 'internal', message: 'Something went wrong on our side. Please try again later.' };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, pages: Pages, p: Problem): FastifyReply {
  if (p.retryAfter !== undefined) reply.header('retry-after', String(p.retryAfter));
  reply.code(p.status).header('cache-control', 'no-store');
  if (wantsJson(req)) {
    const { status: _status, retryAfter: _r, ...body } = p;
    return reply.type('application/json').send(body);
  }
  const heading = p.status === 404 ? 'Not found' : p.status >= 500 ? 'Something went wrong' : 'We could not do that';
  return reply
    .type('text/html; charset=utf-8')
    .send(pages.render('error', { title: heading, heading, message: p.message }));
}

/** One error handler and one not-found handler for the whole app. */
/** `16 KB`, `16 MB`: a body limit as the 413 answer states it. */
function sizeOf(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

/** @param bodyLimit - the server's body limit, for a route that sets none of its own */
export function installErrorHandling(app: FastifyInstance, pages: Pages, bodyLimit: number): void {
  app.setErrorHandler((err, req, reply) => {
    let problem = toProblem(err);
    // The limit of the route asked (the CSV import takes 16 MB, the rest 16 KB).
    if (problem.status === 413)
      problem = {
        ...problem,
        message: `The request body is too large (at most ${sizeOf(req.routeOptions.bodyLimit ?? bodyLimit)}).`,
      };
    if (problem.status >= 500) {
      req.log.error({
        event: 'http.error',
        err: { message: (err as Error).message, code: (err as FastifyError).code },
      });
    }
    return sendProblem(req, reply, pages, problem);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(req, reply, pages, { status: 404, error: 'not-found', message: 'There is no page at this address.' }),
  );
}
