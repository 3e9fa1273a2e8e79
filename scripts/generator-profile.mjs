#!/usr/bin/env node
// @ts-check
// Where a client worker's time goes at a high load (issue 15: ≥ 400,000 accounted deliveries/s per
// worker): one pinned run (server on one core, the runner on the other, 1 client worker) with V8's
// CPU profiler on every thread, then the client worker's profile summed by what the code does.
//   npm run build && npm run build:bench && node --cpu-prof --cpu-prof-dir=/tmp/evbench-prof scripts/generator-profile.mjs [CLIENTS=100] [RATE=1500] [SECONDS=10]
// The profiles stay in the --cpu-prof-dir (open them in Chrome's DevTools for the full tree).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const benchDist = (p) => import(pathToFileURL(join(root, 'dist-bench', 'bench', p)).href);
const { runScenario } = await dist('runner/run.js');
const { startEvbench } = await benchDist('contenders.js');
const { fastLoadScenario, phaseOf } = await benchDist('scenario.js');
const { applyPinning, describePinning, planPinning, releasePinning } = await benchDist('pinning.js');

const profDir = process.execArgv.find((a) => a.startsWith('--cpu-prof-dir='))?.split('=')[1];
if (!profDir) {
  process.stderr.write('run with: node --cpu-prof --cpu-prof-dir=DIR scripts/generator-profile.mjs …\n');
  process.exit(2);
}
const [clients, rate, seconds] = [100, 1500, 10].map((d, i) => Number(process.argv[2 + i] ?? d));
const say = (line) => process.stderr.write(`${line}\n`);

const pinning = planPinning(process.env.UNPINNED === '1');
applyPinning(pinning);
say(describePinning(pinning));
const server = await startEvbench('evbench', ['--mode', 'isolated']);
const started = Date.now();
let record;
try {
  record = await runScenario(
    fastLoadScenario({ name: 'generator-profile', url: server.url, clients, rate, warmupS: 2, baselineS: seconds }),
    { workers: 1 },
  );
} finally {
  await server.stop();
  releasePinning();
}
const fast = phaseOf(record, 'fast', 'baseline');
say(
  `${clients} clients × ${rate} events/s = ${(clients * rate).toLocaleString('en-US')} deliveries/s offered; baseline accounted ` +
    `${Math.round(fast.arrived / seconds).toLocaleString('en-US')}/s, ${fast.missing} missing, p99 ${(fast.latencyUs.p99 / 1000).toFixed(1)} ms; ` +
    `generator ${record.generator.bound ? `BOUND (${record.generator.reasons.join('; ')})` : 'not bound'}, worst thread busy ${Math.round(record.generator.eventLoopUtilization * 100)}%`,
);

// the client worker's profile: this process's, written when the worker ended, the busiest of its threads
const mine = readdirSync(profDir)
  .filter((f) => f.includes(`.${process.pid}.`) && statSync(join(profDir, f)).mtimeMs >= started)
  .map((f) => ({ f, p: JSON.parse(readFileSync(join(profDir, f), 'utf8')) }))
  .map((x) => ({ ...x, busy: busyUs(x.p) }))
  .sort((a, b) => b.busy - a.busy);
if (mine.length === 0) {
  say(`no profile of this process in ${profDir} yet`);
  process.exit(1);
}
const worker = mine[0];
const CATEGORIES = [
  ['histogram recording (hdr-histogram-js)', /hdr-histogram-js/],
  ['frame scan (id and time out of the JSON)', /measurement\/frameScan/],
  [
    'accounting (ids, bitsets, per-second books, latency tallies)',
    /measurement\/(accounting|recorder|histogram|idMap|stall|schedule|bitset)/,
  ],
  ['websocket frames (frameReader)', /clients\/frameReader/],
  ['client connection and adapters', /runner\/(clients|adapters)\//],
  ['ws library', /node_modules\/ws\//],
  ['Node streams, net and buffers', /node:(internal\/streams|net|internal\/stream_base|buffer|events|internal\/buffer)/],
  ['garbage collector', /^\(garbage collector\)$/],
  ['native and runtime (syscalls, program)', /^\((program|native)\)$|^$/],
];
const self = new Map();
const p = worker.p;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
for (let i = 0; i < p.samples.length; i++) {
  let n = byId.get(p.samples[i]);
  const f = n.callFrame;
  if (f.functionName === '(idle)') continue;
  // a native function (Buffer#indexOf, UTF-8 validation) counts where the JavaScript that called it
  // does, and so do node:buffer's wrappers around it (frame scan's indexOf is frame scan, not buffers)
  while (!n.callFrame.url && parentOf.has(n.id) && parentOf.get(n.id).callFrame.url) n = parentOf.get(n.id);
  while (n.callFrame.url === 'node:buffer' && parentOf.has(n.id) && parentOf.get(n.id).callFrame.url) n = parentOf.get(n.id);
  const where = n.callFrame.url || f.functionName;
  const cat =
    CATEGORIES.find(([, re]) => /** @type {RegExp} */ (re).test(where))?.[0] ??
    (f.url ? `other: ${f.url.split('/').slice(-2).join('/')}` : 'other native');
  self.set(cat, (self.get(cat) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
say(`client worker profile ${worker.f}: ${(total / 1000).toFixed(0)} ms of JavaScript-visible time (self time, by what the code does):`);
for (const [cat, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 14))
  say(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${cat}`);
say('(native functions count with their JavaScript caller; time in the kernel, reading sockets, shows as idle or (program))');

function busyUs(prof) {
  const idle = new Set(prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let t = 0;
  for (let i = 0; i < prof.samples.length; i++) if (!idle.has(prof.samples[i])) t += prof.timeDeltas[i] ?? 0;
  return t;
}
