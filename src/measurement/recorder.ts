// Per-worker recording for one client group: histograms per phase (latency from the intended time,
// uncorrected latency from the actual send time, connect and subscribe-ack times), counters, and a
// per-second interval histogram for charts. Shipped to the main thread encoded, then added.
import { createHistogram, encodeHistogram, recordUs, type Histogram } from './histogram.js';
import type { PhaseCounters } from '../record/schema.js';

export function zeroCounters(): PhaseCounters {
  return {
    delivered: 0,
    arrived: 0,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    lateArrivals: 0,
    beforePublish: 0,
    gapsAnnounced: 0,
    slowCloses: 0,
    serverCloses: 0,
    subscribeRefusals: 0,
    maxStallUs: 0,
    maxStalenessUs: 0,
    ackTimeouts: 0,
    connectErrors: 0,
    unseenIds: 0,
  };
}

export function addCounters(into: PhaseCounters, from: PhaseCounters): void {
  for (const k of Object.keys(into) as (keyof PhaseCounters)[]) {
    into[k] = k.startsWith('max') ? Math.max(into[k] ?? 0, from[k] ?? 0) : (into[k] ?? 0) + (from[k] ?? 0);
  }
}

export interface PhaseRecord {
  latency: Histogram;
  uncorrected: Histogram;
  connect: Histogram;
  ack: Histogram;
  counters: PhaseCounters;
}

export interface EncodedPhase {
  latency: string;
  uncorrected: string;
  connect: string;
  ack: string;
  counters: PhaseCounters;
}

export interface EncodedInterval {
  group: string;
  /** Second n after t0: [t0 + n s, t0 + (n+1) s). Events by their intended time, arrivals by arrival time. */
  index: number;
  /** Events intended in this second that were delivered, and that were counted missing. */
  delivered: number;
  missing: number;
  /** Events that arrived during this second (the delivery rate clients saw). */
  arrived: number;
  /** The worst stall any client of the group was in during this second (age of its oldest owed, undelivered event). */
  maxStallUs: number;
  /** Latency of the events intended in this second, missing ones at their lower bound ('' when none). */
  latency: string;
}

interface OpenInterval {
  latency: Histogram;
  delivered: number;
  missing: number;
  arrived: number;
  maxStallUs: number;
}

/** The second since t0 that `us` falls in (clamped at 0: prefilled events belong to no second of the run). */
export function secondOf(t0Us: number, us: number): number {
  return us <= t0Us ? 0 : Math.floor((us - t0Us) / 1_000_000);
}

export class GroupRecorder {
  readonly phases: PhaseRecord[];
  /** Seconds touched since the last shipment; shipped parts of one second are added by the main thread. */
  private open = new Map<number, OpenInterval>();
  /** Set when the run starts: intervals are seconds since t0. */
  t0Us = NaN;

  constructor(
    readonly group: string,
    phaseCount: number,
  ) {
    this.phases = Array.from({ length: phaseCount }, () => ({
      latency: createHistogram(),
      uncorrected: createHistogram(),
      connect: createHistogram(),
      ack: createHistogram(),
      counters: zeroCounters(),
    }));
  }

  private second(us: number): OpenInterval {
    return this.secondAt(secondOf(this.t0Us, us));
  }

  private secondAt(n: number): OpenInterval {
    let iv = this.open.get(n);
    if (!iv) {
      iv = { latency: createHistogram(), delivered: 0, missing: 0, arrived: 0, maxStallUs: 0 };
      this.open.set(n, iv);
    }
    return iv;
  }

  delivered(phase: number, latencyUs: number, uncorrectedUs: number, intendedAtUs: number): void {
    const p = this.phases[phase]!;
    p.counters.delivered++;
    if (latencyUs < 0) p.counters.beforePublish++;
    recordUs(p.latency, latencyUs);
    if (uncorrectedUs === uncorrectedUs) recordUs(p.uncorrected, uncorrectedUs); // NaN when the target gave no send time
    const iv = this.second(intendedAtUs);
    recordUs(iv.latency, latencyUs);
    iv.delivered++;
  }

  arrived(phase: number, atUs: number): void {
    this.phases[phase]!.counters.arrived++;
    this.second(atUs).arrived++;
  }

  missing(phase: number, lowerBoundUs: number, intendedAtUs: number): void {
    const p = this.phases[phase]!;
    p.counters.missing++;
    recordUs(p.latency, lowerBoundUs);
    const iv = this.second(intendedAtUs);
    recordUs(iv.latency, lowerBoundUs);
    iv.missing++;
  }

  stall(phase: number, us: number): void {
    const c = this.phases[phase]!.counters;
    if (us > c.maxStallUs) c.maxStallUs = us;
  }

  /** A client was in a stall of age `us` at some moment of second `second`. */
  stallInSecond(second: number, us: number): void {
    if (!(second >= 0)) return;
    const iv = this.secondAt(second);
    if (us > iv.maxStallUs) iv.maxStallUs = us;
  }

  staleness(phase: number, us: number): void {
    const c = this.phases[phase]!.counters;
    if (us > c.maxStalenessUs) c.maxStalenessUs = us;
  }

  count(
    phase: number,
    what: Exclude<keyof PhaseCounters, 'maxStallUs' | 'maxStalenessUs' | 'delivered' | 'missing' | 'arrived' | 'unseenIds'>,
  ): void {
    this.phases[phase]!.counters[what]++;
  }

  /** An id in a client's gap that no client received (server-emitted streams): not known to be the stream's. */
  unseen(phase: number): void {
    const c = this.phases[phase]!.counters;
    c.unseenIds = (c.unseenIds ?? 0) + 1;
  }

  connectTime(phase: number, us: number): void {
    recordUs(this.phases[phase]!.connect, us);
  }

  ackTime(phase: number, us: number): void {
    recordUs(this.phases[phase]!.ack, us);
  }

  /** Ships what the seconds touched since the last call hold, and starts afresh. */
  takeIntervals(): EncodedInterval[] {
    const out: EncodedInterval[] = [];
    for (const [index, iv] of [...this.open].sort((a, b) => a[0] - b[0])) {
      out.push({
        group: this.group,
        index,
        delivered: iv.delivered,
        missing: iv.missing,
        arrived: iv.arrived,
        maxStallUs: iv.maxStallUs,
        latency: iv.latency.totalCount > 0 ? encodeHistogram(iv.latency) : '',
      });
    }
    this.open.clear();
    return out;
  }

  encode(): EncodedPhase[] {
    return this.phases.map((p) => ({
      latency: encodeHistogram(p.latency),
      uncorrected: encodeHistogram(p.uncorrected),
      connect: encodeHistogram(p.connect),
      ack: encodeHistogram(p.ack),
      counters: { ...p.counters },
    }));
  }
}
