/**
 * Stable codes for documents Gazette cannot turn into a briefing.
 * - `DOCUMENT_UNREADABLE`: the bytes are not (recoverable) JSON, or too large to try.
 * - `DOCUMENT_INVALID`: readable JSON that is not a usable WordPress post.
 */
export type DocumentErrorCode = 'DOCUMENT_UNREADABLE' | 'DOCUMENT_INVALID';

/**
 * A document that cannot be salvaged. Permanent: retrying the same bytes gives the same answer,
 * so callers quarantine it with {@link DocumentError.reason} instead of retrying.
 */
export class DocumentError extends Error {
  override readonly name = 'DocumentError';
  readonly code: DocumentErrorCode;
  /** A sentence for operators, e.g. `missing field "title.rendered"`. Never echoes the document. */
  readonly reason: string;

  constructor(code: DocumentErrorCode, reason: string, options?: { cause?: unknown }) {
    super(`${code}: ${reason}`, options);
    this.code = code;
    this.reason = reason;
  }
}
