import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DocumentError } from '../errors.js';
import { MAX_DOCUMENT_BYTES, recoverJson } from '../recover.js';

/** How much of an unreadable file is kept for a human to look at. */
const EXCERPT_CHARS = 2000;

/**
 * One document found in a file: either its recovered JSON (not yet checked as a WordPress post)
 * or the reason it could not be read, with the start of its text.
 * `origin` is the file path, with `#index` for an element of an array.
 */
export type FileDocument = { origin: string; raw: unknown } | { origin: string; error: DocumentError; excerpt: string };

/**
 * Reads WordPress post JSON from a file, or from every file directly in a directory (sorted by
 * name, dotfiles skipped, any extension: the saved seeds are `.txt`). A file holds one post or an
 * array of posts. A bad file yields an error entry and the walk goes on: one broken document must
 * never hide the others.
 *
 * @throws {Error} when `target` does not exist or is neither a file nor a directory.
 */
export async function* readPostFiles(target: string): AsyncGenerator<FileDocument> {
  for (const file of await listFiles(target)) {
    yield* await readDocuments(file);
  }
}

async function listFiles(target: string): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(target);
  } catch (err) {
    throw new Error(
      `cannot read posts from "${target}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(err)}`,
      {
        cause: err,
      },
    );
  }
  if (info.isFile()) return [target];
  if (!info.isDirectory()) throw new Error(`cannot read posts from "${target}": not a file or directory`);
  const entries = await readdir(target, { withFileTypes: true });
  return entries
    .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()))
    .map((e) => e.name)
    .sort()
    .map((name) => path.join(target, name));
}

async function readDocuments(file: string): Promise<FileDocument[]> {
  let text = '';
  try {
    // Refuse oversized files before loading them: the guard in recoverJson only sees text
    // that is already in memory.
    const { size } = await stat(file);
    if (size > MAX_DOCUMENT_BYTES) {
      throw new DocumentError(
        'DOCUMENT_UNREADABLE',
        `file is ${size} bytes, above the ${MAX_DOCUMENT_BYTES}-byte limit`,
      );
    }
    text = await readFile(file, 'utf8');
    const { value } = recoverJson(text);
    if (!Array.isArray(value)) return [{ origin: file, raw: value }];
    return value.map((raw: unknown, index) => ({ origin: `${file}#${index}`, raw }));
  } catch (err) {
    return [{ origin: file, error: asDocumentError(err), excerpt: text.slice(0, EXCERPT_CHARS) }];
  }
}

/** A file that cannot even be read (permissions, a directory symlink) is unreadable too. */
function asDocumentError(err: unknown): DocumentError {
  if (err instanceof DocumentError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new DocumentError('DOCUMENT_UNREADABLE', `cannot read the file: ${reason}`, { cause: err });
}
