#!/usr/bin/env node
// @ts-check
// What sets the isolated server's p99 at the bench's fixed load (issue 15: evbench ÷ Go ≤ 1.1×):
// the same load as `npm run bench -- --only fanout` (50 fast clients × 1,500 events/s of 200 B =
// 75,000 deliveries/s; CLIENTS= and RATE= change it; the runner with full accounting, pinned: server on one core, runner on the
// other), but with a longer baseline, and the server started with V8's --trace-gc so every pause of
// its one thread is on record. For each round: the fast clients' p50/p99/p99.9/max over the
// baseline, and the server's GC pauses in the same seconds (count, total, longest, and how many
// were at least the round's p99). VARIANT="--max-semi-space-size=32" adds rounds with those flags,
// alternated with the default ones, to try a remedy side by side. GO=1 adds rounds against the Go
// gorilla contender (GOMAXPROCS=1, the same core), whose p99 shows what the runner itself adds; HUB=1
// the plain gorilla hub of its README example (bench/go/hub). BASE_FLAGS="--single-threaded-gc" gives
// every evbench round those node flags (what the bench gives a pinned server); BEFORE=/other/dist adds
// rounds of another build of evbench (e.g. the commit before a change, built in a second worktree).
// PREFILL=N stores N events in the server's log before the run (the bench's server holds the
// events of its earlier rounds): a fuller heap, longer full collections.
//   npm run build && npm run build:bench && node scripts/fixed-load-gc.mjs [ROUNDS=3] [BASELINE_S=20]
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const benchDist = (p) => import(pathToFileURL(join(root, 'dist-bench', 'bench', p)).href);
const { runScenario } = await dist('runner/run.js');
const { fastLoadScenario, phaseOf } = await benchDist('scenario.js');
const { applyPinning, describePinning, planPinning, releasePinning, pinServer } = await benchDist('pinning.js');
const { PUBLISHER_TOKEN, GO_HUB_SOURCE, buildGoServer, startGoServer } = await benchDist('contenders.js');
const { SERVE_ON_LOOPBACK } = await dist('util/spawnServe.js');

const CLIENTS = Number(process.env.CLIENTS ?? 50);
const RATE = Number(process.env.RATE ?? 1500);
const rounds = Number(process.argv[2] ?? 3);
const baselineS = Number(process.argv[3] ?? 20);
const baseFlags = process.env.BASE_FLAGS ? process.env.BASE_FLAGS.split(/\s+/) : [];
const before = process.env.BEFORE ? resolve(process.env.BEFORE, 'cli', 'main.js') : undefined;
const variants = [
  baseFlags,
  ...(process.env.VARIANT ? [[...baseFlags, ...process.env.VARIANT.split(/\s+/)]] : []),
  ...(before ? ['before'] : []),
  ...(process.env.GO === '1' ? ['go'] : []),
  ...(process.env.HUB === '1' ? ['hub'] : []),
];
const say = (line) => process.stderr.write(`${line}\n`);

/** `evbench serve --mode isolated` (`cli`: this build's, or another's) with `flags` for node and --trace-gc; resolves once it listens. */
function startServer(flags, cli) {
  const spawnedAt = performance.now(); // V8 counts --trace-gc times from its isolate's start, a few ms later
  const child = spawn(
    process.execPath,
    [
      ...flags,
      '--trace-gc',
      ...(cli ? [cli, ...SERVE_ON_LOOPBACK.slice(1)] : SERVE_ON_LOOPBACK),
      '--mode',
      'isolated',
      '--publisher-token',
      PUBLISHER_TOKEN,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const gc = []; // { atMs (since the server started), kind, pauseMs }
  let url;
  let buf = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 10 s')), 10_000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // [pid:0x…]    1234 ms: Scavenge 9.8 (12.3) -> 9.1 (13.3) MB, 1.23 / 0.00 ms  (average mu = …) allocation failure;
        const m =
          /^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: (Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Compact)[^,]*, ([\d.]+) \/ ([\d.]+) ms/.exec(line);
        if (m) gc.push({ atMs: Number(m[1]), kind: m[2], pauseMs: Number(m[3]) });
        else if (!url && line.startsWith('{')) {
          url = JSON.parse(line).url;
          clearTimeout(timer);
          pinServer(child.pid);
          const exited = new Promise((r) => child.once('exit', r));
          resolveStart({ url, gc, spawnedAt, stop: () => (child.kill('SIGTERM'), exited) });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

/** A Go contender (no GC trace: its collector runs concurrently, beside the one goroutine per client). */
async function goServer(source) {
  const { binary, skipped } = buildGoServer(source);
  if (!binary) throw new Error(skipped);
  const go = await startGoServer(binary);
  return { url: go.url, gc: [], spawnedAt: performance.now(), stop: () => go.stop() };
}

async function round(flags, r) {
  const server =
    flags === 'go'
      ? await goServer()
      : flags === 'hub'
        ? await goServer(GO_HUB_SOURCE)
        : flags === 'before'
          ? await startServer(baseFlags, before)
          : await startServer(flags);
  const isGo = flags === 'go' || flags === 'hub';
  const serverZero = server.spawnedAt;
  const scenario = fastLoadScenario({ name: `fixed-load-gc-${r}`, url: server.url, clients: CLIENTS, rate: RATE, warmupS: 3, baselineS });
  if (!isGo) scenario.publisher.prefill = Number(process.env.PREFILL ?? 0);
  let baselineFrom;
  let baselineTo;
  const record = await runScenario(scenario, {
    workers: 1,
    onProgress: (p) => {
      if (p.phase === 'baseline') baselineFrom ??= performance.now();
      if (p.phase === 'stress') baselineTo ??= performance.now();
    },
  });
  await server.stop();
  const fast = phaseOf(record, 'fast', 'baseline');
  // pauses inside the baseline (in the server's clock; its start is known to within a few ms)
  const inBaseline = server.gc.filter((g) => g.atMs + serverZero >= baselineFrom && g.atMs + serverZero <= baselineTo);
  const p99Ms = fast.latencyUs.p99 / 1000;
  const pauses = inBaseline.map((g) => g.pauseMs).sort((a, b) => a - b);
  const byKind = {};
  for (const g of inBaseline) byKind[g.kind] = (byKind[g.kind] ?? 0) + 1;
  return {
    flags:
      flags === 'go'
        ? 'go gorilla'
        : flags === 'hub'
          ? 'go gorilla hub'
          : flags === 'before'
            ? `before (${process.env.BEFORE})`
            : flags.join(' ') || 'default',
    p50Ms: fast.latencyUs.p50 / 1000,
    p99Ms,
    p999Ms: fast.latencyUs.p999 / 1000,
    maxMs: fast.latencyUs.max / 1000,
    missing: fast.missing,
    bound: record.generator.bound,
    loopDelayP99Ms: record.generator.eventLoopDelayP99Us / 1000,
    gcCount: pauses.length,
    byKind,
    gcTotalMs: pauses.reduce((a, b) => a + b, 0),
    gcMaxMs: pauses.at(-1) ?? 0,
    gcP50Ms: pauses[Math.floor(pauses.length / 2)] ?? 0,
    gcAtLeastP99: pauses.filter((p) => p >= p99Ms).length,
    seconds: (Number(baselineTo) - Number(baselineFrom)) / 1000, // NaN when a baseline edge is missing, as before
  };
}

const pinning = planPinning(process.env.UNPINNED === '1');
applyPinning(pinning);
say(describePinning(pinning));
say(
  `fixed load: ${CLIENTS} fast clients × ${RATE} events/s (200 B), ${baselineS} s baseline, ${rounds} round(s) × ${variants.length} variant(s)`,
);
const rows = [];
try {
  for (let r = 0; r < rounds; r++) {
    for (const flags of r % 2 === 0 ? variants : [...variants].reverse()) {
      const x = await round(flags, r);
      rows.push(x);
      say(
        `round ${r + 1} [${x.flags}]: fast p50 ${x.p50Ms.toFixed(2)} ms, p99 ${x.p99Ms.toFixed(2)} ms, p99.9 ${x.p999Ms.toFixed(2)} ms, max ${x.maxMs.toFixed(1)} ms` +
          `${x.bound ? ' (generator BOUND)' : ''}, ${x.missing} missing, runner loop delay p99 ${x.loopDelayP99Ms.toFixed(1)} ms; ` +
          `server GC in baseline: ${x.gcCount} pauses (${
            Object.entries(x.byKind)
              .map(([k, n]) => `${n} ${k}`)
              .join(', ') || 'none'
          }), ` +
          `${x.gcTotalMs.toFixed(0)} ms in all (${((x.gcTotalMs / (x.seconds * 1000)) * 100).toFixed(2)}% of the time), median ${x.gcP50Ms.toFixed(2)} ms, ` +
          `longest ${x.gcMaxMs.toFixed(2)} ms, ${x.gcAtLeastP99} at least as long as the p99`,
      );
    }
  }
} finally {
  releasePinning();
}
process.stdout.write(`${JSON.stringify(rows)}\n`);
