// vitest's globalSetup: the run gets a TMPDIR of its own, and fails at the end if a test left a
// folder or file with evbench's names in it (test/support/tempDir.ts names and removes the tests'
// own). Other programs' leftovers there (a browser's profile, say) are not the tests' to clean.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Names a test or the product gives what it makes under TMPDIR. */
const OURS = /^evbench/;
/** The benchmarks' Go build cache and source-address preloads (bench/contenders.ts, bench/sourceAddresses.ts): kept between runs on purpose. */
const KEPT = new Set(['evbench-gocache', 'evbench-bench']);

/** The entries of the run's TMPDIR a test should have removed. */
export function leftBehind(entries: readonly string[]): string[] {
  return entries.filter((e) => OURS.test(e) && !KEPT.has(e));
}

export default function setup(): () => void {
  const outer = process.env.TMPDIR;
  // the benchmarks' Go build cache stays where it was, shared by every run (a cold one costs the bench smoke test minutes)
  process.env.GOCACHE ??= join(tmpdir(), 'evbench-gocache');
  const dir = mkdtempSync(join(tmpdir(), 'vitest-run-'));
  process.env.TMPDIR = dir;
  return () => {
    const left = leftBehind(readdirSync(dir));
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      // a teardown's exception is only logged by vitest ("error during close"); the exit code is what CI sees
      console.error(
        `\nFAIL: tests left ${left.length} temporary entries behind (make them with test/support/tempDir.ts): ${left.join(', ')}\n`,
      );
      process.exitCode = 1;
    }
  };
}
