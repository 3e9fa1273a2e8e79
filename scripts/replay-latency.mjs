#!/usr/bin/env node
// @ts-check
// Live latency while a large catch-up replay runs, pinned: `evbench serve` on one core (taskset -c
// SERVER_CPU), this process and the runner's threads on whatever core it was started on. Per round:
// 10 fast clients at 1,000 events/s (baseline 5 s), then one catch-up client with a 1,000,000-event
// backlog (stress 10 s), the same scenario as `npm run bench -- --only catchup`; prints per round and
// min / median / max: fast p99 baseline, fast p99 during the replay (max of the per-second interval
// p99s until the catch-up client went live), their ratio, the replay rate and the 1-min load average.
//
//   npm run build && npm run build:bench
//   taskset -c 1 node scripts/replay-latency.mjs --rounds 3 [--server-cpu 0] [--backlog 1000000]
//       [--lean-rounds 3] [--serve-args='--queue-bytes 2MiB'] [--server-node-args='--cpu-prof --cpu-prof-dir=/tmp/prof']
// --lean-rounds: then a lean client (counts frames) replays the backlog alone: rate and server CPU per event.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import WebSocket from 'ws';
import { parseArgs } from 'node:util';
import { spawnListening } from '../dist/util/spawnServe.js';
import { SERVE_ON_LOOPBACK } from '../dist/util/spawnServe.js';
import { prefill } from '../dist-bench/bench/catchup.js';
import { runScenario } from '../dist/runner/run.js';
import { urlScenario, phaseOf } from '../dist-bench/bench/scenario.js';
import { PUBLISHER_TOKEN } from '../dist-bench/bench/contenders.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    backlog: { type: 'string', default: '1000000' },
    'server-cpu': { type: 'string', default: '0' },
    'serve-args': { type: 'string', default: '' },
    'server-node-args': { type: 'string', default: '' },
    fast: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    'lean-rounds': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const backlog = Number(values.backlog);
const split = (s) => s.split(' ').filter(Boolean);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const log = (line) => process.stderr.write(`${line}\n`);
/** The server's CPU time so far (user + system), seconds, from /proc. */
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** A lean client (counts frames, parses nothing) replays the backlog alone: replay rate and server CPU per event. */
async function leanReplay(url, pid) {
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let received = 0;
  let t0 = 0;
  let cpu0 = 0;
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lean replay: ${received} of ${backlog} within 120 s`)), 120_000);
      let first = true;
      ws.on('message', (data) => {
        if (data[2] === 0x6d) {
          if (++received >= backlog) {
            clearTimeout(timer);
            const s = (performance.now() - t0) / 1000;
            resolve({ replayPerSec: received / s, serverCpuUsPerEvent: ((cpuSeconds(pid) - cpu0) * 1e6) / received });
          }
          return;
        }
        const status = JSON.parse(data.toString());
        if (first && status.status === 200) {
          first = false;
          t0 = performance.now();
          cpu0 = cpuSeconds(pid);
          ws.send(
            JSON.stringify({
              method: 'subscribe',
              last_log_id: Math.max(0, status.last_log_id - backlog),
              filters: [['event_type', 'in', ['update']]],
            }),
          );
        }
      });
      ws.send('{"method":"subscribe","filters":[["event_type","in",["none"]]]}');
    });
  } finally {
    ws.terminate();
  }
}

const serverArgs = [
  '-c',
  values['server-cpu'],
  process.execPath,
  ...split(values['server-node-args']),
  ...SERVE_ON_LOOPBACK,
  '--publisher-token',
  PUBLISHER_TOKEN,
  '--log-size',
  String(backlog + 200_000),
  '--log-bytes',
  '2GiB',
  ...split(values['serve-args']),
];
log(`load average at start: ${load()}`);
const server = await spawnListening('taskset', serverArgs, { name: 'evbench serve (pinned)' });
const samples = [];
try {
  const t0 = performance.now();
  await prefill(server.url, backlog, 200);
  log(`prefilled ${backlog} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (let round = 1; round <= rounds; round++) {
    const loadAtStart = load();
    const scenario = urlScenario({
      name: `replay-latency-r${round}`,
      url: server.url,
      rate: Number(values.rate),
      payloadBytes: 200,
      groups: [
        { name: 'fast', kind: 'fast', count: Number(values.fast) },
        { name: 'replay', kind: 'catchup', count: 1, backlog, phases: ['stress'] },
      ],
      phases: [
        { name: 'warmup', duration: '2s' },
        { name: 'baseline', duration: '5s' },
        { name: 'stress', duration: '10s' },
      ],
    });
    // the server's own event-loop delay, per 500 ms window (each /metrics scrape resets it), in
    // baseline and in the windows where the replay advanced
    let phase = '';
    const windows = [];
    let lastReplayed;
    const poll = setInterval(async () => {
      const at = phase;
      try {
        const text = await (await fetch(server.metricsUrl)).text();
        const value = (re) => Number(re.exec(text)?.[1] ?? NaN);
        const replayed = value(/^evbench_replayed_events_total (\S+)$/m);
        windows.push({
          phase: at,
          replaying: lastReplayed !== undefined && replayed > lastReplayed,
          p99Ms: value(/^evbench_event_loop_delay_seconds\{quantile="0.99"\} (\S+)$/m) * 1000,
          maxMs: value(/^evbench_event_loop_delay_seconds\{quantile="1"\} (\S+)$/m) * 1000,
        });
        lastReplayed = replayed;
      } catch {
        // a missed scrape is a missing window, nothing more
      }
    }, 500);
    const record = await runScenario(scenario, { onProgress: (p) => (phase = p.phase) }).finally(() => clearInterval(poll));
    const worst = (ws, k) => Math.max(...ws.map((w) => w[k]));
    const loopBase = windows.filter((w) => w.phase === 'baseline');
    const loopReplay = windows.filter((w) => w.replaying);
    const base = phaseOf(record, 'fast', 'baseline');
    const stress = phaseOf(record, 'fast', 'stress');
    const replay = record.groups.find((g) => g.name === 'replay')?.replay;
    const timeToLiveS = (replay?.timeToLiveUsMax ?? NaN) / 1e6;
    const stressStartUs = record.phases.find((p) => p.name === 'stress').startUs;
    const during = record.intervals.filter(
      (iv) => iv.group === 'fast' && iv.startUs >= stressStartUs && iv.startUs < stressStartUs + Math.max(1, Math.ceil(timeToLiveS)) * 1e6,
    );
    const duringP99Ms = Math.max(...during.map((iv) => iv.p99Us)) / 1000;
    const s = {
      round,
      load: loadAtStart,
      baselineP99Ms: base.latencyUs.p99 / 1000,
      duringP99Ms,
      ratio: duringP99Ms / (base.latencyUs.p99 / 1000),
      stressP99Ms: stress.latencyUs.p99 / 1000,
      replayPerSec: replay?.ratePerSec ?? NaN,
      timeToLiveS,
      replayMissing: replay?.missing ?? NaN,
      fastMissing: stress.missing,
      generatorBound: record.generator.bound,
      replayBound: record.generator.replayBound,
      replayClose: record.groups
        .find((g) => g.name === 'replay')
        ?.clientResults.map((c) => `${c.closedByServer ?? '-'} ${c.closeReason ?? ''}`.trim())
        .join(', '),
      generatorReasons: record.generator.reasons.join('; '),
      serverLoopDelayBaselineMaxMs: worst(loopBase, 'maxMs'),
      serverLoopDelayReplayMaxMs: worst(loopReplay, 'maxMs'),
      serverLoopDelayReplayP99Ms: worst(loopReplay, 'p99Ms'),
    };
    samples.push(s);
    log(
      `round ${round} (load ${s.load}): fast p99 baseline ${s.baselineP99Ms.toFixed(2)} ms, during replay ${s.duringP99Ms.toFixed(2)} ms` +
        ` (${s.ratio.toFixed(2)}×), stress ${s.stressP99Ms.toFixed(2)} ms; replay ${Math.round(s.replayPerSec)} events/s,` +
        ` live after ${s.timeToLiveS.toFixed(2)} s; missing fast ${s.fastMissing} replay ${s.replayMissing};` +
        ` server loop delay max: baseline ${s.serverLoopDelayBaselineMaxMs.toFixed(1)} ms, replay ${s.serverLoopDelayReplayMaxMs.toFixed(1)} ms;` +
        ` generator bound ${s.generatorBound}, replay thread bound ${s.replayBound}; replay client close: ${s.replayClose}` +
        (s.generatorReasons ? `; generator: ${s.generatorReasons}` : ''),
    );
  }
  for (let round = 1; round <= Number(values['lean-rounds']); round++) {
    const r = await leanReplay(server.url, server.pid);
    log(
      `lean round ${round} (load ${load()}): replay ${Math.round(r.replayPerSec)} events/s, server CPU ${r.serverCpuUsPerEvent.toFixed(2)} µs per replayed event`,
    );
  }
} finally {
  await server.stop(10_000);
}
const stat = (k) => {
  const v = samples.map((s) => s[k]).sort((a, b) => a - b);
  const mid = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return [v[0], mid, v[v.length - 1]];
};
const fmt = (xs, d) => xs.map((x) => x.toFixed(d)).join(' / ');
if (samples.length > 0) {
  log(`\nmin / median / max over ${samples.length} rounds (load average now: ${load()})`);
  log(`  fast p99 baseline (ms)       ${fmt(stat('baselineP99Ms'), 2)}`);
  log(`  fast p99 during replay (ms)  ${fmt(stat('duringP99Ms'), 2)}`);
  log(`  ratio                        ${fmt(stat('ratio'), 2)}`);
  log(`  replay rate (events/s)       ${fmt(stat('replayPerSec'), 0)}`);
  log(`  time to live (s)             ${fmt(stat('timeToLiveS'), 2)}`);
}
if (values.json) process.stdout.write(`${JSON.stringify(samples, null, 2)}\n`);
