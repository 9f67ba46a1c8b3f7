/**
 * Hostile input to every parser, as properties (fast-check, fixed seed, 100,000 cases each):
 * no uncaught exception, and every refusal is a typed error (DocumentError, InvalidReaderError,
 * TokenError, a zod error) or a rejected item / bad row with a readable reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/briefings/errors.js';
import { parseFeed } from '../../src/briefings/feed.js';
import { recoverJson } from '../../src/briefings/recover.js';
import { parse as parsePost, postMeta } from '../../src/briefings/sources/wordpress-posts.js';
import type { SuppressionList } from '../../src/delivery/suppression.js';
import { newReaderBody, readerPatchBody } from '../../src/http/admin-routes.js';
import { preferencesBody, subscribeBody } from '../../src/http/reader-routes.js';
import type { List } from '../../src/publication.js';
import { importReaders } from '../../src/subscriptions/csv.js';
import { InvalidReaderError, type ReaderStore } from '../../src/subscriptions/readers.js';
import { TokenError, Tokens } from '../../src/subscriptions/tokens.js';
import { damagedJson, hostileCsv, hostileFeed, hostilePost, hostileString, hostileValue } from './arbitraries.js';

const SEED = 20261207;
const RUNS = 100_000;
const opts = { seed: SEED, numRuns: RUNS, endOnFailure: true } as const;

/** A readable reason: non-empty, and it names a field or says what is wrong. */
function readable(reason: unknown): boolean {
  return typeof reason === 'string' && reason.trim().length > 3 && /[a-z]/i.test(reason);
}

/** Runs `f`; a DocumentError with a readable reason is an acceptable outcome, anything else thrown is not. */
function documentOutcome<T>(f: () => T): T | DocumentError {
  try {
    return f();
  } catch (err) {
    if (err instanceof DocumentError && readable(err.reason)) return err;
    throw err;
  }
}

function timed(name: string, run: () => number): void {
  const started = performance.now();
  const refused = run();
  console.log(
    `${name}: ${RUNS} cases (seed ${SEED}), ${refused} refused with a typed error, 0 uncaught, ${Math.round(performance.now() - started)} ms`,
  );
}

const seedTexts = [
  ...readdirSync('/work/shared/seeds').map((f) => readFileSync(`/work/shared/seeds/${f}`, 'utf8')),
].filter(Boolean);

describe('WordPress post reader', () => {
  it('turns any post into a briefing or a DocumentError naming the problem', () => {
    timed('wordpress posts', () => {
      let refused = 0;
      fc.assert(
        fc.property(hostilePost, (raw) => {
          const out = documentOutcome(() => parsePost(raw, 'src'));
          if (out instanceof DocumentError) {
            expect(readable(out.reason)).toBe(true);
            refused += 1;
          } else expect(typeof out.title).toBe('string');
          const meta = postMeta(raw);
          if (meta instanceof DocumentError) expect(readable(meta.reason)).toBe(true);
        }),
        opts,
      );
      return refused;
    });
  }, 180_000);

  it('recovers damaged saved documents (the seeds and generated posts) or refuses them as unreadable', () => {
    expect(seedTexts.length).toBeGreaterThan(0);
    const texts = fc.oneof(
      { weight: 1, arbitrary: damagedJson(fc.constantFrom(...seedTexts)) },
      { weight: 9, arbitrary: damagedJson(hostilePost.map((p) => JSON.stringify(p) ?? 'undefined')) },
      hostileString,
    );
    timed('recover + parse', () => {
      let refused = 0;
      fc.assert(
        fc.property(texts, (text) => {
          const out = documentOutcome(() => {
            const { value } = recoverJson(text);
            const posts = Array.isArray(value) ? value : [value];
            return posts.map((p) => parsePost(p, 'src'));
          });
          if (out instanceof DocumentError) refused += 1;
          else for (const p of out) if (p instanceof DocumentError) expect(readable(p.reason)).toBe(true);
        }),
        opts,
      );
      return refused;
    });
  }, 180_000);
});

describe('feed reader', () => {
  it('maps any document to briefings and rejected items with reasons, or a DocumentError', () => {
    timed('feeds', () => {
      let refused = 0;
      fc.assert(
        fc.property(hostileFeed, (xml) => {
          const out = documentOutcome(() => parseFeed(xml, 'feed', { maxDepth: 64 }));
          if (out instanceof DocumentError) {
            refused += 1;
            return;
          }
          for (const r of out.rejected) {
            expect(r.error).toBeInstanceOf(DocumentError);
            expect(readable(r.error.reason)).toBe(true);
            expect(typeof r.origin).toBe('string');
          }
          refused += out.rejected.length;
        }),
        opts,
      );
      return refused;
    });
  }, 180_000);
});

/** Our own ports, in memory: the CSV parsing is under test here, not Redis (tests/integration covers that). */
function memoryStores(): { readers: ReaderStore; suppression: SuppressionList } {
  const byEmail = new Map<string, { id: string; email: string; name: string }>();
  const readers = {
    findByEmail: async (email: string) => byEmail.get(email) ?? null,
    subscription: async () => null,
    upsert: async (email: string, name?: string) => {
      const r = { id: `r${byEmail.size}`, email, name: name ?? '' };
      byEmail.set(email, r);
      return r;
    },
    setSubscription: async () => ({}),
  } as unknown as ReaderStore;
  const suppression = { suppressed: async () => new Set<string>() } as unknown as SuppressionList;
  return { readers, suppression };
}

describe('CSV import', () => {
  const list = { id: 'korea-daily', topics: ['economy', 'politics'] } as unknown as List;

  it('imports any CSV row by row, reporting each bad row with a reason, or refuses the file with a typed error', async () => {
    const started = performance.now();
    let refused = 0;
    let badRows = 0;
    await fc.assert(
      fc.asyncProperty(hostileCsv, async (csv) => {
        const { readers, suppression } = memoryStores();
        try {
          const report = await importReaders(Readable.from([csv]), readers, suppression, { list, confirmed: true });
          for (const b of report.bad) {
            expect(b.reason).toMatch(/^(email|topics)\b/);
            expect(Number.isInteger(b.line)).toBe(true);
          }
          badRows += report.bad.length;
        } catch (err) {
          if (!(err instanceof InvalidReaderError) || !readable(err.message)) throw err;
          refused += 1;
        }
      }),
      opts,
    );
    console.log(
      `csv import: ${RUNS} files (seed ${SEED}), ${refused} refused with InvalidReaderError, ${badRows} bad rows reported, 0 uncaught, ${Math.round(performance.now() - started)} ms`,
    );
  }, 180_000);
});

describe('subscription schemas', () => {
  const schemas = { subscribeBody, preferencesBody, newReaderBody, readerPatchBody };
  const body = fc.oneof(
    fc.record(
      {
        email: hostileValue,
        name: hostileValue,
        list: fc.oneof(fc.constant('korea-daily'), hostileValue),
        topics: fc.oneof(fc.array(hostileString, { maxLength: 200 }), hostileValue),
        status: fc.oneof(fc.constantFrom('pending', 'confirmed', 'gone'), hostileValue),
        note: hostileValue,
        lists: hostileValue,
        __proto__: hostileValue,
        constructor: hostileValue,
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(hostileString, hostileValue, { maxKeys: 5 }),
    hostileValue,
  );

  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name} accepts or refuses any body with a zod error naming the field`, () => {
      timed(`schema ${name}`, () => {
        let refused = 0;
        fc.assert(
          fc.property(body, (b) => {
            const r = schema.safeParse(b);
            if (!r.success) {
              refused += 1;
              expect(r.error.issues.length).toBeGreaterThan(0);
              expect(readable(r.error.issues[0]?.message)).toBe(true);
            }
          }),
          opts,
        );
        return refused;
      });
    }, 120_000);
  }
});

describe('token codec', () => {
  const tokens = new Tokens([
    { id: 'k2', key: 'a-signing-key-for-property-tests' },
    { id: 'k1', key: 'an-older-key' },
  ]);
  const valid = tokens.issue('r1', 'korea-daily', 'unsubscribe', 3600, Date.parse('2026-12-07T00:00:00Z'));
  const now = Date.parse('2026-12-07T00:10:00Z');
  const candidates = fc.oneof(
    hostileString,
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.tuple(fc.nat(), hostileString, fc.nat({ max: 4 })).map(([at, bit, n]) => {
      const p = at % valid.length;
      return valid.slice(0, p) + bit + valid.slice(p + n);
    }),
    fc.tuple(fc.base64String({ maxLength: 200 }), fc.base64String({ maxLength: 60 })).map(([a, b]) => `${a}.${b}`),
    fc
      .jsonValue({ maxDepth: 3 })
      .map((v) => `${Buffer.from(JSON.stringify(v) ?? '').toString('base64url')}.${valid.split('.')[1]}`),
  );

  it('refuses every string but the issued token with a TokenError', () => {
    timed('tokens', () => {
      let refused = 0;
      fc.assert(
        fc.property(
          candidates,
          fc.constantFrom('unsubscribe', 'preferences', 'confirm') as fc.Arbitrary<'confirm'>,
          (t, purpose) => {
            try {
              tokens.verify(t, purpose, now);
              expect(t).toBe(valid);
            } catch (err) {
              if (!(err instanceof TokenError) || !readable(err.reason)) throw err;
              refused += 1;
            }
          },
        ),
        opts,
      );
      return refused;
    });
  }, 120_000);
});
