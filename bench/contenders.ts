// The servers a benchmark measures, each a separate process on 127.0.0.1: `evbench serve` (through
// src/util/spawnServe.ts, the one place that starts it), the plain `ws` broadcast loop, and the Go
// gorilla/websocket server (built here from bench/go in GOPATH mode). Every one is stopped by `stop()`
// and killed when this process exits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVE_ON_LOOPBACK, spawnListening, spawnServe } from '../src/util/spawnServe.js';
import { packageRoot } from '../src/util/paths.js';
import { benchFile } from './paths.js';
import { currentPinning, pinServer, threadAffinities } from './pinning.js';

export const PUBLISHER_TOKEN = 'bench-publisher';

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** Resolves once the process is gone (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** True once the process has exited. */
  exited(): boolean;
  /** The CPUs its threads may use, as read from /proc right after it was pinned (e.g. "0"). */
  cpus: string;
}

/** Pins a just-started contender to the server core (when pinning is on) and says where it runs. */
async function placed(p: Omit<ServerProcess, 'cpus'>): Promise<ServerProcess> {
  try {
    pinServer(p.pid);
  } catch (err) {
    await p.stop(0);
    throw err;
  }
  return { ...p, cpus: threadAffinities(p.pid).join(' | ') || '?' };
}

/**
 * `evbench serve` with the publisher token and `args` (e.g. ['--mode', 'legacy']). `raiseFdLimit`:
 * started through sh with its soft descriptor limit raised to the hard one (sh execs node, so the
 * pid is the server's) — for the connections benchmark, which needs tens of thousands of sockets.
 * `nodeArgs` go to node before the CLI (e.g. a preload), on the same path.
 */
export async function startEvbench(
  name: string,
  args: string[] = [],
  o: { raiseFdLimit?: boolean; nodeArgs?: string[] } = {},
): Promise<ServerProcess> {
  const all = ['--publisher-token', PUBLISHER_TOKEN, ...args];
  // Pinned to one core, V8's concurrent and parallel collector threads share that core with the
  // event loop and preempt it for milliseconds at a time: with 300,000 events in the log, the fixed
  // load's p99 was 43 ms with them and 16 ms with --single-threaded-gc (scripts/fixed-load-gc.mjs).
  // It is to V8 what GOMAXPROCS=1 is to the Go contender: the runtime told it has one core.
  const nodeArgs = [...(currentPinning().enabled ? [SINGLE_CORE_V8_FLAG] : []), ...(o.nodeArgs ?? [])];
  const serve =
    o.raiseFdLimit || nodeArgs.length > 0
      ? await spawnListening(
          '/bin/sh',
          ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...nodeArgs, ...SERVE_ON_LOOPBACK, ...all],
          { name: 'evbench serve' },
        )
      : await spawnServe({ args: all });
  let gone = false;
  void serve.exited.then(() => (gone = true));
  return placed({ name, url: serve.url, pid: serve.pid, stop: (graceMs) => serve.stop(graceMs), exited: () => gone });
}

/** What a pinned evbench server is started with: one core, so no collector threads beside the loop. */
export const SINGLE_CORE_V8_FLAG = '--single-threaded-gc';

/** A contender that prints `{"url":…}` once it listens, started by the project's one spawner. */
async function startUrlProcess(name: string, command: string, args: string[]): Promise<ServerProcess> {
  const p = await spawnListening(command, args, { name });
  let gone = false;
  void p.exited.then(() => (gone = true));
  return placed({ name, url: p.url, pid: p.pid, stop: (graceMs) => p.stop(graceMs), exited: () => gone });
}

/** The plain `ws` broadcast loop (bench/plainWsServer.ts). */
export function startPlainWs(): Promise<ServerProcess> {
  return startUrlProcess('plain ws', process.execPath, [benchFile('plainWsServer.js')]);
}

const GO_SOURCE = join(packageRoot, 'bench', 'go', 'main.go');
/** The plain hub as gorilla's README example writes it (bench/go/hub/main.go). */
export const GO_HUB_SOURCE = join(packageRoot, 'bench', 'go', 'hub', 'main.go');
const GOPATH = '/usr/share/gocode';

/**
 * Builds a Go contender (`source`: the benchmark's, or GO_HUB_SOURCE) once per run (into dist-bench/,
 * which is never committed). Resolves with the binary's path, or with a reason to skip it: Go or
 * gorilla/websocket not installed.
 */
export function buildGoServer(source = GO_SOURCE): { binary?: string; skipped?: string } {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    return { skipped: 'Go is not installed (apt-get install -y golang-go golang-github-gorilla-websocket-dev): Go contender skipped' };
  }
  if (!existsSync(join(GOPATH, 'src', 'github.com', 'gorilla', 'websocket'))) {
    return {
      skipped: `gorilla/websocket not found under ${GOPATH} (apt-get install -y golang-github-gorilla-websocket-dev): Go contender skipped`,
    };
  }
  const outDir = benchFile('go');
  mkdirSync(outDir, { recursive: true });
  const binary = join(outDir, source === GO_SOURCE ? 'evbench-go-server' : 'evbench-go-hub');
  // built already from this source (dist-bench/ is never committed): linking again costs seconds
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { binary };
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '' };
  env.GOCACHE ??= join(tmpdir(), 'evbench-gocache');
  const build = spawnSync('go', ['build', '-o', binary, source], { encoding: 'utf8', env, timeout: 180_000 });
  if (build.status !== 0)
    return { skipped: `Go contender did not build: ${(build.stderr || build.error?.message || '').trim().split('\n')[0]}` };
  return { binary };
}

/** A Go contender; pinned runs give it GOMAXPROCS=1 (through env(1), so the pid stays the server's). */
export function startGoServer(binary: string, queueEvents = 16384, name = 'go gorilla'): Promise<ServerProcess> {
  const args = [binary, '-queue', String(queueEvents)];
  return currentPinning().enabled ? startUrlProcess(name, 'env', ['GOMAXPROCS=1', ...args]) : startUrlProcess(name, binary, args.slice(1));
}
