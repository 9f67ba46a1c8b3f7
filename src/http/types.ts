import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { List } from '../publication.js';
import type { Consent } from '../subscriptions/readers.js';

/** The app as route modules see it: zod schemas give typed params and bodies. */
export type ZodApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** Where a change came from, for the consent record. */
export function consentOf(req: FastifyRequest, source: string): Consent {
  const ua = req.headers['user-agent'];
  return { source, ip: req.ip, ...(typeof ua === 'string' ? { ua } : {}) };
}

/** A form field given once, several times, or not at all → an array. */
export const manyStrings = z
  .union([z.string().max(200), z.array(z.string().max(200)).max(100)])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** Token path parameter: bounded, and the rest is the token's own check. */
export const tokenParams = z.object({ token: z.string().min(1).max(1024) });

/** What every page shows about a list. */
export function listView(list: List) {
  return { listName: list.name, listId: list.id, postalLines: list.postalAddress.split(/\r?\n/) };
}
