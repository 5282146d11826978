import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './scripts/slow-first-sequencer';

export default defineConfig({
  test: {
    include: [
      'apps/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.tsx',
      'e2e/**/*.test.ts',
      'packages/*/src/**/*.test.ts',
      'bench/**/*.test.ts',
      'deploy/**/*.test.ts',
    ],
    reporters: ['default', './scripts/summary-reporter.ts'],
    // Known-slow files start first, so both workers run out of work at about the same time.
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default leaves one core idle; test files are isolated (own data dirs, databases and,
    // per worker, their own Redis database: see testRedisUrl), so use every core.
    maxWorkers: Math.max(2, availableParallelism()),
    // Test files share a worker's module cache: each file still starts its own servers, databases and
    // clocks, and nothing in the tree keeps state at module level that a file could leak. Importing the
    // server once per worker instead of once per file took the suite from ~560 s to ~415 s here.
    isolate: false,
  },
});
