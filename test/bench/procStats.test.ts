// What the benchmarks read from /proc about a process: its read and write system calls.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ioCalls } from '../../bench/procStats.js';
import { tempDir } from '../support/tempDir.js';

describe('ioCalls', () => {
  it('counts this process’s read and write system calls, each kind apart', () => {
    const file = join(tempDir('iocalls'), 'calls');
    const fd = openSync(file, 'w+');
    try {
      const before = ioCalls(process.pid);
      for (let i = 0; i < 50; i++) writeSync(fd, 'x');
      const afterWrites = ioCalls(process.pid);
      for (let i = 0; i < 80; i++) readSync(fd, Buffer.alloc(1), 0, 1, 0);
      const afterReads = ioCalls(process.pid);
      expect(afterWrites.writes - before.writes).toBeGreaterThanOrEqual(50);
      expect(afterReads.reads - afterWrites.reads).toBeGreaterThanOrEqual(80);
      // other threads of this process may read or write meanwhile, but not hundreds of times
      expect(afterReads.writes - afterWrites.writes).toBeLessThan(50);
    } finally {
      closeSync(fd);
    }
  });

  it('is NaN for a process that does not exist', () => {
    expect(ioCalls(2 ** 22 + 7)).toEqual({ reads: NaN, writes: NaN });
  });
});
