// Runs the evbench CLI as a child process, the way users do, with a hard time limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry } from '../../src/util/paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves once stderr contains `text` (rejects if the process ends first). */
  waitForStderr(text: string): Promise<void>;
  /** What it has printed on stderr so far. */
  stderr(): string;
}

const children = new Set<ChildProcess>();

export function startCli(args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, [cliEntry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      if (!stderr.includes(w.text)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      for (const w of waiters.splice(0)) w.reject(new Error(`process ended before printing "${w.text}": ${stderr}`));
      // let the pipes drain
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
  return {
    child,
    done,
    waitForStderr: (text) =>
      stderr.includes(text) ? Promise.resolve() : new Promise((resolve, reject) => waiters.push({ text, resolve, reject })),
    stderr: () => stderr,
  };
}

export function runCli(args: string[], timeoutMs?: number, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, timeoutMs, env).done;
}

/** Kills anything a test left running (call from afterAll). */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}
