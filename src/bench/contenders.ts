// The servers a benchmark measures, each a separate process on 127.0.0.1: `evbench serve` (through
// src/util/spawnServe.ts, the one place that starts it), the plain `ws` broadcast loop, and the Go
// gorilla/websocket server (built here from bench/go in GOPATH mode). Every one is stopped by `stop()`
// and killed when this process exits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnListening, spawnServe } from '../util/spawnServe.js';
import { distFile, packageRoot } from '../util/paths.js';

export const PUBLISHER_TOKEN = 'bench-publisher';

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** Resolves once the process is gone (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** True once the process has exited. */
  exited(): boolean;
}

/** `evbench serve` with the publisher token and `args` (e.g. ['--mode', 'legacy']). */
export async function startEvbench(name: string, args: string[] = []): Promise<ServerProcess> {
  const serve = await spawnServe({ args: ['--publisher-token', PUBLISHER_TOKEN, ...args] });
  let gone = false;
  void serve.exited.then(() => (gone = true));
  return { name, url: serve.url, pid: serve.pid, stop: (graceMs) => serve.stop(graceMs), exited: () => gone };
}

/** A contender that prints `{"url":…}` once it listens, started by the project's one spawner. */
async function startUrlProcess(name: string, command: string, args: string[]): Promise<ServerProcess> {
  const p = await spawnListening(command, args, { name });
  let gone = false;
  void p.exited.then(() => (gone = true));
  return { name, url: p.url, pid: p.pid, stop: (graceMs) => p.stop(graceMs), exited: () => gone };
}

/** The plain `ws` broadcast loop (src/bench/plainWsServer.ts). */
export function startPlainWs(): Promise<ServerProcess> {
  return startUrlProcess('plain ws', process.execPath, [distFile('bench/plainWsServer.js')]);
}

const GO_SOURCE = join(packageRoot, 'bench', 'go', 'main.go');
const GOPATH = '/usr/share/gocode';

/**
 * Builds the Go contender once per run (into dist/, which is never committed). Resolves with the
 * binary's path, or with a reason to skip it: Go or gorilla/websocket not installed.
 */
export function buildGoServer(): { binary?: string; skipped?: string } {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    return { skipped: 'Go is not installed (apt-get install -y golang-go golang-github-gorilla-websocket-dev): Go contender skipped' };
  }
  if (!existsSync(join(GOPATH, 'src', 'github.com', 'gorilla', 'websocket'))) {
    return {
      skipped: `gorilla/websocket not found under ${GOPATH} (apt-get install -y golang-github-gorilla-websocket-dev): Go contender skipped`,
    };
  }
  const outDir = distFile('bench/go');
  mkdirSync(outDir, { recursive: true });
  const binary = join(outDir, 'evbench-go-server');
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '' };
  env.GOCACHE ??= join(tmpdir(), 'evbench-gocache');
  const build = spawnSync('go', ['build', '-o', binary, GO_SOURCE], { encoding: 'utf8', env, timeout: 180_000 });
  if (build.status !== 0)
    return { skipped: `Go contender did not build: ${(build.stderr || build.error?.message || '').trim().split('\n')[0]}` };
  return { binary };
}

export function startGoServer(binary: string, queueEvents = 16384): Promise<ServerProcess> {
  return startUrlProcess('go gorilla', binary, ['-queue', String(queueEvents)]);
}
