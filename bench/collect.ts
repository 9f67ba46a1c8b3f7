/**
 * collect: 10,000 posts from a local WordPress REST API (the test suite's WordPress stand-in,
 * node:http on 127.0.0.1) through read → sanitize → summarize → classify → store, on a private
 * Redis; posts/s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sourceSchema } from '../src/publication.js';
import { startPrivateRedis } from '../src/store/private-redis.js';
import { startWordPressServer } from '../tests/support/wordpress-server.js';
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
  const wp = await startWordPressServer({ posts, start: '2026-11-01T00:00:00Z' });
  try {
    // The bench's long WordPress bodies and titles, so each post costs what a real briefing does.
    let i = 0;
    for (const post of wp.posts.values()) {
      const p = benchPost(i++) as { title: { rendered: string }; content: { rendered: string } };
      post.title = p.title.rendered;
      post.content = p.content.rendered;
    }
    const publicationFile = await writeBenchPublication(dir);
    const c = await benchContainer(benchEnv({ redisUrl: redis.url, prefix: '{collect}', publicationFile }));
    try {
      const source = sourceSchema.parse({ id: 'wp', type: 'wordpress', url: wp.origin, allowPrivate: true });
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
    await wp.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
