// The server under test started from the user's own command (`run --server-cmd`, autocannon's
// `--on-port` for a websocket server): started in a process group of its own with its output in a
// log file, waited for until the target's port accepts TCP, and stopped — the whole group — after
// the run, whatever ended it.
import { closeSync, mkdirSync, openSync, readSync, fstatSync } from 'node:fs';
import { dirname, basename } from 'node:path';
import { createConnection } from 'node:net';
import { spawnGroup, type GroupProcess } from '../util/spawnServe.js';
import { EXIT_SIGINT, EXIT_UNREACHABLE, EXIT_USAGE, UserError } from '../util/errors.js';
import { redactText } from '../util/redact.js';

export interface ServerCommandOptions {
  /** Run with `/bin/sh -c`. */
  command: string;
  /** How long the target's port may take to accept a connection (`--server-wait`). */
  waitMs: number;
  /** Where the command's stdout and stderr go. */
  logFile: string;
  /** After SIGTERM, how long the group has before SIGKILL. */
  graceMs?: number;
}

export interface ServerCommand {
  /** The program's name, all a record or a message keeps of the command. */
  name: string;
  pid: number;
  logFile: string;
  group: GroupProcess;
  /** Stops the whole process group (SIGTERM, then SIGKILL after the grace). */
  stop(): Promise<void>;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** Whether a URL's host is this machine's loopback: the only servers evbench starts and measures itself. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The host and port a URL's server listens on (the scheme's port when none is given). */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'wss:' || u.protocol === 'https:' ? 443 : 80;
  return { host, port };
}

/** Shell builtins that set the stage (`cd dir && …`, `ulimit -n …; …`): not what a command is run for. */
const STAGE = new Set(['cd', 'exit', 'export', 'set', 'unset', 'ulimit', 'umask', 'trap', 'wait', 'true', 'false', ':', '.', 'source']);
/** Words before a program that run it rather than name it. */
const PREFIX = new Set(['exec', 'nohup', 'env']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The program a shell command is run for, without its path or arguments: the last one it starts
 * that is not a builtin setting the stage (`cd srv && FOO=1 exec ./bin/server --token x` → `server`).
 * The arguments and the assignments may hold secrets; a record keeps only this.
 */
export function commandName(command: string): string {
  const segments = command.replace(/\d*[<>]&\d+|\d*[<>]+\s*\S+/g, ' ').split(/&&|\|\||[;&|\n]/);
  const programs = segments
    .map((seg) =>
      seg
        .trim()
        .split(/\s+/)
        .find((w) => w !== '' && !ASSIGNMENT.test(w) && !PREFIX.has(w)),
    )
    .filter((w): w is string => w !== undefined);
  const program = programs.filter((p) => !STAGE.has(p)).at(-1) ?? programs.at(-1) ?? 'sh';
  const name = basename(program.replace(/^["']|["']$/g, '')) || 'sh';
  return redactText(name).slice(0, 100);
}

/** Whether something accepts a TCP connection at host:port within `timeoutMs`. */
export function acceptsTcp(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The last lines of a log file (at most its last 4 KiB), joined with ` | `. */
export function logTail(path: string, lines = 5): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, 4096);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf
      .toString('utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(-lines)
      .join(' | ');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Starts the command and resolves once `url`'s port accepts TCP. A port already taken before the
 * start is refused (exit 2: the run would measure that server instead); the command ending first
 * (its whole group gone) or the wait running out is exit 3, like an unreachable target, with the
 * command's last output; an abort (Ctrl-C) stops the command and ends the run.
 */
export async function startServerCommand(
  url: string,
  o: ServerCommandOptions,
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<ServerCommand> {
  const { host, port } = hostPort(url);
  const name = commandName(o.command);
  if (await acceptsTcp(host, port))
    throw new UserError(
      `--server-cmd: ${host}:${port} already accepts connections before ${name} started: the run would measure that server, not this one (stop it, or give --target another port)`,
      EXIT_USAGE,
    );
  mkdirSync(dirname(o.logFile), { recursive: true });
  const fd = openSync(o.logFile, 'w', 0o600); // like every output: the owner's to read
  let group: GroupProcess;
  try {
    group = spawnGroup(o.command, { outputFd: fd });
  } finally {
    closeSync(fd);
  }
  const stop = (): Promise<void> => group.stop(o.graceMs);
  let shellExit: number | string | undefined;
  void group.exited.then((code) => (shellExit = code));
  const output = (): string => {
    const tail = logTail(o.logFile);
    return tail === '' ? `it printed nothing (log: ${o.logFile})` : `its last output: ${tail} (log: ${o.logFile})`;
  };
  say(`server: started ${name} (pid ${group.pid}, output in ${o.logFile}); waiting for ${host}:${port}`);
  const started = Date.now();
  try {
    for (;;) {
      if (signal?.aborted) throw new UserError('interrupted before the run started: nothing was measured', EXIT_SIGINT);
      if (await acceptsTcp(host, port, 250)) break;
      if (shellExit !== undefined && !group.alive()) {
        const how = typeof shellExit === 'number' ? `with code ${shellExit}` : `on ${shellExit}`;
        throw new UserError(
          `--server-cmd: ${name} exited ${how} before ${host}:${port} accepted connections; ${output()}`,
          EXIT_UNREACHABLE,
        );
      }
      if (Date.now() - started >= o.waitMs)
        throw new UserError(
          `--server-cmd: ${name} (pid ${group.pid}) did not accept connections on ${host}:${port} within ${o.waitMs / 1000} s (--server-wait); ${output()}`,
          EXIT_UNREACHABLE,
        );
      await sleep(100, signal);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  say(`server: ${name} accepts connections on ${host}:${port} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { name, pid: group.pid, logFile: o.logFile, group, stop };
}
