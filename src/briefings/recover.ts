import { jsonrepair } from 'jsonrepair';
import { DocumentError } from './errors.js';

/** Documents above this size are refused before parsing: no real post is anywhere near it. */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

/** The result of {@link recoverJson}: the value, and whether it needed repairing. */
export interface Recovered {
  value: unknown;
  /** True when plain `JSON.parse` failed and jsonrepair salvaged the text. */
  repaired: boolean;
}

/**
 * Parses JSON, repairing it when needed: saved WordPress responses arrive with raw newlines in
 * strings and cut off mid-document, which jsonrepair closes again.
 *
 * @throws {DocumentError} `DOCUMENT_UNREADABLE` when the text is too large or cannot be repaired.
 */
export function recoverJson(text: string): Recovered {
  guardSize(text);
  try {
    return { value: JSON.parse(text), repaired: false };
  } catch {
    // Fall through to the repair below: the common case for saved documents.
  }
  let value: unknown;
  try {
    value = JSON.parse(jsonrepair(text));
  } catch (err) {
    throw new DocumentError('DOCUMENT_UNREADABLE', `not JSON and could not be repaired: ${describe(err)}`, {
      cause: err,
    });
  }
  // jsonrepair turns any prose into JSON ("a, b" → ["a", "b"]): that is not a recovered
  // document. A repair counts when it yields an object, or an array the text began as.
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject && !(Array.isArray(value) && text.trimStart().startsWith('['))) {
    throw new DocumentError(
      'DOCUMENT_UNREADABLE',
      'not JSON and could not be repaired: the text does not hold a JSON object or array',
    );
  }
  return { value, repaired: true };
}

function guardSize(text: string): void {
  // Cheap check first: one UTF-16 unit never takes more than three bytes in UTF-8.
  if (text.length * 3 <= MAX_DOCUMENT_BYTES) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new DocumentError(
      'DOCUMENT_UNREADABLE',
      `document is ${formatMb(bytes)}, above the ${formatMb(MAX_DOCUMENT_BYTES)} limit`,
    );
  }
}

function formatMb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
