#!/usr/bin/env node
// @ts-check
// System calls at a fixed load (issue 28): one pinned run (server on one core, the runner with one
// client worker on the other) of fast clients against a build's `evbench serve --mode isolated` (or the
// Go hub, HUB=1), and what each side's baseline cost in system calls and CPU: the server's writes a
// second and frames per write, the runner's reads a second and frames per read, user and system CPU of
// both (from /proc/PID/io and /proc/PID/stat), beside accounted deliveries, p99 and whether the runner
// marked itself bound. Then the fast clients' p50/p99/max second by second (warm-up included).
// STALL_MS=N stops the server (SIGSTOP) for N ms as the baseline starts: how fast it catches up.
//   npm run build && npm run build:bench && node scripts/syscall-probe.mjs [ROOT=.] [CLIENTS=100] [RATE=750] [SECONDS=6]
// ROOT is a checkout with dist/ and dist-bench/ built (alternate two ROOTs to compare builds).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(process.argv[2] ?? here);
const [clients, rate, seconds] = [100, 750, 6].map((d, i) => Number(process.argv[3 + i] ?? d));
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const benchDist = (p) => import(pathToFileURL(join(root, 'dist-bench', 'bench', p)).href);
const { runScenario } = await dist('runner/run.js');
const { startEvbench, startGoServer, buildGoServer, GO_HUB_SOURCE } = await benchDist('contenders.js');
const { fastLoadScenario, phaseOf } = await benchDist('scenario.js');
const { applyPinning, planPinning, releasePinning } = await benchDist('pinning.js');

/** @param {number} pid */
function sample(pid) {
  const io = Object.fromEntries(
    readFileSync(`/proc/${pid}/io`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(': '))
      .map(([k, v]) => [k, Number(v)]),
  );
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime in clock ticks (100 a second) → µs
  return { reads: io.syscr, writes: io.syscw, usrUs: Number(f[11]) * 1e4, sysUs: Number(f[12]) * 1e4 };
}

applyPinning(planPinning(false));
const hub = process.env.HUB === '1';
let server;
if (hub) {
  const go = buildGoServer(GO_HUB_SOURCE);
  if (!go.binary) throw new Error(`the Go hub cannot be built: ${go.skipped}`);
  server = await startGoServer(go.binary, 16384, 'go gorilla hub');
} else server = await startEvbench('evbench', ['--mode', 'isolated']);
const stallMs = Number(process.env.STALL_MS ?? 0);
/** @type {{ s: ReturnType<typeof sample>, c: ReturnType<typeof sample>, t: number } | undefined} */
let from;
/** @type {typeof from} */
let to;
let record;
try {
  record = await runScenario(fastLoadScenario({ name: 'syscall-probe', url: server.url, clients, rate, warmupS: 2, baselineS: seconds }), {
    workers: 1,
    onProgress: (p) => {
      if (p.phase === 'baseline' && !from) {
        from = { s: sample(server.pid), c: sample(process.pid), t: performance.now() };
        if (stallMs > 0) {
          process.kill(server.pid, 'SIGSTOP');
          setTimeout(() => process.kill(server.pid, 'SIGCONT'), stallMs);
        }
      }
      if (p.phase === 'stress' && !to) to = { s: sample(server.pid), c: sample(process.pid), t: performance.now() };
    },
  });
} finally {
  await server.stop();
  releasePinning();
}
if (!from || !to) throw new Error('the run ended before its baseline was sampled');
const fast = phaseOf(record, 'fast', 'baseline');
const dt = (to.t - from.t) / 1000;
const perS = (/** @type {number} */ x) => Math.round(x / dt).toLocaleString('en-US');
const pct = (/** @type {number} */ us) => `${Math.round(us / dt / 1e4)}%`;
const serverWrites = to.s.writes - from.s.writes;
const runnerReads = to.c.reads - from.c.reads;
const seconds_ = (record.intervals ?? []).filter((r) => r.group === 'fast');
process.stdout.write(
  `${hub ? 'go gorilla hub' : root} ${clients} × ${rate}/s${stallMs ? `, server stopped ${stallMs} ms` : ''}: ` +
    `accounted ${Math.round(fast.arrived / seconds).toLocaleString('en-US')}/s, ${fast.missing} missing, p99 ${(fast.latencyUs.p99 / 1000).toFixed(1)} ms, ` +
    `runner ${record.generator.bound ? 'BOUND' : 'not bound'}\n` +
    `  server: ${perS(serverWrites)} writes/s, ${(fast.arrived / serverWrites).toFixed(1)} frames per write, CPU usr ${pct(to.s.usrUs - from.s.usrUs)} sys ${pct(to.s.sysUs - from.s.sysUs)}\n` +
    `  runner: ${perS(runnerReads)} reads/s, ${(fast.arrived / runnerReads).toFixed(1)} frames per read, CPU usr ${pct(to.c.usrUs - from.c.usrUs)} sys ${pct(to.c.sysUs - from.c.sysUs)}\n` +
    `  fast p50/p99/max by second (ms): ${seconds_.map((r) => `${(r.p50Us / 1000).toFixed(1)}/${(r.p99Us / 1000).toFixed(1)}/${(r.maxUs / 1000).toFixed(0)}`).join(' ')}\n`,
);
