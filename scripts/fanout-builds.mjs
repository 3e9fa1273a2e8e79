#!/usr/bin/env node
// @ts-check
// Fan-out saturation of two (or more) builds of `evbench serve` side by side, with the batched write
// limit in the same rounds: what `npm run bench -- --only fanout` measures at saturation (the C
// subscribers, 100 clients, batches of 100 events of 200 B, 1 s warm-up), for builds of different
// commits (build the old one in a second worktree: `git worktree add --detach ../old COMMIT && cd ../old
// && npx tsc -p tsconfig.json`). Pinned: servers on one core under node --single-threaded-gc, the load on
// the other; contenders alternate each round. Prints each contender's rounds and median, deliveries per
// server CPU-second (the limit's: per CPU-second of its writer), and each build ÷ the limit round by
// round, both per wall second and per CPU-second (the load-tolerant reading on a busy machine).
//   npm run build && npm run build:bench && node scripts/fanout-builds.mjs OLD/dist NEW/dist [ROUNDS=3] [MEASURE_MS=3000]
// SERVE_NODE_FLAGS adds node flags to every server (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const benchDist = (p) => import(pathToFileURL(join(root, 'dist-bench', 'bench', p)).href);
const { applyPinning, describePinning, planPinning, releasePinning, pinServer } = await benchDist('pinning.js');
const { buildCSubscribers, startCFleet } = await benchDist('cSubscribers.js');
const { drive } = await benchDist('leanLoad.js');
const { cpuUs } = await benchDist('procStats.js');
const { PUBLISHER_TOKEN } = await benchDist('contenders.js');
const { buildLimit, measureLimit, eventFrameBytes } = await benchDist('limit.js');
const { spawnListening } = await dist('util/spawnServe.js');

const builds = process.argv.slice(2).filter((a) => !/^\d+$/.test(a));
const [rounds = 3, measureMs = 3000] = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);
if (builds.length === 0) throw new Error('usage: node scripts/fanout-builds.mjs DIST [DIST…] [ROUNDS] [MEASURE_MS]');
const say = (line) => process.stderr.write(`${line}\n`);
const TOKEN = PUBLISHER_TOKEN; // eventFrameBytes publishes with it
const LIMIT = 'limit: 100 frames per write';

const subscribers = buildCSubscribers();
const limit = buildLimit();
if (!subscribers.binary || !limit.binary) throw new Error(subscribers.skipped ?? limit.skipped);
const pinning = planPinning(false);
applyPinning(pinning);
say(describePinning(pinning));

/** One saturation round against the build in `distDir`. */
async function measureBuild(distDir) {
  const serve = await spawnListening(
    process.execPath,
    [
      '--single-threaded-gc',
      ...(process.env.SERVE_NODE_FLAGS ?? '').split(' ').filter(Boolean),
      join(resolve(distDir), 'cli', 'main.js'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--json',
      '--publisher-token',
      TOKEN,
    ],
    { name: distDir },
  );
  try {
    pinServer(serve.pid);
    const fleet = await startCFleet(subscribers.binary, serve.url, 100);
    let cpu0 = 0;
    let cpu1 = 0;
    try {
      const d = await drive(serve.url, TOKEN, fleet, {
        payloadBytes: 200,
        batch: 100,
        windowPerClient: 2000,
        warmupMs: 1000,
        measureMs,
        onMeasureStart: () => (cpu0 = cpuUs(serve.pid)),
        onMeasureEnd: () => (cpu1 = cpuUs(serve.pid)),
      });
      const cpuShare = (cpu1 - cpu0) / (d.seconds * 1e6);
      return {
        dps: d.deliveriesPerSec,
        cpuPct: cpuShare * 100,
        perCpuSecond: d.deliveriesPerSec / cpuShare,
        closed: d.closedByServer,
        frameBytes: await eventFrameBytes(serve.url, 200),
      };
    } finally {
      await fleet.stop();
    }
  } finally {
    await serve.stop(3000);
  }
}

/** One round of the batched limit, with its writer's share of its core. */
async function measureLimitRound() {
  const l = await measureLimit(limit.binary, { clients: 100, frameBytes, batch: 100, warmupMs: 1000, measureMs });
  const cpuShare = l.serverCpuPct / 100;
  return { dps: l.deliveriesPerSec, cpuPct: l.serverCpuPct, perCpuSecond: l.deliveriesPerSec / cpuShare };
}

const names = [...builds, LIMIT];
/** @type {Record<string, any[]>} */
const results = Object.fromEntries(names.map((n) => [n, []]));
let frameBytes = 426;
try {
  for (let r = 0; r < rounds; r++) {
    for (const name of names.map((_, i) => names[(i + r) % names.length])) {
      const x = name === LIMIT ? await measureLimitRound() : await measureBuild(name);
      if (x.frameBytes) frameBytes = x.frameBytes;
      results[name].push(x);
      say(
        `round ${r + 1} ${name}: ${Math.round(x.dps).toLocaleString('en-US')} deliveries/s, ${name === LIMIT ? 'writer' : 'server'} CPU ${x.cpuPct.toFixed(0)}%${name === LIMIT ? '' : `, ${x.closed} closed`}`,
      );
    }
  }
} finally {
  releasePinning();
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const n of names) {
  const xs = results[n];
  const per = `; per ${n === LIMIT ? 'writer' : 'server'} CPU-second median ${Math.round(median(xs.map((x) => x.perCpuSecond))).toLocaleString('en-US')}`;
  say(
    `${n}: median ${Math.round(median(xs.map((x) => x.dps))).toLocaleString('en-US')} deliveries/s (rounds ${xs.map((x) => Math.round(x.dps)).join(' ')})${per}`,
  );
}
for (const b of builds) {
  const fractions = results[b].map((x, i) => x.dps / results[LIMIT][i].dps);
  say(`${b} ÷ limit, round by round: ${fractions.map((f) => f.toFixed(3)).join(' ')} (median ${median(fractions).toFixed(3)})`);
  // per CPU-second of each: what each delivers for the CPU it got, so a round where one got less of its core still compares
  const perCpu = results[b].map((x, i) => x.perCpuSecond / results[LIMIT][i].perCpuSecond);
  say(`${b} ÷ limit per CPU-second, round by round: ${perCpu.map((f) => f.toFixed(3)).join(' ')} (median ${median(perCpu).toFixed(3)})`);
}
process.stdout.write(`${JSON.stringify(results)}\n`);
