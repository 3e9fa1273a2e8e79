import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // a TMPDIR of the run's own, and a failed run if a test leaves a temporary folder in it
    globalSetup: ['test/support/tempDirCheck.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Tests start real servers and client workers; two cores cannot run many files at once honestly.
    fileParallelism: false,
  },
});
