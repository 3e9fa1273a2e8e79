// Builds run-record parts from parts measured apart (worker threads, shards): histograms added
// (never averaged), counters summed (max for maxima), summaries recomputed. Shared by the runner's
// assembly and `evbench merge`, so a merged record is built exactly like a single run's.
import { createHistogram, decodeHistogram, encodeHistogram, mergeEncoded, summarize } from './histogram.js';
import { addCounters, zeroCounters } from './recorder.js';
import type { GroupResult, IntervalRecord, PhaseCounters, PhaseResult } from '../record/schema.js';

export interface PhasePart {
  latency: string;
  uncorrected: string;
  connect: string;
  ack: string;
  counters: PhaseCounters;
}

/** Events a client received per second of its phase, to one decimal (0 for a phase without clients or time): the final and the live record's one formula. */
export function deliveredPerClientPerSec(arrived: number, clients: number, durationUs: number): number {
  return clients > 0 && durationUs > 0 ? Math.round((arrived / clients / (durationUs / 1e6)) * 10) / 10 : 0;
}

export function combinePhase(parts: PhasePart[], clients: number, durationUs: number): PhaseResult {
  const counters = zeroCounters();
  for (const p of parts) addCounters(counters, p.counters);
  const latency = mergeEncoded(parts.map((p) => p.latency));
  const uncorrected = mergeEncoded(parts.map((p) => p.uncorrected));
  const connect = mergeEncoded(parts.map((p) => p.connect));
  const ack = mergeEncoded(parts.map((p) => p.ack));
  return {
    clients,
    ...counters,
    latencyUs: summarize(latency),
    uncorrectedUs: summarize(uncorrected),
    connectUs: summarize(connect),
    ackUs: summarize(ack),
    deliveredPerClientPerSec: deliveredPerClientPerSec(counters.arrived, clients, durationUs),
    histogram: encodeHistogram(latency),
    uncorrectedHistogram: encodeHistogram(uncorrected),
    connectHistogram: encodeHistogram(connect),
    ackHistogram: encodeHistogram(ack),
  };
}

export interface IntervalPart {
  delivered: number;
  missing: number;
  arrived: number;
  maxStallUs: number;
  /** Encoded latency histogram ('' when nothing arrived). */
  histogram: string;
}

export function combineInterval(group: string, startUs: number, parts: IntervalPart[]): IntervalRecord {
  const h = createHistogram();
  for (const p of parts) if (p.histogram) h.add(decodeHistogram(p.histogram));
  const s = summarize(h);
  return {
    group,
    startUs,
    delivered: parts.reduce((a, p) => a + p.delivered, 0),
    missing: parts.reduce((a, p) => a + p.missing, 0),
    arrived: parts.reduce((a, p) => a + (p.arrived ?? 0), 0),
    maxStallUs: parts.reduce((a, p) => Math.max(a, p.maxStallUs ?? 0), 0),
    p50Us: s.p50,
    p99Us: s.p99,
    maxUs: s.max,
    histogram: h.totalCount ? encodeHistogram(h) : '',
  };
}

type ReplaySummary = NonNullable<GroupResult['replay']>;

/** Replay totals of a catch-up group: counts summed; the rate is the median client's, time-to-live the worst. */
export function combineReplays(parts: ReplaySummary[], clientRates: number[] = parts.map((r) => r.ratePerSec)): ReplaySummary | undefined {
  if (parts.length === 0) return undefined;
  const rates = (clientRates.length ? clientRates : parts.map((r) => r.ratePerSec)).slice().sort((a, b) => a - b);
  return {
    expected: parts.reduce((a, r) => a + r.expected, 0),
    received: parts.reduce((a, r) => a + r.received, 0),
    missing: parts.reduce((a, r) => a + r.missing, 0),
    duplicates: parts.reduce((a, r) => a + r.duplicates, 0),
    outOfOrder: parts.reduce((a, r) => a + r.outOfOrder, 0),
    ratePerSec: rates[Math.floor(rates.length / 2)]!,
    timeToLiveUsMax: parts.every((r) => r.timeToLiveUsMax !== null) ? Math.max(...parts.map((r) => r.timeToLiveUsMax!)) : null,
  };
}
