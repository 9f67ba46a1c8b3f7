import { describe, expect, it } from 'vitest';
import { readerLinks } from '../../src/delivery/message.js';
import type { List } from '../../src/publication.js';
import { TokenError, Tokens } from '../../src/subscriptions/tokens.js';

const tokens = new Tokens('a-test-secret-that-is-long-enough-for-hmac');

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenError) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('signed reader tokens', () => {
  it('round-trips reader, list and purpose', () => {
    const t = tokens.issue('r1', 'daily', 'unsubscribe', 3600);
    expect(tokens.verify(t, 'unsubscribe')).toMatchObject({ r: 'r1', l: 'daily', p: 'unsubscribe' });
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a token used for another purpose', () => {
    expect(failure(() => tokens.verify(tokens.issue('r1', 'daily', 'preferences', 60), 'unsubscribe'))).toBe(
      'wrong-purpose',
    );
  });

  it('refuses an expired token', () => {
    const t = tokens.issue('r1', 'daily', 'unsubscribe', 60, Date.now() - 3600_000);
    expect(failure(() => tokens.verify(t, 'unsubscribe'))).toBe('expired');
  });

  it('refuses a forged payload, a token of another key, and garbage', () => {
    const t = tokens.issue('r1', 'daily', 'unsubscribe', 60);
    const [, sig] = t.split('.');
    const forged = `${Buffer.from(JSON.stringify({ r: 'r2', l: 'daily', p: 'unsubscribe', e: 9e9, k: 'k1' })).toString('base64url')}.${sig}`;
    expect(failure(() => tokens.verify(forged, 'unsubscribe'))).toBe('bad-signature');
    const other = new Tokens('another-secret-another-secret-another').issue('r1', 'daily', 'unsubscribe', 60);
    expect(failure(() => tokens.verify(other, 'unsubscribe'))).toBe('bad-signature');
    for (const junk of ['', 'abc', 'a.b.c', '..', `${t}x`])
      expect(failure(() => tokens.verify(junk, 'unsubscribe'))).not.toBe('accepted');
  });

  it('rotates keys: new tokens use the first key; tokens of an older key verify until it leaves the ring', () => {
    const oldKey = 'the-old-signing-key-that-is-long-enough-0';
    const newKey = 'the-new-signing-key-that-is-long-enough-1';
    const before = new Tokens(oldKey).issue('r1', 'daily', 'unsubscribe', 3600);
    const rotated = new Tokens([
      { id: 'k2', key: newKey },
      { id: 'k1', key: oldKey },
    ]);
    expect(rotated.verify(before, 'unsubscribe')).toMatchObject({ r: 'r1', k: 'k1' });
    const fresh = rotated.issue('r1', 'daily', 'unsubscribe', 3600);
    expect(rotated.verify(fresh, 'unsubscribe').k).toBe('k2');
    const retired = new Tokens([{ id: 'k2', key: newKey }]);
    expect(failure(() => retired.verify(before, 'unsubscribe'))).toBe('bad-signature');
    expect(retired.verify(fresh, 'unsubscribe').r).toBe('r1');
  });

  it('refuses a signature whose last character differs only in its unused bits', () => {
    // 32 bytes are 43 base64url characters; the last one carries 2 bits that decode to nothing.
    const t = tokens.issue('r1', 'daily', 'unsubscribe', 3600);
    const [payload = '', sig = ''] = t.split('.');
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = ALPHABET.indexOf(sig.at(-1) ?? 'A');
    const twins = [1, 2, 3].map((d) => `${payload}.${sig.slice(0, -1)}${ALPHABET[last ^ d]}`);
    for (const twin of twins) {
      expect(Buffer.from(twin.split('.')[1] ?? '', 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
      expect(failure(() => tokens.verify(twin, 'unsubscribe'))).toBe('bad-signature');
    }
  });

  it('refuses claims that were not signed, even with a valid-looking shape', () => {
    const t = tokens.issue('r1', 'daily', 'unsubscribe', 3600);
    const [payload = '', sig = ''] = t.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${Buffer.from(JSON.stringify({ ...claims, r: 'r2' })).toString('base64url')}.${sig}`;
    expect(failure(() => tokens.verify(forged, 'unsubscribe'))).toBe('bad-signature');
    expect(failure(() => tokens.verify('', 'unsubscribe'))).toBe('malformed');
    expect(failure(() => tokens.verify('a.b.c', 'unsubscribe'))).toBe('malformed');
  });

  it('keeps the links an email carries working for a year', () => {
    const identity = {
      publicUrl: 'https://news.example',
      defaultFrom: 'a@news.example',
      unsubscribeAddress: 'u@news.example',
    };
    const links = readerLinks(identity, tokens, { id: 'daily' } as List, 'r1');
    const token = (url: string) => url.slice(url.lastIndexOf('/') + 1);
    const mailto = decodeURIComponent(links.unsubscribeMailto.split('subject=')[1] ?? '').replace(/^unsubscribe /, '');
    const day = 86_400_000;
    for (const [t, purpose] of [
      [token(links.unsubscribeUrl), 'unsubscribe'],
      [mailto, 'unsubscribe'],
      [token(links.preferencesUrl), 'preferences'],
    ] as const) {
      expect(tokens.verify(t, purpose, Date.now() + 364 * day)).toMatchObject({ r: 'r1', l: 'daily', p: purpose });
      expect(failure(() => tokens.verify(t, purpose, Date.now() + 366 * day))).toBe('expired');
    }
  });
});
