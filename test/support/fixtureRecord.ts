// A deterministic run record for report tests: seeded samples, real encoded HDR histograms, the real
// HOL analysis and threshold evaluator. Samples can be combined, so a record built from two shards'
// samples is what `evbench merge` of the two shard records must equal.
import { createHistogram, decodeHistogram, encodeHistogram, recordUs, summarize, type Histogram } from '../../src/measurement/histogram.js';
import { zeroCounters } from '../../src/measurement/recorder.js';
import type { GroupResult, IntervalRecord, PhaseCounters, RunRecord } from '../../src/record/schema.js';
import type { Scenario } from '../../src/scenario/types.js';
import { finalizeRecord } from '../../src/verdict/finalize.js';

/** mulberry32: a tiny seeded PRNG, so fixtures are identical on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PHASES = [
  { name: 'warmup', role: 'warmup' as const, durationUs: 1_000_000 },
  { name: 'baseline', role: 'baseline' as const, durationUs: 2_000_000 },
  { name: 'stress', role: 'stress' as const, durationUs: 3_000_000 },
];
const STARTS = [0, 1_000_000, 3_000_000];

export interface PhaseSamples {
  clients: number;
  latency: number[];
  /** Arrival time (µs since t0) of latency[i], NaN for a missing event; for the intervals. */
  arrivals: number[];
  /** Connect times of the clients that joined in this phase. */
  connect: number[];
  counters: PhaseCounters;
}

export interface Samples {
  groups: { name: string; kind: 'fast' | 'slow'; behaviour?: 'stall'; clients: number; phases: Record<string, PhaseSamples> }[];
}

export const FIXTURE_THRESHOLDS: Record<string, string[]> = {
  'latency{group:fast,phase:stress}': ['p(99)<100ms', 'p(50)<1ms'],
  'missing{group:fast}': ['count==0'],
  hol: ['index<3'],
  generator: ['bound==false'],
};

export function fixtureScenario(): Scenario {
  return {
    name: 'fixture',
    description: 'A fixed record for report tests: four fast clients, one stalled client in stress.',
    source: 'test/support/fixtureRecord.ts',
    target: { kind: 'embedded', mode: 'legacy', queueBytes: 1_048_576, overflow: 'close', logSize: 1_000_000, users: 0, groupsPerUser: 1 },
    publisher: { rate: 200, payloadBytes: 256, mix: [{ eventType: 'update', weight: 1, owner: 'public' }], prefill: 0 },
    groups: [
      { name: 'fast', kind: 'fast', count: 4, phases: ['warmup', 'baseline', 'stress'], eventTypes: [] },
      { name: 'stalled', kind: 'slow', count: 1, phases: ['stress'], eventTypes: [], behaviour: 'stall' },
    ],
    phases: PHASES,
    hol: { indexLimit: 3, minDeltaUs: 5000, minDeliveryRatio: 0.9, maxStallUs: 1_000_000, sustainUs: 3_000_000 },
    thresholds: FIXTURE_THRESHOLDS,
    outputs: { dir: 'reports' },
    graceUs: 1_000_000,
    variants: [],
  };
}

/** Samples for `fastClients` fast clients and one stalled client, from a seed. */
export function generateSamples(seed: number, fastClients = 2): Samples {
  const r = rng(seed);
  const phase = (
    clients: number,
    n: number,
    startUs: number,
    durationUs: number,
    draw: () => number,
    missing: number,
    stall: number,
    joins = 0,
  ): PhaseSamples => {
    const counters = zeroCounters();
    const latency: number[] = [];
    const arrivals: number[] = [];
    for (let i = 0; i < n; i++) {
      latency.push(Math.floor(draw()));
      arrivals.push(startUs + Math.floor((i / n) * durationUs));
    }
    // missing events are recorded at their lower bound, like the runner does
    for (let i = 0; i < missing; i++) {
      latency.push(Math.floor(durationUs * (0.2 + 0.8 * r())));
      arrivals.push(NaN); // never arrived
    }
    counters.delivered = n;
    counters.arrived = n;
    counters.missing = missing;
    counters.maxStallUs = stall;
    const connect = Array.from({ length: joins }, () => 900 + Math.floor(800 * r()));
    return { clients, latency, arrivals, connect, counters };
  };
  // latency shapes: a fast body with a tail, a slower one in stress (head-of-line blocking)
  const base = (): number => 400 + 1500 * r() ** 3 + (r() < 0.01 ? 20_000 * r() : 0);
  const stressed = (): number => 600 + 4000 * r() ** 2 + (r() < 0.05 ? 60_000 * r() : 0);
  const perClient = 200; // events per second per client
  return {
    groups: [
      {
        name: 'fast',
        kind: 'fast',
        clients: fastClients,
        phases: {
          warmup: phase(fastClients, perClient * fastClients, 0, 1_000_000, base, 0, 30_000 + Math.floor(5000 * r()), fastClients),
          baseline: phase(fastClients, 2 * perClient * fastClients, 1_000_000, 2_000_000, base, 0, 25_000 + Math.floor(5000 * r())),
          stress: phase(fastClients, 3 * perClient * fastClients - 3, 3_000_000, 3_000_000, stressed, 3, 90_000 + Math.floor(50_000 * r())),
        },
      },
      {
        name: 'stalled',
        kind: 'slow',
        behaviour: 'stall',
        clients: 1,
        phases: { stress: phase(1, 5, 3_000_000, 3_000_000, () => 2_000 + 1_000 * r(), 3 * perClient - 5, 2_900_000, 1) },
      },
    ],
  };
}

/** Two shards' samples as one run's: values concatenated, counters summed (max for stalls). */
export function combineSamples(a: Samples, b: Samples): Samples {
  return {
    groups: a.groups.map((g, gi) => {
      const h = b.groups[gi]!;
      const phases: Record<string, PhaseSamples> = {};
      for (const name of Object.keys(g.phases)) {
        const x = g.phases[name]!;
        const y = h.phases[name]!;
        const counters = zeroCounters();
        for (const k of Object.keys(counters) as (keyof PhaseCounters)[])
          counters[k] = k === 'maxStallUs' ? Math.max(x.counters[k], y.counters[k]) : x.counters[k] + y.counters[k];
        phases[name] = {
          clients: x.clients + y.clients,
          latency: [...x.latency, ...y.latency],
          arrivals: [...x.arrivals, ...y.arrivals],
          connect: [...x.connect, ...y.connect],
          counters,
        };
      }
      return { ...g, clients: g.clients + h.clients, phases };
    }),
  };
}

/** As the runner sees them: recorded in a worker, encoded, decoded in the main thread. */
const histogramOf = (values: number[]): Histogram => {
  const h = createHistogram();
  for (const v of values) recordUs(h, v);
  return decodeHistogram(encodeHistogram(h));
};

export function recordFromSamples(samples: Samples, opts: { shard?: { index: number; count: number } } = {}): RunRecord {
  const spec = fixtureScenario();
  const groups: GroupResult[] = samples.groups.map((g) => {
    const phases: GroupResult['phases'] = {};
    for (const ph of PHASES) {
      const s = g.phases[ph.name];
      const h = histogramOf(s?.latency ?? []);
      const connect = histogramOf(s?.connect ?? []);
      const counters = s?.counters ?? zeroCounters();
      const clients = s?.clients ?? 0;
      phases[ph.name] = {
        clients,
        ...counters,
        latencyUs: summarize(h),
        uncorrectedUs: summarize(h),
        connectUs: summarize(connect),
        ackUs: summarize(connect),
        deliveredPerClientPerSec: clients > 0 ? Math.round((counters.arrived / clients / (ph.durationUs / 1e6)) * 10) / 10 : 0,
        histogram: encodeHistogram(h),
        uncorrectedHistogram: encodeHistogram(h),
        connectHistogram: encodeHistogram(connect),
        ackHistogram: encodeHistogram(connect),
      };
    }
    const clientResults = Array.from({ length: g.clients }, (_, id) => ({
      id,
      delivered: 0,
      missing: 0,
      duplicates: 0,
      outOfOrder: 0,
      lateArrivals: 0,
      maxStallUs: 0,
      connectUs: 1200,
      ackUs: 300,
      closedByServer: null,
    }));
    return { name: g.name, kind: g.kind, ...(g.behaviour ? { behaviour: g.behaviour } : {}), clients: g.clients, phases, clientResults };
  });
  const intervals: IntervalRecord[] = [];
  for (let sec = 0; sec < 6; sec++) {
    for (const g of samples.groups) {
      const values: number[] = [];
      for (const s of Object.values(g.phases))
        s.arrivals.forEach((at, i) => at >= sec * 1e6 && at < (sec + 1) * 1e6 && values.push(s.latency[i]!));
      const h = histogramOf(values);
      const sum = summarize(h);
      intervals.push({
        group: g.name,
        startUs: sec * 1_000_000,
        delivered: values.length,
        missing: 0,
        arrived: values.length,
        maxStallUs: sum.max,
        p50Us: sum.p50,
        p99Us: sum.p99,
        maxUs: sum.max,
        histogram: values.length ? encodeHistogram(h) : '',
      });
    }
  }
  const record: RunRecord = {
    schemaVersion: 1,
    tool: { name: 'evbench', version: '0.1.0' },
    scenario: { name: spec.name, source: spec.source, description: spec.description, spec },
    target: { kind: 'embedded', url: 'ws://127.0.0.1:40000/websocket', mode: 'legacy', adapter: 'evbench' },
    startedAt: '2026-01-02T03:04:05.000Z',
    t0Us: 1_767_323_046_000_000,
    durationUs: 6_000_000,
    partial: false,
    invalid: false,
    workers: 2,
    ...(opts.shard ? { shard: opts.shard } : {}),
    phases: PHASES.map((p, i) => ({ name: p.name, role: p.role, startUs: STARTS[i]!, durationUs: p.durationUs })),
    groups,
    intervals,
    generator: {
      cpuPercent: 41.5,
      cores: 4,
      eventLoopDelayP99Us: 2100,
      eventLoopUtilization: 0.21,
      publisher: { sent: 1200, latenessP99Us: 850, latenessMaxUs: 4200, lateEvents: 2, prefilled: 0 },
      bound: false,
      reasons: [],
      replayBound: false,
    },
    hol: { verdict: 'unknown', index: null, p50Index: null, stallIndex: null, deliveryRatio: null, evidence: [], summary: '' },
    server: {
      source: 'http://127.0.0.1:40000/metrics',
      // a legacy server whose stalled reader's send was still in flight at the end of stress
      sendDurationUs: { count: 7001, p50: 250, p99: 100_000, max: 2_950_000, inFlight: 0 },
      slowClientCloses: 0,
      gaps: 0,
      eventsIn: 1200,
      eventsOut: 7000,
      replayedEvents: 0,
      mode: 'legacy',
      sendOutcomes: { written: 7000, failed: 1, abandoned: 0 },
      sendsInFlight: 0,
      oldestInFlightUs: 0,
      sessionQueueAgeMaxUs: 0,
      dispatchQueueAgeUs: 0,
      queueBudgetBytes: 1_048_576,
      phases: [
        {
          phase: 'warmup',
          atUs: 950_000,
          sendDurationUs: { count: 1600, p50: 250, p99: 1000, max: 900, inFlight: 0 },
          sendsInFlight: 0,
          oldestInFlightUs: 0,
          sessionQueueAgeMaxUs: 0,
          dispatchQueueAgeUs: 0,
          slowClientCloses: 0,
        },
        {
          phase: 'baseline',
          atUs: 2_950_000,
          sendDurationUs: { count: 3200, p50: 250, p99: 1000, max: 1_200, inFlight: 0 },
          sendsInFlight: 0,
          oldestInFlightUs: 0,
          sessionQueueAgeMaxUs: 0,
          dispatchQueueAgeUs: 0,
          slowClientCloses: 0,
        },
        {
          phase: 'stress',
          atUs: 5_950_000,
          sendDurationUs: { count: 2201, p50: 250, p99: 100_000, max: 2_900_000, inFlight: 1 },
          sendsInFlight: 1,
          oldestInFlightUs: 2_900_000,
          sessionQueueAgeMaxUs: 2_900_000,
          dispatchQueueAgeUs: 2_900_000,
          slowClientCloses: 0,
        },
      ],
    },
    thresholds: [],
    warnings: [],
  };
  return finalizeRecord(record, spec);
}

/** The fixed record the golden files are rendered from. */
export function fixtureRecord(): RunRecord {
  return recordFromSamples(combineSamples(generateSamples(1), generateSamples(2)));
}
