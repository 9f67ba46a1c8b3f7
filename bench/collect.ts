/**
 * collect: 10,000 WordPress posts (100 files of 100) through read → sanitize → summarize →
 * classify → store, on a private Redis; posts/s.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPrivateRedis } from '../src/store/private-redis.js';
import { benchPost, writeBenchPublication } from './support/fixture.js';
import { benchContainer, benchEnv } from './support/gazette.js';

export interface CollectResult {
  posts: number;
  stored: number;
  quarantined: number;
  seconds: number;
  postsPerSec: number;
}

export async function runCollect(posts = 10_000): Promise<CollectResult> {
  const redis = await startPrivateRedis();
  const dir = await mkdtemp(path.join(tmpdir(), 'gazette-collect-'));
  try {
    const publicationFile = await writeBenchPublication(dir);
    const briefings = path.join(dir, 'briefings');
    await rm(path.join(briefings, 'posts.json'));
    for (let f = 0; f * 100 < posts; f++) {
      const batch = Array.from({ length: Math.min(100, posts - f * 100) }, (_, i) => benchPost(f * 100 + i));
      await writeFile(path.join(briefings, `posts-${String(f).padStart(3, '0')}.json`), JSON.stringify(batch));
    }
    const c = await benchContainer(benchEnv({ redisUrl: redis.url, prefix: '{collect}', publicationFile }));
    try {
      const source = c.services.publication.sources[0];
      if (!source) throw new Error('no source');
      const t0 = performance.now();
      const report = await c.services.collector.collect(source);
      const seconds = (performance.now() - t0) / 1000;
      return {
        posts,
        stored: report.new + report.updated,
        quarantined: report.quarantined,
        seconds,
        postsPerSec: posts / seconds,
      };
    } finally {
      await c.close();
    }
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
