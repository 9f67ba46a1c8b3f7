import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/briefings/errors.js';
import { MAX_DOCUMENT_BYTES, recoverJson } from '../../src/briefings/recover.js';
import { type FileDocument, readPostFiles } from '../../src/briefings/sources/files.js';

const seeds = fileURLToPath(new URL('../../sample/briefings/', import.meta.url));
const SEED_000 = path.join(seeds, '000_2154cd5311bbae3c.txt');
const SEED_002 = path.join(seeds, '002_e09ed9bce8e7f6d7.txt');

function thrown(fn: () => unknown): DocumentError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DocumentError) return err;
    throw err;
  }
  throw new Error('expected a DocumentError');
}

async function collect(target: string): Promise<FileDocument[]> {
  const docs: FileDocument[] = [];
  for await (const doc of readPostFiles(target)) docs.push(doc);
  return docs;
}

describe('recoverJson', () => {
  it('parses valid JSON without repairing it', () => {
    expect(recoverJson('{"id": 1, "title": {"rendered": "x"}}')).toEqual({
      value: { id: 1, title: { rendered: 'x' } },
      repaired: false,
    });
  });

  it.each([SEED_000, SEED_002])('repairs the saved seed %s (raw newlines, cut off after content)', async (file) => {
    const text = await readFile(file, 'utf8');
    expect(() => JSON.parse(text)).toThrow();
    const { value, repaired } = recoverJson(text);
    expect(repaired).toBe(true);
    expect(value).toMatchObject({ status: 'publish', content: { rendered: expect.stringContaining('</p>') } });
  });

  it.each(['<html><body>not json</body></html>', '', '{{{', 'just some prose, no braces'])(
    'refuses %j with a readable reason',
    (text) => {
      const err = thrown(() => recoverJson(text));
      expect(err.code).toBe('DOCUMENT_UNREADABLE');
      expect(err.reason).toMatch(/^not JSON and could not be repaired: /);
    },
  );

  it('refuses a document above 5 MB before parsing it', () => {
    const err = thrown(() => recoverJson(`{"a":"${'x'.repeat(MAX_DOCUMENT_BYTES)}"}`));
    expect(err.code).toBe('DOCUMENT_UNREADABLE');
    expect(err.reason).toContain('above the 5 MB limit');
  });
});

describe('readPostFiles', () => {
  let dir = '';
  const post = (id: number) => ({
    id,
    title: { rendered: `Post ${id}` },
    content: { rendered: '<p>x</p>' },
    link: `https://example.com/${id}`,
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-files-'));
    await writeFile(path.join(dir, '000_seed.txt'), await readFile(SEED_000, 'utf8'));
    await writeFile(path.join(dir, '001_garbage.json'), '<html>\u0000 this is not a post </oops>');
    await writeFile(path.join(dir, '002_array.json'), JSON.stringify([post(1), post(2)]));
    await writeFile(path.join(dir, '.hidden.json'), JSON.stringify(post(3)));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('yields an error entry for a garbage file while the good files next to it still yield', async () => {
    const docs = await collect(dir);
    expect(docs.map((d) => path.relative(dir, d.origin))).toEqual([
      '000_seed.txt',
      '001_garbage.json',
      '002_array.json#0',
      '002_array.json#1',
    ]);
    const [seed, garbage, first, second] = docs;
    expect(seed).toMatchObject({ raw: { id: 2202126 } });
    expect(garbage).toMatchObject({
      error: { code: 'DOCUMENT_UNREADABLE' },
      excerpt: '<html>\u0000 this is not a post </oops>',
    });
    expect(first).toEqual({ origin: path.join(dir, '002_array.json#0'), raw: post(1) });
    expect(second).toMatchObject({ raw: { id: 2 } });
  });

  it('reads a single file given directly', async () => {
    const docs = await collect(path.join(dir, '002_array.json'));
    expect(docs).toHaveLength(2);
  });

  it('keeps at most 2,000 characters of an unreadable file', async () => {
    const file = path.join(dir, '.long-garbage');
    await writeFile(file, `<${'x'.repeat(5000)}`);
    const [doc] = await collect(file);
    expect(doc && 'excerpt' in doc ? doc.excerpt.length : -1).toBe(2000);
  });

  it('throws a clear error for a missing target', async () => {
    await expect(collect(path.join(dir, 'nope'))).rejects.toThrow(
      /cannot read posts from ".*nope": no such file or directory/,
    );
  });
});
