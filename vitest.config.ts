import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Tests start real servers and client workers; two cores cannot run many files at once honestly.
    fileParallelism: false,
  },
});
