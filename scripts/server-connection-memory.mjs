// @ts-check
// What an idle subscribed connection costs `evbench serve --mode isolated`: starts the server with
// scripts/memory-probe.mjs preloaded, adds lean C subscribers (bench/limit/subscribers.c: one
// process, serial connects, next to no client-side cost) in steps, and at 0 and after each step
// reads the server's RSS (RssAnon, RssFile) and V8's heap, as is and after a full GC; with
// --snapshots DIR it also writes a heap snapshot at each step (compare them with
// scripts/heap-by-constructor.mjs). Prints one JSON line per step and the per-connection figures.
// Usage: npm run build && npm run build:bench && node scripts/server-connection-memory.mjs [--steps 5000,10000] [--snapshots DIR]
//          [--no-gc] [--settle-ms 1000]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnListening } from '../dist/util/spawnServe.js';
import { SERVE_ON_LOOPBACK } from '../dist/util/spawnServe.js';
import { PUBLISHER_TOKEN } from '../dist-bench/bench/contenders.js';
import { buildCSubscribers, startCFleet } from '../dist-bench/bench/cSubscribers.js';
import { spawn } from 'node:child_process';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
};
const steps = arg('--steps', '5000,10000').split(',').map(Number);
const snapshots = arg('--snapshots', undefined);
const settleMs = Number(arg('--settle-ms', 1000));
// c: lean C subscribers, connected one after another; runner: the connections benchmark's child
// (the runner, every client at once, 1 event/s), read at the moment the benchmark reads, once
const client = arg('--client', 'c');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

mkdirSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bench', 'limit'), { recursive: true });
const { binary, skipped } = buildCSubscribers();
if (!binary) throw new Error(skipped);
const work = mkdtempSync(join(tmpdir(), 'server-connection-memory-'));
const out = join(work, 'probe.jsonl');
process.env.MEMORY_PROBE_OUT = out;
if (snapshots) process.env.MEMORY_PROBE_SNAPSHOTS = snapshots;
if (process.argv.includes('--no-gc')) process.env.MEMORY_PROBE_GC = '0';
const distChild = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist-bench', 'bench', 'connectionsChild.js');
const probe = join(dirname(fileURLToPath(import.meta.url)), 'memory-probe.mjs');
const serverArgs = [
  '--publisher-token',
  PUBLISHER_TOKEN,
  '--mode',
  'isolated',
  '--max-connections',
  String(Math.max(...steps) + 1000),
  '--handshake-timeout',
  '120s',
];
const server = await spawnListening(
  '/bin/sh',
  [
    '-c',
    'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
    process.execPath,
    '--expose-gc',
    '--import',
    probe,
    ...SERVE_ON_LOOPBACK,
    ...serverArgs,
  ],
  { name: 'evbench serve' },
);

/** Asks the server for a reading and waits (at most 60 s) for its line. */
async function read() {
  const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : []);
  const before = lines().length;
  process.kill(server.pid, 'SIGUSR2');
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(50)) {
    const all = lines();
    if (all.length > before) return JSON.parse(all[before]);
  }
  throw new Error('no reading from the server within 60 s');
}

/** Runs connectionsChild with `clients` against the server; the reading is taken when it says idle. */
function runnerReading(clients) {
  const child = spawn(
    '/bin/sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, distChild, server.url, String(clients)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('connections child: no idle within 180 s'))), 180_000);
    let buf = '';
    let reading;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d;
      if (!reading && buf.includes('"idle"')) reading = read();
    });
    child.once('exit', () => {
      clearTimeout(timer);
      if (reading) reading.then(resolve, reject);
      else reject(new Error(`connections child exited before idle: ${buf}`));
    });
  });
}

const fleets = [];
const readings = [];
try {
  await sleep(settleMs);
  readings.push({ clients: 0, ...(await read()) });
  let held = 0;
  if (client === 'runner') {
    readings.push({ clients: steps[0], ...(await runnerReading(steps[0])) });
    steps.length = 0;
  }
  for (const step of steps) {
    const fleet = await startCFleet(binary, server.url, step - held, 180_000);
    fleets.push(fleet);
    held = step;
    await sleep(settleMs);
    readings.push({ clients: held, ...(await read()) });
  }
} finally {
  for (const f of fleets) await f.stop();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

const fields = (r) => ({
  rss: r.vmRss,
  rssAnon: r.rssAnon,
  rssFile: r.rssFile,
  brkHeap: r.brkHeap,
  heapUsed: r.memory.heapUsed,
  heapTotal: r.memory.heapTotal,
  external: r.memory.external,
  arrayBuffers: r.memory.arrayBuffers,
  newSpace: r.spaces.new_space.size,
  oldSpaceUsed: r.spaces.old_space.used,
});
for (const r of readings) {
  process.stdout.write(
    `${JSON.stringify({ clients: r.clients, asIs: fields(r.asIs), afterGc: r.afterGc && fields(r.afterGc), snapshot: r.snapshot })}\n`,
  );
}
// bytes per connection between consecutive readings, and from 0
const per = (a, b, which) => {
  const fa = fields(a[which]);
  const fb = fields(b[which]);
  const n = b.clients - a.clients;
  return Object.fromEntries(Object.keys(fa).map((k) => [k, Math.round((fb[k] - fa[k]) / n)]));
};
for (let i = 1; i < readings.length; i++) {
  for (const [from, label] of [
    [readings[0], 'from 0'],
    [readings[i - 1], 'step'],
  ]) {
    if (label === 'step' && i === 1) continue;
    const row = { between: `${from.clients}→${readings[i].clients}`, asIs: per(from, readings[i], 'asIs') };
    if (readings[i].afterGc) row.afterGc = per(from, readings[i], 'afterGc');
    process.stdout.write(`per connection ${label}: ${JSON.stringify(row)}\n`);
  }
}
