// The fan-out saturation benchmark's subscribers when gcc is here: bench/limit/subscribers.c, one C
// process on the generator's core that holds every connection and only walks frame headers, so the
// figure is the server's. Its counters (events, acks, closed, connected: four uint64) live in a small
// file it maps; this side reads them with pread. Same interface as leanLoad.ts's Node fleet.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../src/util/paths.js';
import { benchFile } from './paths.js';
import type { Fleet } from './leanLoad.js';
import { sleep } from './rounds.js';

const SOURCE = join(packageRoot, 'bench', 'limit', 'subscribers.c');
let built: { binary?: string; skipped?: string } | undefined;

/** Builds the C subscribers once per process; a reason instead when gcc is missing or the build fails. */
export function buildCSubscribers(): { binary?: string; skipped?: string } {
  if (built) return built;
  const binary = benchFile('limit/evbench-subscribers');
  mkdirSync(dirname(binary), { recursive: true }); // absent when no benchmark built bench/limit yet (--only)
  const cc = spawnSync('gcc', ['-O2', '-o', binary, SOURCE], { encoding: 'utf8', timeout: 60_000 });
  if (cc.error) built = { skipped: 'gcc not found: Node lean subscribers used instead of the C ones' };
  else if (cc.status !== 0) built = { skipped: `bench/limit/subscribers.c did not build: ${cc.stderr.trim().split('\n')[0]}` };
  else built = { binary };
  return built;
}

let seq = 0;

/** Starts `clients` C subscribers on `url` (ws://127.0.0.1:PORT/PATH) and resolves once every one is acked. */
export async function startCFleet(
  binary: string,
  url: string,
  clients: number,
  readyTimeoutMs = 60_000,
  subscribe?: Record<string, unknown>,
): Promise<Fleet> {
  const u = new URL(url);
  const dir = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const file = join(dir, `evbench-subscribers-${process.pid}-${++seq}`);
  const token = u.searchParams.get('api_token');
  const args = ['--port', u.port, '--path', u.pathname, '--clients', String(clients), '--counters', file];
  if (token) args.push('--token', encodeURIComponent(token));
  if (subscribe) args.push('--subscribe', JSON.stringify(subscribe));
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-1000)));
  let exited = false;
  // this process ending by any path (a signal included: bench/main.ts exits on one) ends the subscribers
  const onExit = (): void => {
    child.kill('SIGKILL');
    rmSync(file, { force: true });
  };
  process.once('exit', onExit);
  child.once('exit', () => {
    exited = true;
    process.off('exit', onExit);
  });
  const buf = Buffer.alloc(32);
  let fd = -1;
  const counters = (): bigint[] => {
    if (fd < 0) {
      if (!existsSync(file)) return [0n, 0n, 0n, 0n];
      fd = openSync(file, 'r');
    }
    const n = readSync(fd, buf, 0, 32, 0);
    if (n < 32) return [0n, 0n, 0n, 0n];
    return [0, 1, 2, 3].map((i) => buf.readBigUInt64LE(i * 8));
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => (exited ? resolve() : child.once('exit', () => resolve())));
    }
    if (fd >= 0) closeSync(fd);
    fd = -1;
    rmSync(file, { force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Number(counters()[1]) < clients) {
    if (exited || Date.now() > deadline) {
      const why = exited ? `exited: ${stderr.trim()}` : `${counters()[1]} of ${clients} subscribed within ${readyTimeoutMs} ms`;
      await stop();
      throw new Error(`C subscribers on ${url}: ${why}`);
    }
    await sleep(10);
  }
  return {
    clients,
    received: () => Number(counters()[0]),
    closedByServer: () => Number(counters()[2]),
    stop,
  };
}
