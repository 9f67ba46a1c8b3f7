import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed link may do. A token for one purpose is refused for another. */
export type TokenPurpose = 'unsubscribe' | 'preferences' | 'confirm';

export interface TokenClaims {
  /** Reader id. */
  r: string;
  /** List id. */
  l: string;
  p: TokenPurpose;
  /** Expiry, seconds since the epoch. */
  e: number;
  /** Key id, for rotation. */
  k: string;
}

export type TokenFailure = 'malformed' | 'bad-signature' | 'expired' | 'wrong-purpose';

export class TokenError extends Error {
  readonly code = 'TOKEN_INVALID';
  constructor(readonly reason: TokenFailure) {
    super(`invalid token: ${reason}`);
  }
}

const KEY_ID = 'k1';

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/**
 * HMAC-SHA256 signed, purpose-scoped, expiring tokens for readers' links:
 * `base64url(json claims).base64url(signature)`.
 */
export class Tokens {
  constructor(private readonly secret: string) {}

  issue(readerId: string, listId: string, purpose: TokenPurpose, ttlSeconds: number, now = Date.now()): string {
    const claims: TokenClaims = {
      r: readerId,
      l: listId,
      p: purpose,
      e: Math.floor(now / 1000) + ttlSeconds,
      k: KEY_ID,
    };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${sign(this.secret, payload).toString('base64url')}`;
  }

  /** The claims of a valid token for `purpose`; throws TokenError otherwise. Constant-time comparison. */
  verify(token: string, purpose: TokenPurpose, now = Date.now()): TokenClaims {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) throw new TokenError('malformed');
    const expected = sign(this.secret, payload);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenError('bad-signature');
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      throw new TokenError('malformed');
    }
    if (typeof claims.r !== 'string' || typeof claims.l !== 'string' || typeof claims.e !== 'number') {
      throw new TokenError('malformed');
    }
    if (claims.p !== purpose) throw new TokenError('wrong-purpose');
    if (claims.e * 1000 < now) throw new TokenError('expired');
    return claims;
  }
}
