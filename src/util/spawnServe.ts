// The one place that starts servers as child processes: `evbench serve` (runner's embedded target,
// tests, benchmarks), any other server that prints one JSON line `{"url":…}` on stdout once it
// listens (the benchmarks' contenders), and a user's own command in a process group of its own
// (`run --server-cmd`). Every child (every group) is killed if this process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry } from './paths.js';
import { groupAlive } from './procTree.js';

export interface ServeProcess {
  url: string;
  metricsUrl: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the child ends. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnListeningOptions {
  startTimeoutMs?: number;
  /** Receives the child's stderr lines (default: discarded, but kept for the error message). */
  onStderr?: (line: string) => void;
  /** Names the child in errors (default: the command). */
  name?: string;
  /** The child's environment: how it gets its secrets, which its command line (`ps`) must never show. */
  env?: NodeJS.ProcessEnv;
}

export interface SpawnServeOptions {
  /** Extra `evbench serve` arguments, e.g. ['--mode', 'legacy']. `--port 0 --json` are always added. */
  args?: string[];
  startTimeoutMs?: number;
  /** Receives the child's stderr lines (default: discarded, but kept for the error message). */
  onStderr?: (line: string) => void;
  /** The child's environment (default: this process's): tokens go here, never in `args`. */
  env?: NodeJS.ProcessEnv;
}

/** What kills each live child (or process group) at once when this process exits, whatever the path to that exit. */
const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

/** node's arguments for `evbench serve` on a free loopback port, printing its URL as JSON once it listens (options follow). */
export const SERVE_ON_LOOPBACK: readonly string[] = [cliEntry, 'serve', '--host', '127.0.0.1', '--port', '0', '--json'];

export function spawnServe(options: SpawnServeOptions = {}): Promise<ServeProcess> {
  const args = [...SERVE_ON_LOOPBACK, ...(options.args ?? [])];
  return spawnListening(process.execPath, args, { ...options, name: 'evbench serve' });
}

/** Starts `command` and resolves once it prints its `{"url":…}` line (or rejects with why it did not). */
export function spawnListening(command: string, args: string[], options: SpawnListeningOptions = {}): Promise<ServeProcess> {
  const name = options.name ?? command;
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  const kill = (): void => void child.kill('SIGKILL');
  live.add(kill);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(kill);
      resolve(code ?? signal ?? -1);
    });
  });
  const stderrTail: string[] = [];
  let errBuf = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    errBuf += chunk;
    let nl: number;
    while ((nl = errBuf.indexOf('\n')) >= 0) {
      const line = errBuf.slice(0, nl);
      errBuf = errBuf.slice(nl + 1);
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      options.onStderr?.(line);
    }
  });

  const stop = async (graceMs = 3000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    let outBuf = '';
    const timeout = setTimeout(() => {
      void stop(0);
      reject(new Error(`${name} did not start within ${startTimeoutMs} ms: ${stderrTail.join(' | ')}`));
    }, startTimeoutMs);
    child.stdout!.setEncoding('utf8');
    const onData = (chunk: string): void => {
      outBuf += chunk;
      const nl = outBuf.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      clearTimeout(timeout);
      try {
        const info = JSON.parse(outBuf.slice(0, nl)) as { url: string; metrics?: string };
        resolve({ url: info.url, metricsUrl: info.metrics ?? '', pid: child.pid!, child, exited, stop });
      } catch {
        void stop(0);
        reject(new Error(`${name} printed an unexpected first line: ${outBuf.slice(0, 200)}`));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timeout);
      reject(new Error(`${name} exited (${code}) before listening: ${stderrTail.join(' | ')}`));
    });
  });
}

export interface GroupProcess {
  /** The shell's pid, which is also the process group's id. */
  pid: number;
  /** Resolves with the shell's exit code (or signal name) when it ends; what it started may live on in the group. */
  exited: Promise<number | string>;
  /** Whether any process of the group is still alive. */
  alive(): boolean;
  /**
   * SIGTERM to the whole group, SIGKILL to what is left of it after `graceMs`; resolves once no
   * process of the group is alive (or, should one survive SIGKILL, 2 s later). Safe to call again.
   */
  stop(graceMs?: number): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Runs `command` with `/bin/sh -c` in a new session and process group (so a server it starts, and
 * anything that one starts, is stopped with it), its stdout and stderr on `outputFd` (a log file:
 * this process never reads them, so a chatty server costs the runner nothing and never blocks).
 */
export function spawnGroup(command: string, options: { outputFd: number; env?: NodeJS.ProcessEnv }): GroupProcess {
  const child = spawn('/bin/sh', ['-c', command], {
    detached: true,
    stdio: ['ignore', options.outputFd, options.outputFd],
    env: options.env ?? process.env,
  });
  child.once('error', () => {}); // a shell that cannot start has no pid: thrown below
  const pid = child.pid;
  if (pid === undefined) throw new Error('/bin/sh could not be started');
  const kill = (): void => signalGroup(pid, 'SIGKILL');
  live.add(kill);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const waitGone = async (ms: number): Promise<boolean> => {
    const until = Date.now() + ms;
    while (groupAlive(pid)) {
      if (Date.now() >= until) return false;
      await sleep(50);
    }
    return true;
  };
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 3000): Promise<void> =>
    (stopping ??= (async () => {
      signalGroup(pid, 'SIGTERM');
      if (!(await waitGone(graceMs))) {
        signalGroup(pid, 'SIGKILL');
        await waitGone(2000);
      }
      live.delete(kill);
    })());
  return { pid, exited, alive: () => groupAlive(pid), stop };
}

/**
 * This same command again under node with `nodeFlags` first: stdio inherited, an IPC channel (the new
 * process can tell when this one is gone), and a process group of its own (a terminal's Ctrl-C
 * reaches it only as this process relays it).
 */
export function respawnSelf(nodeFlags: readonly string[]): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
}
