// The tests Stryker runs against each mutant (npm run mutate): the in-process unit tests. Tests that
// start servers or spawn the built CLI run dist/, which a mutant of src/ never reaches: they cannot
// kill a mutant and only add minutes (a "static" mutant, one reached while test files load their
// fixtures, runs every test). EVBENCH_MUTATION_RUN lets a file skip its CLI cases.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [
      '**/node_modules/**',
      'test/**/*.e2e.test.ts',
      'test/server/**',
      'test/bench/**',
      'test/runner/cli.test.ts',
      'test/runner/faults.test.ts',
      // a real run through the CLI (12 s); its in-process cases are covered by test/verdict/thresholds.test.ts
      'test/verdict/thresholdsCli.test.ts',
    ],
    env: { EVBENCH_MUTATION_RUN: '1' },
    testTimeout: 60_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
