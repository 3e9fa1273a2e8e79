// The tests `npm run mutate:verdict` runs against each mutant of src/verdict: the verdict's, the record's
// and the threshold grammar's own unit tests. Fewer tests than `npm run mutate` runs, so its score is a
// lower bound of that run's score for the same files, in a fraction of the time (a verdict mutant is
// also reached by every report test that renders a record, and `npm run mutate` runs them all).
import { defineConfig } from 'vitest/config';
import base from './vitest.mutate.config.js';

export default defineConfig({
  test: {
    ...base.test,
    include: ['test/verdict/**/*.test.ts', 'test/record/**/*.test.ts', 'test/scenario/thresholdGrammar.test.ts'],
  },
});
