// Every test cleans up its temporary folders: test/support/tempDir.ts makes them under the run's own
// TMPDIR with a recognisable name, and test/support/tempDirCheck.ts (globalSetup) fails the run when
// an entry with evbench's names is left there.
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, TEMP_PREFIX } from './support/tempDir.js';
import { leftBehind } from './support/tempDirCheck.js';

describe('temporary folders', () => {
  it('are made under os.tmpdir(), named as a test’s, one fresh folder per call', () => {
    const a = tempDir('sample');
    const b = tempDir('sample');
    expect(dirname(a)).toBe(tmpdir());
    expect(basename(a).startsWith(`${TEMP_PREFIX}sample-`)).toBe(true);
    expect(a).not.toBe(b);
    expect(statSync(a).isDirectory()).toBe(true);
    expect(existsSync(b)).toBe(true);
  });

  it('the check names what evbench or a test left behind and ignores other programs’ entries', () => {
    expect(leftBehind(['evbench-test-cli-x1', 'evbench-leak-y2', 'playwright-profile-1', 'v8-compile-cache'])).toEqual([
      'evbench-test-cli-x1',
      'evbench-leak-y2',
    ]);
    expect(leftBehind(['playwright-profile-1', 'tsx-0', 'evbench-gocache', 'evbench-bench'])).toEqual([]);
  });
});
