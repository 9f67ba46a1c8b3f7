import type { ParsedBriefing } from '../briefing.js';
import type { DocumentError } from '../errors.js';
import { FetchError } from './fetch.js';

/** A document a source could not read: where it came from, why, its start, and its own id when known. */
export interface Rejected {
  origin: string;
  error: DocumentError;
  excerpt: string;
  documentId?: string;
}

/** One thing a source yields: a parsed briefing, a document it could not read, or a publisher id no longer published. */
export type SourceEntry = { briefing: ParsedBriefing } | { rejected: Rejected } | { unpublished: string };

/**
 * One collection run of a source. `entries` are consumed first; `commit` then records how far
 * the run got (its cursor), so a run that dies midway is simply read again next time.
 */
export interface SourceRun {
  entries: AsyncIterable<SourceEntry>;
  commit(): Promise<void>;
}

/** A source-level failure (the site, not one document): `retryable` tells BullMQ whether to back off and retry. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A fetch failure as a SourceError (timeouts and network errors retry, the rest do not); anything else rethrown. */
export function fromFetchError(err: unknown, context: string): never {
  if (err instanceof FetchError)
    throw new SourceError(err.code, `${context}: ${err.message}`, err.retryable, { cause: err });
  throw err;
}

/** HTTP statuses worth retrying: the server may answer later. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
