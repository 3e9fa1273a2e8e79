// Run records made to order for the verdict's unit tests: the fast group's latency per second of
// baseline and stress (each second's histogram also feeds its phase), counters and client results
// as a test sets them. Everything else is a healthy run.
import { createHistogram, encodeHistogram, recordUs, summarize } from '../../src/measurement/histogram.js';
import { zeroCounters } from '../../src/measurement/recorder.js';
import type { ClientRecord, GroupResult, IntervalRecord, PhaseCounters, PhaseResult, RunRecord } from '../../src/record/schema.js';
import type { HolRules } from '../../src/scenario/types.js';
import type { PushbackRecord } from '../../src/record/schema.js';
import { encodeTicks, TICK_US } from '../../src/util/ticksCodec.js';

export const RULES: HolRules = { indexLimit: 3, minDeltaUs: 5_000, minDeliveryRatio: 0.9, maxStallUs: 1_000_000, sustainUs: 3_000_000 };

export interface VerdictSpec {
  /** Per second of baseline, the latencies (µs) the fast group recorded. */
  baseline: number[][];
  stress: number[][];
  fastClients?: number;
  /** Overrides of the fast group's counters per phase. */
  baseCounters?: Partial<PhaseCounters>;
  stressCounters?: Partial<PhaseCounters>;
  clientResults?: Partial<ClientRecord>[];
  /** Add a stalled slow group to stress (default true); false: no slow clients at all. */
  slowInStress?: boolean;
  /** The stalled client's backpressure (default: it pushed back half a second into stress, the server's queue seen full). */
  pushback?: PushbackRecord | null;
  /** The fast group's shared age (µs) at each 10 ms tick, from its time since t0 (absent: no age series in the record). */
  ages?: (sinceT0Us: number) => number;
  /** The generator's lateness at each tick (absent: none recorded). */
  lag?: (sinceT0Us: number) => number;
  /** A stream the server emits on its own (publish: server). */
  emitted?: boolean;
}

/** A series of ticks from a function of time since t0, encoded as a record carries it. */
export function tickSeries(durationUs: number, f: (sinceT0Us: number) => number): string {
  const n = Math.ceil(durationUs / TICK_US);
  const v = new Uint32Array(n);
  for (let j = 0; j < n; j++) v[j] = Math.max(0, Math.round(f(j * TICK_US)));
  return encodeTicks(v);
}

/** `n` samples around `us` (±10%, deterministic). */
export function second(us: number, n = 200): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(us * (0.9 + (0.2 * i) / n)));
}

function phase(seconds: number[][], clients: number, over: Partial<PhaseCounters>): PhaseResult {
  const h = createHistogram();
  let count = 0;
  for (const s of seconds)
    for (const v of s) {
      recordUs(h, v);
      count++;
    }
  const counters = { ...zeroCounters(), delivered: count, arrived: count, maxStallUs: h.totalCount ? h.maxValue : 0, ...over };
  const s = summarize(h);
  const enc = encodeHistogram(h);
  const empty = encodeHistogram(createHistogram());
  return {
    ...counters,
    clients,
    latencyUs: s,
    uncorrectedUs: s,
    connectUs: summarize(createHistogram()),
    ackUs: summarize(createHistogram()),
    deliveredPerClientPerSec: 0,
    histogram: enc,
    uncorrectedHistogram: enc,
    connectHistogram: empty,
    ackHistogram: empty,
  };
}

export function verdictRecord(spec: VerdictSpec): RunRecord {
  const clients = spec.fastClients ?? 10;
  const bDur = spec.baseline.length * 1_000_000;
  const sDur = spec.stress.length * 1_000_000;
  const intervals: IntervalRecord[] = [];
  [...spec.baseline, ...spec.stress].forEach((values, i) => {
    const h = createHistogram();
    for (const v of values) recordUs(h, v);
    const s = summarize(h);
    intervals.push({
      group: 'fast',
      startUs: 1_000_000 + i * 1_000_000,
      delivered: values.length,
      missing: 0,
      arrived: values.length,
      maxStallUs: s.max,
      p50Us: s.p50,
      p99Us: s.p99,
      maxUs: s.max,
      histogram: values.length ? encodeHistogram(h) : '',
    });
  });
  const clientResults: ClientRecord[] = Array.from({ length: clients }, (_, id) => ({
    id,
    delivered: 0,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    lateArrivals: 0,
    maxStallUs: 0,
    connectUs: 1000,
    ackUs: 200,
    closedByServer: null,
    ...(spec.clientResults?.[id] ?? {}),
  }));
  const groups: GroupResult[] = [
    {
      name: 'fast',
      kind: 'fast',
      clients,
      phases: {
        warmup: phase([], clients, {}),
        baseline: phase(spec.baseline, clients, spec.baseCounters ?? {}),
        stress: phase(spec.stress, clients, spec.stressCounters ?? {}),
      },
      clientResults,
    },
  ];
  const durationUs = 1_000_000 + bDur + sDur;
  if (spec.ages)
    groups[0]!.ages = { tickUs: TICK_US, clients, together: tickSeries(durationUs, spec.ages), any: tickSeries(durationUs, spec.ages) };
  if (spec.slowInStress !== false) {
    const pushback: PushbackRecord | undefined =
      spec.pushback === null
        ? undefined
        : (spec.pushback ?? {
            reachedAtUs: 1_000_000 + bDur + 500_000,
            how: 'server-queue',
            owedBytes: 8 << 20,
            rxMaxBytes: 1 << 20,
            serverTxMaxBytes: 2 << 20,
            heldMaxBytes: 5 << 20,
          });
    groups.push({
      name: 'stalled',
      kind: 'slow',
      behaviour: 'stall',
      clients: 1,
      phases: { warmup: phase([], 0, {}), baseline: phase([], 0, {}), stress: phase([[5_000_000]], 1, { missing: 100 }) },
      clientResults: [
        {
          id: clients,
          delivered: 0,
          missing: 100,
          duplicates: 0,
          outOfOrder: 0,
          lateArrivals: 0,
          maxStallUs: 5_000_000,
          connectUs: 1000,
          ackUs: 200,
          closedByServer: null,
          ...(pushback ? { pushback } : {}),
        },
      ],
    });
  }
  return {
    schemaVersion: 1,
    tool: { name: 'evbench', version: 'test' },
    scenario: {
      name: 'verdict',
      source: 'test',
      description: '',
      spec: (spec.emitted ? { target: { kind: 'url', generic: { publish: { kind: 'server' } } } } : {}) as RunRecord['scenario']['spec'],
    },
    target: { kind: 'embedded', url: 'ws://127.0.0.1:1/websocket', mode: 'isolated', adapter: 'evbench' },
    startedAt: '2026-01-01T00:00:00.000Z',
    t0Us: 1_800_000_000_000_000,
    durationUs,
    partial: false,
    invalid: false,
    workers: 1,
    phases: [
      { name: 'warmup', role: 'warmup', startUs: 0, durationUs: 1_000_000 },
      { name: 'baseline', role: 'baseline', startUs: 1_000_000, durationUs: bDur },
      { name: 'stress', role: 'stress', startUs: 1_000_000 + bDur, durationUs: sDur },
    ],
    groups,
    intervals,
    generator: {
      cpuPercent: 20,
      cores: 2,
      eventLoopDelayP99Us: 1_000,
      eventLoopUtilization: 0.2,
      publisher: { sent: 1000, latenessP99Us: 100, latenessMaxUs: 200, lateEvents: 0, prefilled: 0 },
      bound: false,
      reasons: [],
      replayBound: false,
      // a run that records ages records the generator's lateness beside them (on time unless `lag` says)
      ...(spec.lag || spec.ages ? { lagTicks: tickSeries(durationUs, spec.lag ?? (() => 0)) } : {}),
    },
    hol: { verdict: 'unknown', index: null, p50Index: null, stallIndex: null, deliveryRatio: null, evidence: [], summary: '' },
    thresholds: [],
    warnings: [],
  };
}

/** Eight seconds of a healthy baseline at ~`us`. */
export const steady = (us: number, seconds = 8): number[][] => Array.from({ length: seconds }, () => second(us));
