// `evbench serve` chooses its own garbage collector settings. On one CPU (a container limited to one,
// or `taskset`), V8's concurrent and parallel collector threads share that core with the event loop
// and preempt it for milliseconds at a time (with 300,000 events logged the fast clients' p99 went
// from 43 to 16 ms without them, BENCHMARKS.md). node refuses --single-threaded-gc in NODE_OPTIONS,
// so the server re-executes itself with the flag, relays signals to the new process and exits as it does.
import { availableParallelism, constants } from 'node:os';
import { respawnSelf } from '../util/spawnServe.js';

export const SINGLE_THREADED_GC = '--single-threaded-gc';

/** Whether this process runs with V8's collector on its main thread only. */
export function singleThreadedGc(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.includes(SINGLE_THREADED_GC);
}

/** Whether to re-execute: one CPU, and the flag not given already (on node's command line or in NODE_OPTIONS). */
export function wantsSingleThreadedGc(
  cpus: number = availableParallelism(),
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): boolean {
  return cpus === 1 && !singleThreadedGc(execArgv) && !(nodeOptions ?? '').includes(SINGLE_THREADED_GC);
}

/** What the startup line adds: the collector setting when it is the single-threaded one, else nothing. */
export function gcNote(cpus: number = availableParallelism(), execArgv: readonly string[] = process.execArgv): string {
  if (!singleThreadedGc(execArgv)) return '';
  return ` (--single-threaded-gc: ${cpus} CPU${cpus === 1 ? '' : 's'} available)`;
}

const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs this same command again under `node --single-threaded-gc` when `wantsSingleThreadedGc()`, and
 * returns true: this process then only relays signals and exits with the new one's code. The new
 * process holds an IPC channel to this one, so it shuts down if this one is killed outright (SIGKILL
 * leaves no chance to relay anything) instead of living on with the port.
 */
export function reexecWithSingleThreadedGc(): boolean {
  if (!wantsSingleThreadedGc()) return false;
  // its own process group: a terminal's Ctrl-C reaches it once, relayed, not twice (twice means "exit now")
  const child = respawnSelf([SINGLE_THREADED_GC]);
  for (const signal of RELAYED) process.on(signal, () => child.kill(signal));
  child.once('error', (err) => {
    process.stderr.write(`evbench serve: cannot start node ${SINGLE_THREADED_GC}: ${err.message}\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
  return true;
}

/** In the re-executed server: its parent is gone when the IPC channel closes. */
export function onParentGone(fn: () => void): void {
  // process.send exists only in a process started with an IPC channel, and stays after it closed
  if (!process.send || !singleThreadedGc()) return;
  if (!process.connected) return fn(); // gone while this one started
  process.once('disconnect', fn);
  // the channel alone must not keep the server's event loop alive
  process.channel?.unref();
}
