import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test configuration: one `redis-server` per run (started by the global setup and shared by
 * every file through `inject('redisUrl')`), test files in forked processes.
 */
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The long chaos scenarios run on their own: `npm run test:chaos` (vitest.chaos.config.ts).
    exclude: [...configDefaults.exclude, 'tests/chaos/**'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores here: more workers than that only adds contention on the shared Redis.
    maxWorkers: 2,
  },
});
