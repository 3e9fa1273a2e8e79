// Temporary folders for tests: each is made under os.tmpdir() with a name that says it is a test's
// (`evbench-test-NAME-…`) and removed, with everything in it, once the tests of the file that made it
// have run — after the file's own afterAll hooks (hooks run last-registered first and this one is
// registered when the file imports it), so a server still writing into it has been stopped.
// test/support/tempDirCheck.ts (vitest's globalSetup) fails a run that leaves one behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** What every test's temporary folder is named from. */
export const TEMP_PREFIX = 'evbench-test-';

const made: string[] = [];

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under os.tmpdir(), removed once this test file's tests have run. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${name}-`));
  made.push(dir);
  return dir;
}
