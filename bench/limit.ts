// The physical limit of fan-out on this machine (issue 15): bench/limit/limit.c, a C program that
// writes pre-built websocket frames of evbench's size to N loopback sockets from one core (no
// parsing, no framing, no bookkeeping), while its reader process drains them on the generator's
// core. Built with gcc into dist-bench/bench/limit/ once per run; skipped with a message without gcc.
// The fan-out benchmark runs it as two more contenders (frames written 100 per write(2), as
// evbench's corked fan-out can; and one per write(2), as the Go contender does) and states
// every evbench figure as a fraction of the batched one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { packageRoot } from '../src/util/paths.js';
import { benchFile } from './paths.js';
import { PUBLISHER_TOKEN } from './contenders.js';
import { openPublisher, publishFrame } from './leanLoad.js';
import { currentPinning } from './pinning.js';
import type { Sample } from './rounds.js';

const SOURCE = join(packageRoot, 'bench', 'limit', 'limit.c');

/** Builds the limit program; resolves with its path, or a reason to skip it. */
export function buildLimit(): { binary?: string; skipped?: string } {
  const outDir = benchFile('limit');
  mkdirSync(outDir, { recursive: true });
  const binary = join(outDir, 'evbench-limit');
  const cc = spawnSync('gcc', ['-O2', '-o', binary, SOURCE], { encoding: 'utf8', timeout: 60_000 });
  if (cc.error) return { skipped: `gcc not found (apt-get install -y gcc): physical-limit row skipped` };
  if (cc.status !== 0) return { skipped: `bench/limit/limit.c did not build: ${cc.stderr.trim().split('\n')[0]}` };
  return { binary };
}

export interface LimitOptions {
  clients: number;
  frameBytes: number;
  /** Frames per write(2). */
  batch: number;
  warmupMs: number;
  measureMs: number;
}

/** One run of the limit program: deliveries/s, writer and reader CPU (pinned like the contenders when pinning is on). */
export function measureLimit(binary: string, o: LimitOptions): Promise<Sample> {
  const pin = currentPinning();
  const args = [
    '--clients',
    String(o.clients),
    '--frame-bytes',
    String(o.frameBytes),
    '--batch',
    String(o.batch),
    '--warmup-ms',
    String(o.warmupMs),
    '--measure-ms',
    String(o.measureMs),
    ...(pin.enabled ? ['--writer-cpu', String(pin.serverCpu), '--reader-cpu', String(pin.generatorCpu)] : []),
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
  const timeoutMs = o.warmupMs + o.measureMs + 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, number>;
        resolve({
          deliveriesPerSec: r['deliveriesPerSec']!,
          writesPerSec: r['writesPerSec']!,
          serverCpuPct: r['writerCpuPct']!,
          readerCpuPct: r['readerCpuPct']!,
        });
      } catch {
        reject(new Error(`evbench-limit exited (${code ?? signal}) without a result: ${err.trim() || out.trim()}`));
      }
    });
  });
}

/**
 * The size on the wire of one event frame as `url` sends it (header + payload) for an event with a
 * `payloadBytes` pad: one subscriber, one published event. The limit writes frames of this size.
 */
export async function eventFrameBytes(url: string, payloadBytes: number, timeoutMs = 10_000): Promise<number> {
  const pub = await openPublisher(url, PUBLISHER_TOKEN);
  const sub = new WebSocket(url, { perMessageDeflate: false });
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event frame from ${url} within ${timeoutMs} ms`)), timeoutMs);
      sub.once('error', reject);
      sub.once('open', () => sub.send('{"method":"subscribe"}'));
      sub.on('message', (data: Buffer) => {
        if (data[2] === 0x6d) {
          clearTimeout(timer);
          const n = data.length;
          resolve(n + (n < 126 ? 2 : n < 65536 ? 4 : 10));
        } else pub.send(publishFrame(1, payloadBytes));
      });
    });
  } finally {
    sub.terminate();
    pub.terminate();
  }
}
