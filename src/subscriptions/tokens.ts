import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { SigningKey } from '../config.js';

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
  /** Nonce of a single-use token (confirm links). */
  n?: string;
}

export type TokenFailure = 'malformed' | 'bad-signature' | 'expired' | 'wrong-purpose';

export class TokenError extends Error {
  readonly code = 'TOKEN_INVALID';
  constructor(readonly reason: TokenFailure) {
    super(`invalid token: ${reason}`);
  }
}

const claimsSchema = z.strictObject({
  r: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  l: z.string().regex(/^[a-z0-9-]{1,63}$/),
  p: z.enum(['unsubscribe', 'preferences', 'confirm']),
  e: z.number().int().positive(),
  k: z.string().min(1).max(16),
  n: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .optional(),
});

const B64URL = /^[A-Za-z0-9_-]+$/;

// Keys are KeyObjects made once: a string key is imported again by every createHmac call.
function sign(key: KeyObject, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/**
 * HMAC-SHA256 signed, purpose-scoped, expiring tokens for readers' links:
 * `base64url(json claims).base64url(signature)`. The claims name the key id: new tokens are
 * signed with the first key of the ring, and tokens signed with any key still in the ring verify
 * (rotate by putting a new key first; remove an old one once its links may lapse).
 */
export class Tokens {
  private readonly keys: ReadonlyMap<string, KeyObject>;
  private readonly signer: { id: string; key: KeyObject };

  /** @param ring one key (id `k1`) or the key ring, first key signing. */
  constructor(ring: string | readonly SigningKey[]) {
    const keys = typeof ring === 'string' ? [{ id: 'k1', key: ring }] : [...ring];
    const first = keys[0];
    if (!first) throw new Error('Tokens needs at least one key');
    this.signer = { id: first.id, key: createSecretKey(first.key, 'utf8') };
    this.keys = new Map(keys.map((k) => [k.id, createSecretKey(k.key, 'utf8')]));
  }

  issue(
    readerId: string,
    listId: string,
    purpose: TokenPurpose,
    ttlSeconds: number,
    now = Date.now(),
    nonce?: string,
  ): string {
    const claims: TokenClaims = {
      r: readerId,
      l: listId,
      p: purpose,
      e: Math.floor(now / 1000) + ttlSeconds,
      k: this.signer.id,
      ...(nonce ? { n: nonce } : {}),
    };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${sign(this.signer.key, payload).toString('base64url')}`;
  }

  /** The claims of a valid token for `purpose`; throws TokenError otherwise. Constant-time comparison. */
  verify(token: string, purpose: TokenPurpose, now = Date.now()): TokenClaims {
    if (typeof token !== 'string' || token.length > 1024) throw new TokenError('malformed');
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined || !B64URL.test(payload) || !B64URL.test(signature)) {
      throw new TokenError('malformed');
    }
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new TokenError('malformed');
    }
    const kid = (raw as { k?: unknown } | null)?.k;
    const key = typeof kid === 'string' ? this.keys.get(kid) : undefined;
    // An unknown (retired) key id is a bad signature, checked like any other.
    // Compared as text, not as decoded bytes: the last base64url character carries unused bits,
    // so a decoded comparison would accept a signature with those bits changed.
    const expected = Buffer.from(sign(key ?? this.signer.key, payload).toString('base64url'));
    const given = Buffer.from(signature);
    const same = given.length === expected.length && timingSafeEqual(given, expected);
    if (!same || !key) throw new TokenError('bad-signature');
    const parsed = claimsSchema.safeParse(raw);
    if (!parsed.success) throw new TokenError('malformed');
    const claims = parsed.data;
    if (claims.p !== purpose) throw new TokenError('wrong-purpose');
    if (claims.e * 1000 < now) throw new TokenError('expired');
    return claims;
  }
}
