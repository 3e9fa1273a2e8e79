// The one place that writes output files: write to a temporary sibling, fsync, then rename, so a
// reader never sees a half-written report and a failure leaves the previous file intact.
import { appendFileSync, mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UserError } from './errors.js';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: there is no temporary file to remove
    }
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot write ${path}: ${e.code ?? e.message}`);
  }
}

/**
 * Appends to a file someone else owns and reads after us (e.g. $GITHUB_STEP_SUMMARY): appending is
 * the contract there, so this is not atomic replacement, but one write of the whole text.
 */
export function appendToFile(path: string, text: string): void {
  try {
    appendFileSync(path, text);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot append to ${path}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim());
  }
}
