/** Errors of the reader-facing flows; the HTTP layer maps each to a status and a page. */

/** Bad input: names the field (`email`, `topics`, `list`…). */
export class FieldError extends Error {
  readonly code = 'FIELD_INVALID';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** An unknown list, reader or edition. */
export class NotFoundError extends Error {
  readonly code = 'NOT_FOUND';
}

/** Too many requests for this address or client; try again after `retryAfter` seconds. */
export class RateLimitedError extends Error {
  readonly code = 'RATE_LIMITED';
  constructor(readonly retryAfter: number) {
    super(`too many requests; try again in ${retryAfter} s`);
  }
}

/** The thing asked for cannot be done in its current state (e.g. resuming a sent edition). */
export class ConflictError extends Error {
  readonly code = 'CONFLICT';
}
