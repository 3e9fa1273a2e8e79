// fan-out: deliveries/s at saturation and p99 at a fixed load (100 clients, 200-byte events) for
// `evbench serve` isolated vs a plain `ws` broadcast loop and a Go gorilla/websocket server.
// Saturation uses lean counting subscribers (leanLoad.ts); the fixed-load p99 uses the runner itself
// (runScenario, full accounting), so the same evbench clients measure every contender.
import { runScenario } from '../runner/run.js';
import { buildGoServer, PUBLISHER_TOKEN, startEvbench, startGoServer, startPlainWs, type ServerProcess } from './contenders.js';
import { drive, startFleet } from './leanLoad.js';
import { cpuUs } from './procStats.js';
import { alternate, ratio, type BenchContext, type BenchResult, type RoundContender, type Sample } from './rounds.js';
import { phaseOf, urlScenario } from './scenario.js';

const CLIENTS = 100;
const PAYLOAD = 200;

export async function benchFanout(ctx: BenchContext): Promise<BenchResult> {
  const fixedRate = ctx.quick ? 200 : 300;
  const measureMs = ctx.quick ? 1000 : 3000;
  const clients = ctx.quick ? 20 : CLIENTS;
  const notes: string[] = [];
  const go = buildGoServer();
  if (go.skipped) {
    notes.push(go.skipped);
    ctx.log(`fan-out: ${go.skipped}`);
  }
  const servers: ServerProcess[] = [];
  try {
    servers.push(await startEvbench('evbench isolated', ['--mode', 'isolated']));
    servers.push(await startPlainWs());
    if (go.binary) servers.push(await startGoServer(go.binary));
    const contenders: RoundContender[] = servers.map((server) => ({
      name: server.name,
      measure: (round) => measureOne(server, round, { clients, fixedRate, measureMs, quick: ctx.quick, log: ctx.log }),
    }));
    if (go.skipped) contenders.push({ name: 'go gorilla', measure: async () => ({}), skipped: go.skipped });
    const results = await alternate(contenders, ctx.rounds, ctx.log);
    const m = (name: string, metric: string): number => results.find((r) => r.name === name)?.median[metric] ?? NaN;
    return {
      name: 'fanout',
      what: `deliveries/s at saturation to ${clients} clients (${PAYLOAD}-byte payloads), and p99 with full accounting at ${fixedRate} events/s × ${clients} clients`,
      contenders: results,
      ratios: {
        'isolated ÷ plain ws, deliveries/s': ratio(m('evbench isolated', 'deliveriesPerSec'), m('plain ws', 'deliveriesPerSec')),
        'isolated ÷ go gorilla, deliveries/s': ratio(m('evbench isolated', 'deliveriesPerSec'), m('go gorilla', 'deliveriesPerSec')),
        'isolated ÷ plain ws, p99 at fixed load': ratio(m('evbench isolated', 'fixedP99Ms'), m('plain ws', 'fixedP99Ms')),
        'isolated ÷ go gorilla, p99 at fixed load': ratio(m('evbench isolated', 'fixedP99Ms'), m('go gorilla', 'fixedP99Ms')),
      },
      params: {
        clients,
        payloadBytes: PAYLOAD,
        fixedRateEventsPerSec: fixedRate,
        measureMs,
        batch: 100,
        windowPerClient: 2000,
        subscriberThreads: 2,
      },
      notes,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function measureOne(
  server: ServerProcess,
  round: number,
  o: { clients: number; fixedRate: number; measureMs: number; quick: boolean; log: (line: string) => void },
): Promise<Sample> {
  if (server.exited()) throw new Error(`${server.name} exited during the benchmark`);
  // saturation: lean counting subscribers, windowed publisher
  const fleet = await startFleet(server.url, new Array<undefined>(o.clients).fill(undefined), 2);
  let cpu0 = 0;
  let cpu1 = 0;
  let sat;
  try {
    sat = await drive(server.url, PUBLISHER_TOKEN, fleet, {
      payloadBytes: PAYLOAD,
      batch: 100,
      // ~2,000 × 450 B frames nearly fill a 1 MiB session budget: on a busy machine (the smoke test
      // runs beside everything else) a reader that falls behind is closed as slow, so quick rounds keep half
      windowPerClient: o.quick ? 1000 : 2000,
      warmupMs: o.quick ? 300 : 1000,
      measureMs: o.measureMs,
      onMeasureStart: () => (cpu0 = cpuUs(server.pid)),
      onMeasureEnd: () => (cpu1 = cpuUs(server.pid)),
    });
  } finally {
    await fleet.stop();
  }
  // fixed load: the runner, with full accounting
  const seconds = o.quick ? 1 : 2;
  const scenario = urlScenario({
    name: `fanout-${server.name.replace(/\s+/g, '-')}-r${round}`,
    url: server.url,
    rate: o.fixedRate,
    payloadBytes: PAYLOAD,
    groups: [{ name: 'fast', kind: 'fast', count: o.clients }],
    phases: [
      { name: 'warmup', duration: `${seconds}s` },
      { name: 'baseline', duration: `${seconds * 2}s` },
      { name: 'stress', duration: '1s' }, // the validator wants one; nothing changes in it
    ],
  });
  const record = await runScenario(scenario, { workers: 2 });
  const fast = phaseOf(record, 'fast', 'baseline');
  return {
    deliveriesPerSec: sat.deliveriesPerSec,
    serverCpuPct: ((cpu1 - cpu0) / (sat.seconds * 1e6)) * 100,
    closedBySlowness: sat.closedByServer,
    fixedP99Ms: fast.latencyUs.p99 / 1000,
    fixedP50Ms: fast.latencyUs.p50 / 1000,
    fixedMissing: fast.missing,
    fixedGeneratorBound: record.generator.bound ? 1 : 0,
  };
}
