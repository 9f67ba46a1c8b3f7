import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (v: string) => createHash('sha256').update(v).digest();

/** The token a request presents: `Bearer TOKEN`, or HTTP Basic with TOKEN as the password (for browsers). */
function presented(header: string): string | null {
  if (header.startsWith('Bearer ')) return header.slice(7);
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  }
  return null;
}

/**
 * An `onRequest` hook that lets through only requests carrying ADMIN_TOKEN (compared as
 * digests: equal length, constant time). No ADMIN_TOKEN set: everything behind it is closed.
 * `challenge` is the WWW-Authenticate scheme to ask for (`Basic` makes browsers prompt).
 */
export function adminAuth(adminToken: string | undefined, challenge: 'Bearer' | 'Basic' = 'Bearer') {
  const expected = adminToken ? digest(adminToken) : null;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = presented(req.headers.authorization ?? '');
    const given = token === null ? null : digest(token);
    if (!expected || !given || !timingSafeEqual(given, expected)) {
      reply.header('www-authenticate', challenge === 'Basic' ? 'Basic realm="Gazette", charset="UTF-8"' : 'Bearer');
      return reply.code(401).send({ error: 'unauthorized', message: 'Authentication required.' });
    }
  };
}
