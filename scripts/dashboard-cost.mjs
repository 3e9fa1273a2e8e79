#!/usr/bin/env node
// What the live dashboard costs the load generator: the same scenario run without --dashboard and
// with it (its provisional record built every second, a page watching its SSE stream), alternated
// round by round so machine noise hits both alike, against one external `evbench serve` (isolated)
// whose CPU is not counted. The measure is the runner process's CPU time per delivered event (main
// thread and every worker thread): at saturation the generator's throughput is the inverse of it,
// so its relative rise is the throughput lost. Medians of the rounds, and each round, are printed.
// On a busy machine that difference is within the rounds' noise, so the dashboard's own work is also
// timed where it runs (the workers' snapshots, the provisional records, drawing and sending the view)
// and printed as a share of the runner's CPU: a figure the machine's noise does not swamp.
//   npm run build && node scripts/dashboard-cost.mjs [ROUNDS=5] [RATE=1000] [FAST_CLIENTS=40]
// The viewer is `curl -N …/events` in its own process (a browser tab would do the same work on the
// runner's side: one SSE stream; its own rendering is not the generator's cost).
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { runScenario } = await dist('runner/run.js');
const { startEvbench } = await dist('bench/contenders.js');
const { urlScenario } = await dist('bench/scenario.js');
const { startDashboard } = await dist('dashboard/server.js');
const { median } = await dist('bench/rounds.js');

const rounds = Number(process.argv[2] ?? 5);
const rate = Number(process.argv[3] ?? 1000);
const fastClients = Number(process.argv[4] ?? 40);
const say = (line) => process.stderr.write(`${line}\n`);

async function once(server, withDashboard, round) {
  const scenario = urlScenario({
    name: `dashboard-cost-${withDashboard ? 'with' : 'without'}-${round}`,
    url: server.url,
    rate,
    payloadBytes: 200,
    groups: [
      { name: 'fast', kind: 'fast', count: fastClients },
      { name: 'stalled', kind: 'slow', behaviour: 'stall', count: 1, phases: ['stress'] },
    ],
    phases: [
      { name: 'warmup', duration: '2s' },
      { name: 'baseline', duration: '6s' },
      { name: 'stress', duration: '6s' },
    ],
  });
  let dashboard;
  let viewer;
  let liveCostUs = 0;
  let drawUs = 0;
  const options = { workers: 2 };
  if (withDashboard) {
    dashboard = await startDashboard({ title: scenario.name });
    viewer = spawn('curl', ['-sN', `${dashboard.url}events`, '-o', '/dev/null'], { stdio: 'ignore' });
    options.onProgress = (p) => dashboard.progress('run', { phase: p.phase, elapsedUs: p.elapsedUs, totalUs: p.totalUs });
    options.onLive = (u) => {
      liveCostUs = u.costUs;
      dashboard.update({ name: 'run', record: u.record, clients: u.clients, costUs: u.costUs, final: false });
    };
  }
  const cpu0 = process.cpuUsage();
  const record = await runScenario(scenario, options);
  const cpu = process.cpuUsage(cpu0);
  if (dashboard) {
    dashboard.update({ name: 'run', record, final: true });
    viewer.kill();
    drawUs = dashboard.drawUs();
    await dashboard.close();
  }
  const delivered = record.groups.reduce((a, g) => a + Object.values(g.phases).reduce((b, p) => b + p.arrived, 0), 0);
  const cpuUs = cpu.user + cpu.system;
  return {
    cpuUsPerKEvents: (cpuUs / delivered) * 1000,
    delivered,
    cpuS: cpuUs / 1e6,
    elu: record.generator.eventLoopUtilization,
    // the dashboard's own work, its CPU time where it runs: worker snapshots and provisional records (runner), views and SSE (server)
    ownPercent: withDashboard ? ((liveCostUs + drawUs) / cpuUs) * 100 : NaN,
    verdict: record.hol.verdict,
  };
}

const server = await startEvbench('evbench', ['--mode', 'isolated']);
const results = { without: [], with: [] };
try {
  for (let r = 0; r < rounds; r++) {
    // alternate which goes first, so a drift in machine load does not favour one side
    const order = r % 2 === 0 ? [false, true] : [true, false];
    for (const withDashboard of order) {
      const x = await once(server, withDashboard, r);
      results[withDashboard ? 'with' : 'without'].push(x);
      say(
        `round ${r + 1} ${withDashboard ? 'with   ' : 'without'}: ${x.cpuUsPerKEvents.toFixed(1)} µs CPU per 1000 events ` +
          `(${x.delivered} events, ${x.cpuS.toFixed(2)} s CPU, worst thread busy ${Math.round(x.elu * 100)}%, verdict ${x.verdict})` +
          (withDashboard ? `; the dashboard's own work: ${x.ownPercent.toFixed(2)}% of that CPU` : ''),
      );
    }
  }
} finally {
  await server.stop();
}
const m = (side, k) => median(results[side].map((x) => x[k]));
const without = m('without', 'cpuUsPerKEvents');
const withD = m('with', 'cpuUsPerKEvents');
say('');
say(`median CPU per 1000 delivered events: without ${without.toFixed(1)} µs, with the dashboard open ${withD.toFixed(1)} µs`);
say(`dashboard cost: ${(((withD - without) / without) * 100).toFixed(2)}% of the generator's CPU per event (its throughput at saturation)`);
// each round's two runs ran back to back: their ratio is less exposed to the machine's load drifting across rounds
const pairs = results.with.map((w, i) => (w.cpuUsPerKEvents / results.without[i].cpuUsPerKEvents - 1) * 100);
say(
  `round by round (with ÷ without − 1): ${pairs.map((p) => `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`).join(' ')}; median ${median(pairs).toFixed(2)}%`,
);
say(`median events delivered per run: without ${m('without', 'delivered')}, with ${m('with', 'delivered')}`);
say(`the dashboard's own work, its CPU time where it runs, median: ${m('with', 'ownPercent').toFixed(2)}% of the runner's CPU`);
