// generator: the most deliveries/s the runner records with full accounting (every id checked,
// latency into HDR histograms) before it marks itself generator-bound, with 1 and with 2 client
// worker threads. The rate ramps up step by step against `evbench serve` isolated; a step counts
// only if the generator was healthy and nothing went missing (so the server kept up). Pinned, the
// generator has one core: only 1 worker is measured (a second thread would share that core), and
// the server has the other.
import { runScenario } from '../src/runner/run.js';
import { startEvbench, type ServerProcess } from './contenders.js';
import { cpuUs, ioCalls } from './procStats.js';
import { alternate, ratio, target, type BenchContext, type BenchResult, type Sample } from './rounds.js';
import { fastLoadScenario, phaseOf } from './scenario.js';

const CLIENTS = 100;

interface Step {
  rate: number;
  accountedPerSec: number;
  bound: boolean;
  reasons: string[];
  missing: number;
  serverCpuPct: number;
  /** Frames the runner read per read system call (all its threads' reads: the publisher's acks are ~1%). */
  framesPerRead: number;
}

async function step(server: ServerProcess, workers: number, rate: number, quick: boolean): Promise<Step> {
  const baselineS = quick ? 1 : 3;
  const scenario = fastLoadScenario({
    name: `generator-w${workers}-${rate}`,
    url: server.url,
    clients: quick ? 20 : CLIENTS,
    rate,
    warmupS: 1,
    baselineS,
  });
  let cpuAtT0 = NaN;
  let cpuAtEnd = NaN;
  let readsAtT0 = NaN;
  let readsAtEnd = NaN;
  const record = await runScenario(scenario, {
    workers,
    onProgress: (p) => {
      if (p.phase === 'baseline' && Number.isNaN(cpuAtT0)) {
        cpuAtT0 = cpuUs(server.pid);
        readsAtT0 = ioCalls(process.pid).reads;
      }
      if (p.phase === 'stress' && Number.isNaN(cpuAtEnd)) {
        cpuAtEnd = cpuUs(server.pid);
        readsAtEnd = ioCalls(process.pid).reads;
      }
    },
  });
  const fast = phaseOf(record, 'fast', 'baseline');
  const reads = readsAtEnd - readsAtT0;
  return {
    rate,
    accountedPerSec: fast.arrived / baselineS,
    bound: record.generator.bound,
    reasons: record.generator.reasons,
    missing: fast.missing,
    serverCpuPct: ((cpuAtEnd - cpuAtT0) / (baselineS * 1e6)) * 100,
    framesPerRead: reads > 0 ? fast.arrived / reads : NaN,
  };
}

/** Ramps the event rate ×1.25 per step until the generator is bound or events go missing. */
const RAMP = 1.25;
const START_PER_WORKER = 1000;
async function ramp(server: ServerProcess, workers: number, ctx: BenchContext): Promise<Sample> {
  const clients = ctx.quick ? 20 : CLIENTS;
  // from 100,000 deliveries/s per worker: the steps below it told nothing in earlier runs
  let rate = ctx.quick ? 200 : START_PER_WORKER * workers;
  const maxSteps = ctx.quick ? 1 : 16;
  let best: Step | undefined;
  let stopper: Step | undefined;
  // a first step that already fails (a busy machine) halves the rate, up to 3 times, rather than
  // leaving the round without a figure
  let descents = ctx.quick ? 0 : 3;
  for (let i = 0; i < maxSteps; i++) {
    const s = await step(server, workers, Math.round(rate), ctx.quick);
    ctx.log(
      `    ${workers} worker(s), ${s.rate} events/s × ${clients}: ${Math.round(s.accountedPerSec)} accounted/s, ${s.framesPerRead.toFixed(1)} frames per read, server CPU ${Math.round(s.serverCpuPct)}%, missing ${s.missing}${s.bound ? `, bound: ${s.reasons.join('; ')}` : ''}`,
    );
    if (s.bound || s.missing > 0) {
      stopper = s;
      if (best === undefined && descents-- > 0) {
        rate /= 2;
        continue;
      }
      break;
    }
    best = s;
    rate *= RAMP;
  }
  return {
    accountedPerSec: best?.accountedPerSec ?? NaN,
    perWorkerPerSec: (best?.accountedPerSec ?? NaN) / workers,
    serverCpuPctAtBest: best?.serverCpuPct ?? NaN,
    framesPerReadAtBest: best?.framesPerRead ?? NaN,
    nextStepRate: stopper ? stopper.rate * clients : NaN,
    nextStepBound: stopper ? (stopper.bound ? 1 : 0) : 0,
    nextStepServerCpuPct: stopper?.serverCpuPct ?? NaN,
  };
}

export async function benchGenerator(ctx: BenchContext): Promise<BenchResult> {
  const server = await startEvbench('evbench isolated', ['--mode', 'isolated']);
  try {
    const results = await alternate(
      (ctx.pinned ? [1] : [1, 2]).map((workers) => ({
        name: `${workers} worker${workers > 1 ? 's' : ''}`,
        measure: () => ramp(server, workers, ctx),
      })),
      ctx.rounds,
      ctx.log,
    );
    const m = (name: string, k: string): number => results.find((r) => r.name === name)?.median[k] ?? NaN;
    const one = results.find((r) => r.name === '1 worker')!;
    return {
      name: 'generator',
      what: `highest accounted deliveries/s with the generator not bound and nothing missing (ramp ×${RAMP} from ${START_PER_WORKER} events/s per worker, ${ctx.quick ? 20 : CLIENTS} fast clients, 200-byte payloads)`,
      contenders: results,
      ratios: ctx.pinned ? {} : { '2 workers ÷ 1 worker': ratio(m('2 workers', 'accountedPerSec'), m('1 worker', 'accountedPerSec')) },
      targets: [
        target(
          'generator accounted deliveries/s per worker (not bound, nothing missing)',
          m('1 worker', 'perWorkerPerSec'),
          '>=',
          400_000,
          '/s',
          `rounds ${one.samples.map((s) => Math.round(s['perWorkerPerSec'] ?? NaN).toLocaleString('en-US')).join(' · ')}, at ${one.samples.map((s) => (s['framesPerReadAtBest'] ?? NaN).toFixed(1)).join(' · ')} frames per read; the limit lies below the next ramp step (×${RAMP})`,
        ),
      ],
      params: {
        clients: ctx.quick ? 20 : CLIENTS,
        payloadBytes: 200,
        step: '1s warmup + 3s baseline (measured) + 1s stress',
        startEventsPerSecPerWorker: START_PER_WORKER,
        rampFactor: RAMP,
      },
      notes: [
        'nextStep* describe the first step that failed: bound=1 means the generator marked itself bound; bound=0 means events went missing (the server or the machine could not keep up)',
        "framesPerRead: frames the runner took per read system call. A read costs the runner several µs whatever it holds (the kernel's receive path, epoll, node's callback), so the figure depends on how the server batches its writes: at one frame per read, reads, not frames, set the limit",
      ],
    };
  } finally {
    await server.stop();
  }
}
