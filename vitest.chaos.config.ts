import { defineConfig } from 'vitest/config';

/**
 * The chaos suite (`npm run test:chaos`): long scenarios on a whole deployment — worker
 * processes killed and restarted, a Redis restart, a rate limit held over 20,000 messages. Each
 * file starts its own redis-server (append-only file on) and SMTP sink; files run one at a time,
 * since each already keeps two worker processes busy.
 */
export default defineConfig({
  test: {
    include: ['tests/chaos/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
