// The one place that starts servers as child processes: `evbench serve` (runner's embedded target,
// tests, benchmarks) and any other server that prints one JSON line `{"url":…}` on stdout once it
// listens (the benchmarks' contenders). Every child is killed if this process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry } from './paths.js';

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

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
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
  live.add(child);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
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
