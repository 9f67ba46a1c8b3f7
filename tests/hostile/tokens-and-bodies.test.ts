/**
 * Hostile requests: 10,000 mutations of valid signed links are refused with one uniform 4xx
 * (never a 5xx, never accepted), and oversized bodies get 413 before they are read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../../src/subscriptions/tokens.js';
import { seedSample } from '../support/gazette.js';
import { ADMIN, cookiesOf, csrfIn, startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ODD = ['.', '..', '%00', '%2e', '=', '+', '/', '~', 'é', '\u202e', '\ud83d\ude00', ' ', '%0d%0a'];

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The `i`-th mutation of `token`: bit flips, cuts, insertions, substitutions, case swaps, claim swaps. */
function mutate(token: string, i: number, rnd: () => number): string {
  const [payload = '', signature = ''] = token.split('.');
  const at = (s: string) => Math.floor(rnd() * s.length);
  switch (i % 8) {
    case 0:
    case 1: {
      const part = Buffer.from(i % 2 ? signature : payload, 'base64url');
      const bit = Math.floor(rnd() * part.length * 8);
      part[bit >> 3] = (part[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      return i % 2 ? `${payload}.${part.toString('base64url')}` : `${part.toString('base64url')}.${signature}`;
    }
    case 2:
      return token.slice(0, 1 + at(token.slice(1)));
    case 3: {
      const p = at(token);
      return token.slice(0, p) + ALPHABET[Math.floor(rnd() * 64)] + token.slice(p);
    }
    case 4: {
      const p = at(token);
      let c = ALPHABET[Math.floor(rnd() * 64)] as string;
      if (c === token[p]) c = c === 'A' ? 'B' : 'A';
      return token.slice(0, p) + c + token.slice(p + 1);
    }
    case 5: {
      const p = at(token);
      const c = token[p] ?? 'a';
      const swapped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return swapped === c ? `${token}A` : token.slice(0, p) + swapped + token.slice(p + 1);
    }
    case 6: {
      const p = at(token);
      return token.slice(0, p) + (ODD[Math.floor(rnd() * ODD.length)] as string) + token.slice(p);
    }
    default: {
      // Other claims under the same signature: another reader, list, purpose, a later expiry.
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const keys = Object.keys(claims);
      const k = keys[Math.floor(rnd() * keys.length)] as string;
      const v = claims[k];
      claims[k] = typeof v === 'number' ? v + 1 + Math.floor(rnd() * 1e6) : `${String(v)}x`;
      return `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    }
  }
}

describe('10,000 mutated signed links', () => {
  const redis = testRedis('hostile-tokens');
  let sink: SmtpSink;
  let t: TestApp;
  let ids: Map<string, string>;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink, {}, { subscribePerIpPerMinute: 1_000_000 });
    ids = await seedSample(t.gazette);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('are never accepted: one uniform 4xx page, no 5xx, no reader changed', async () => {
    const s = t.gazette.services;
    const reader = ids.get('linus@example.com') ?? '';
    const rnd = random(20261206);
    const other = new Tokens('another-key-that-gazette-never-had-0123456789');
    const purposes = ['unsubscribe', 'preferences', 'confirm'] as const;
    /** Valid-looking tokens that must still fail: expired, another key, another purpose, swapped, re-encoded, unicode, extended. */
    const special = (valid: string, purpose: (typeof purposes)[number], k: number, r: () => number): string => {
      const [payload = '', signature = ''] = valid.split('.');
      switch (k % 7) {
        case 0:
          return s.tokens.issue(reader, 'korea-daily', purpose, -1 - Math.floor(r() * 1e6));
        case 1:
          return other.issue(reader, 'korea-daily', purpose, 3600);
        case 2:
          return s.tokens.issue(reader, 'korea-daily', purposes.find((p) => p !== purpose) ?? 'confirm', 3600);
        case 3:
          return `${signature}.${payload}`;
        case 4: {
          // base64 (not base64url) alphabet and padding
          const std = `${Buffer.from(payload, 'base64url').toString('base64')}.${Buffer.from(signature, 'base64url').toString('base64')}`;
          return std === valid ? `${valid}=` : std;
        }
        case 5: {
          const p = Math.floor(r() * valid.length);
          const u = ['\u0430', '\uff21', '\u00e9', '\u0000', '\u200b', '\ud83d\ude00'][Math.floor(r() * 6)] as string;
          return valid.slice(0, p) + u + valid.slice(p + 1);
        }
        default:
          return `${valid}${ALPHABET.slice(0, 1 + Math.floor(r() * 20))}`;
      }
    };
    const routes = [
      { purpose: 'preferences', method: 'POST', path: '/preferences/' },
      { purpose: 'unsubscribe', method: 'GET', path: '/unsubscribe/' },
      { purpose: 'unsubscribe', method: 'POST', path: '/unsubscribe/' },
      { purpose: 'confirm', method: 'GET', path: '/confirm/' },
      { purpose: 'preferences', method: 'GET', path: '/preferences/' },
    ] as const;
    // A real CSRF cookie and field, so the preferences POST reaches the token check.
    const page = await t.app.inject({
      method: 'GET',
      url: `/preferences/${s.tokens.issue(reader, 'korea-daily', 'preferences', 3600)}`,
    });
    const cookie = cookiesOf(page.headers['set-cookie']);
    const form = `_csrf=${encodeURIComponent(csrfIn(page.body))}&subscribed=yes`;
    const codes = new Map<string, number>();
    const bodies = new Map<string, Set<string>>();
    let accepted = 0;
    const N = 10_000;
    for (let i = 0; i < N; i++) {
      const route = routes[i % routes.length] as (typeof routes)[number];
      const valid = s.tokens.issue(reader, 'korea-daily', route.purpose, 3600);
      const k = Math.floor(i / routes.length);
      let token = k % 3 === 2 ? special(valid, route.purpose, k, rnd) : mutate(valid, k, rnd);
      if (token === valid) token = `${valid}x`;
      const res = await t.app.inject({
        method: route.method,
        url: `${route.path}${encodeURIComponent(token)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        ...(route.method === 'POST'
          ? { payload: route.path === '/preferences/' ? form : 'List-Unsubscribe=One-Click' }
          : {}),
      });
      const name = `${route.method} ${route.path}`;
      const code = `${name} ${res.statusCode}`;
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (res.statusCode < 400) accepted += 1;
      bodies.set(name, (bodies.get(name) ?? new Set()).add(res.body));
    }
    console.log(
      `tokens: ${N} mutations, answers ${JSON.stringify([...codes])}, distinct bodies per route ${JSON.stringify([...bodies].map(([r, b]) => [r, b.size]))}, ${accepted} accepted`,
    );
    expect(accepted).toBe(0);
    // One status per route, a 4xx, and one body per route.
    for (const r of routes) {
      const answers = [...codes.keys()].filter((c) => c.startsWith(`${r.method} ${r.path} `));
      expect(answers).toHaveLength(1);
      expect(Number(answers[0]?.split(' ')[2])).toBeGreaterThanOrEqual(400);
      expect(Number(answers[0]?.split(' ')[2])).toBeLessThan(500);
      expect(bodies.get(`${r.method} ${r.path}`)?.size).toBe(1);
    }
    // An empty token: a 4xx (404, or 400 for an empty parameter), never a 5xx.
    for (const r of routes) {
      const res = await t.app.inject({
        method: r.method,
        url: r.path,
        payload: r.method === 'POST' ? 'x=1' : undefined,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect([400, 404], `${r.method} ${r.path} (empty)`).toContain(res.statusCode);
    }
    expect((await s.readers.subscription('korea-daily', reader))?.status).toBe('confirmed');
  }, 240_000);
});

describe('oversized request bodies', () => {
  const redis = testRedis('hostile-bodies');
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it('answer 413 at once, on every route that takes a body, over a real socket', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const big = 'x'.repeat(5 * 1024 * 1024);
    const cases: Array<{ url: string; type: string; body: string; headers?: Record<string, string> }> = [
      {
        url: '/subscribe',
        type: 'application/json',
        body: JSON.stringify({ email: 'a@example.com', list: 'korea-daily', name: big }),
      },
      {
        url: '/subscribe',
        type: 'application/x-www-form-urlencoded',
        body: `email=a%40example.com&list=korea-daily&name=${big}`,
      },
      {
        url: '/unsubscribe/abc',
        type: 'application/x-www-form-urlencoded',
        body: `List-Unsubscribe=One-Click&x=${big}`,
      },
      {
        url: '/api/readers',
        type: 'application/json',
        body: JSON.stringify({ email: big }),
        headers: { authorization: `Bearer ${ADMIN}` },
      },
    ];
    for (const c of cases) {
      const started = performance.now();
      const res = await fetch(`${address}${c.url}`, {
        method: 'POST',
        headers: { 'content-type': c.type, ...c.headers },
        body: c.body,
      }).catch((err: unknown) => err as Error);
      const ms = Math.round(performance.now() - started);
      // The server may answer 413 and close before the client has sent it all: either is a refusal.
      if (res instanceof Error) {
        expect(String(res.cause ?? res.message)).toMatch(/ECONNRESET|EPIPE|other side closed|socket/i);
      } else {
        expect(res.status, c.url).toBe(413);
        expect(await res.text()).not.toMatch(/\n\s+at /);
      }
      console.log(
        `body: 5 MB to ${c.url} (${c.type}) → ${res instanceof Error ? 'connection closed' : res.status} in ${ms} ms`,
      );
    }
  }, 60_000);
});
