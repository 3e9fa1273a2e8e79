// The garbage of a connect storm, collected once it is over. While thousands of connections open at
// once, their handshakes (requests, headers, parsers) outlive the young generation's scavenges and
// are promoted; V8 then runs no full collection until old space reaches its limit, which idle
// clients, allocating next to nothing, never bring it to. Measured in one worker holding 10,000 idle
// clients: 148 MB of heap of which 56 MB alive, about 9 KB of dead handshakes per client kept resident.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'major'; execution: 'async' }) => Promise<void>;

/**
 * V8's own `gc()`, without starting node with --expose-gc: V8 installs it in a context made while
 * the flag is on. The flag is process-wide and stays on: turning it off again raced another worker
 * thread making its context at the same moment, which then had no `gc` (seen in CI: "gc is not
 * defined" killed a client worker). Undefined when V8 gives none: the storm's garbage then stays.
 */
export function v8Collect(): Collect | undefined {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as Collect;
  setFlagsFromString('--expose-gc');
  try {
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Collect) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One full collection that also compacts: without compaction V8 keeps the pages the dead
 * handshakes were scattered over (measured: 99 MB of old space kept for 55 MB alive). It is atomic:
 * with 10,000 idle clients it paused the worker 148 ms, which is why it runs only before the
 * phases that are measured. `execution: 'async'` runs it from a task of its own, with nothing of
 * ours on the stack. The compaction flag is process-wide, so it is on only until this one is done.
 */
export async function collectAndCompact(collect: Collect | undefined = v8Collect()): Promise<void> {
  if (!collect) return;
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    await collect({ type: 'major', execution: 'async' });
  } catch {
    // a collection that could not run leaves the garbage where it was: nothing measured depends on it
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** How often the storm is checked on. */
export const STORM_POLL_MS = 250;

/**
 * Runs `collect` once, as soon as `settled()` says every client of the storm has connected or
 * failed, if `inTime()` still says so then (checked every STORM_POLL_MS; a storm that outlasts
 * `inTime` keeps its garbage rather than pause a measured phase). Returns a function that cancels it.
 */
export function collectAfterStorm(
  settled: () => boolean,
  inTime: () => boolean,
  collect: () => Promise<void> = () => collectAndCompact(),
): () => void {
  const poll = setInterval(() => {
    if (!inTime()) return clearInterval(poll);
    if (!settled()) return;
    clearInterval(poll);
    void collect();
  }, STORM_POLL_MS);
  poll.unref();
  return () => clearInterval(poll);
}
