// CPU time of the calling thread, for timing what a piece of work costs on a busy machine (where
// wall time also counts the moments the thread waited for a core). Linux: the scheduler's own count
// (/proc/thread-self/schedstat, nanoseconds on the CPU); elsewhere: wall time, an upper bound.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

let schedstat = process.platform === 'linux';

/** Microseconds this thread has run (or, where the kernel does not say, wall time). Only differences mean anything. */
export function threadCpuUs(): number {
  if (schedstat) {
    try {
      return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]) / 1000;
    } catch {
      schedstat = false;
    }
  }
  return performance.now() * 1000;
}
