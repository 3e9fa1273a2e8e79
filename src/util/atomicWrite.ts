// The one place that writes output files: write to a temporary sibling, fsync, then rename, so a
// reader never sees a half-written report and a failure leaves the previous file intact. Files are
// created readable by their owner only: a record or report may say more about a server than its
// owner wants every user of the machine to read.
import { appendFileSync, mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, basename, join, isAbsolute, relative, resolve } from 'node:path';
import { UserError } from './errors.js';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'wx', 0o600);
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
 * Refuses to write `path` when it is one of the files the command read (the same file by device and
 * inode, so a symlink or another spelling of the path is caught too): evbench never replaces its input.
 */
export function refuseInputOverwrite(path: string, inputs: readonly string[]): void {
  const out = statOrUndefined(path);
  if (out === undefined) return;
  for (const input of inputs) {
    const inp = statOrUndefined(input);
    if (inp !== undefined && inp.dev === out.dev && inp.ino === out.ino)
      throw new UserError(`refusing to write ${path}: it is ${input}, an input of this command (choose another --out)`);
  }
}

/** Refuses a file name that would land outside `dir` (a name built from a record is data, not a path). */
export function refuseOutsideDir(path: string, dir: string): void {
  const rel = relative(resolve(dir), resolve(path));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || dirname(rel) !== '.')
    throw new UserError(`refusing to write ${path}: it is not a file directly in the output folder ${dir}`);
}

function statOrUndefined(path: string): { dev: number; ino: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
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

/** A file written as it goes (a stream of lines), appended to by one process, closed at the end. */
export interface NewFile {
  readonly path: string;
  /** Writes `text` at the end, whole, before returning (a Ctrl-C after it loses nothing). */
  append(text: string): void;
  close(): void;
}

/**
 * Creates `path`, readable by its owner only, for a stream written as it goes (NDJSON). Never an
 * existing file: whatever is there may be someone else's, so it is refused, not replaced.
 */
export function createNewFile(path: string): NewFile {
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST')
      throw new UserError(
        `refusing to write ${path}: the file exists (evbench never replaces a file it did not create; choose another name)`,
      );
    throw new UserError(`cannot write ${path}: ${e.code ?? e.message}`);
  }
  let open = true;
  return {
    path,
    append(text) {
      if (!open) return;
      const bytes = Buffer.from(text);
      let offset = 0;
      try {
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new UserError(`cannot write ${path}: ${e.code ?? e.message}`);
      }
    },
    close() {
      if (!open) return;
      open = false;
      try {
        fsyncSync(fd);
      } catch {
        // a file that cannot be synced (a pipe, /dev/stdout) is still closed
      }
      closeSync(fd);
    },
  };
}
