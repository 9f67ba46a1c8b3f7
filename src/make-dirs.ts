import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Create a directory and its missing parents, one level at a time. Node's `mkdir(…, { recursive })`
 * never returns for some paths (under /proc, say); this walks up to the nearest existing ancestor,
 * refuses one that is not a directory, and makes each missing level with a plain mkdir, so a path
 * that cannot be made fails at once with the system's error.
 */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    const found = await stat(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (found) {
      if (!found.isDirectory()) throw new Error(`${at} is not a directory`);
      break;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const level of missing.reverse()) {
    await mkdir(level).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}
