// Per-worker recording for one client group: histograms per phase (latency from the intended time,
// uncorrected latency from the actual send time, connect and subscribe-ack times), counters, and a
// per-second interval histogram for charts. Shipped to the main thread encoded, then added.
import { createHistogram, encodeHistogram, recordUs, type Histogram } from './histogram.js';

export interface PhaseCounters {
  /** Expected events delivered (by intended time: the phase the event was published in). */
  delivered: number;
  /** Events that arrived while this phase ran (by arrival time): the delivery rate clients saw. */
  arrived: number;
  /** Expected events not delivered within the grace period after their phase (recorded as latency too). */
  missing: number;
  duplicates: number;
  outOfOrder: number;
  /** Events that arrived after they had been counted missing (not recorded twice). */
  lateArrivals: number;
  /** Events received before their publish time (clock skew, or a server stamping future times): recorded as 0. */
  beforePublish: number;
  /** Gap notices the server sent (409). */
  gapsAnnounced: number;
  /** Sessions the server closed for being slow (4008). */
  slowCloses: number;
  /** Longest time a client of the group went without an event while events were due. */
  maxStallUs: number;
  /** At the phase's end, the age of the newest event a client had (phase end − its publish time); the worst client. */
  maxStalenessUs: number;
  /** Subscribe requests not acknowledged before the client left. */
  ackTimeouts: number;
  /** Connections that failed or were closed by the server unexpectedly. */
  connectErrors: number;
}

export function zeroCounters(): PhaseCounters {
  return { delivered: 0, arrived: 0, missing: 0, duplicates: 0, outOfOrder: 0, lateArrivals: 0, beforePublish: 0, gapsAnnounced: 0, slowCloses: 0, maxStallUs: 0, maxStalenessUs: 0, ackTimeouts: 0, connectErrors: 0 };
}

export function addCounters(into: PhaseCounters, from: PhaseCounters): void {
  for (const k of Object.keys(into) as (keyof PhaseCounters)[]) {
    into[k] = k.startsWith('max') ? Math.max(into[k], from[k]) : into[k] + from[k];
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
  /** Interval index: second n after t0 covers [t0 + n s, t0 + (n+1) s). */
  index: number;
  delivered: number;
  missing: number;
  latency: string;
}

export class GroupRecorder {
  readonly phases: PhaseRecord[];
  private interval: Histogram = createHistogram();
  private intervalMissing = 0;
  private intervalDelivered = 0;

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

  delivered(phase: number, latencyUs: number, uncorrectedUs: number): void {
    const p = this.phases[phase]!;
    p.counters.delivered++;
    if (latencyUs < 0) p.counters.beforePublish++;
    recordUs(p.latency, latencyUs);
    if (uncorrectedUs === uncorrectedUs) recordUs(p.uncorrected, uncorrectedUs); // NaN when the target gave no send time
    recordUs(this.interval, latencyUs);
    this.intervalDelivered++;
  }

  arrived(phase: number): void {
    this.phases[phase]!.counters.arrived++;
  }

  missing(phase: number, lowerBoundUs: number): void {
    const p = this.phases[phase]!;
    p.counters.missing++;
    recordUs(p.latency, lowerBoundUs);
    this.intervalMissing++;
  }

  stall(phase: number, us: number): void {
    const c = this.phases[phase]!.counters;
    if (us > c.maxStallUs) c.maxStallUs = us;
  }

  staleness(phase: number, us: number): void {
    const c = this.phases[phase]!.counters;
    if (us > c.maxStalenessUs) c.maxStalenessUs = us;
  }

  count(phase: number, what: Exclude<keyof PhaseCounters, 'maxStallUs' | 'maxStalenessUs' | 'delivered' | 'missing' | 'arrived'>): void {
    this.phases[phase]!.counters[what]++;
  }

  connectTime(phase: number, us: number): void {
    recordUs(this.phases[phase]!.connect, us);
  }

  ackTime(phase: number, us: number): void {
    recordUs(this.phases[phase]!.ack, us);
  }

  /** Closes the current interval and starts the next. */
  takeInterval(index: number): EncodedInterval {
    const out: EncodedInterval = {
      group: this.group,
      index,
      delivered: this.intervalDelivered,
      missing: this.intervalMissing,
      latency: this.interval.totalCount > 0 ? encodeHistogram(this.interval) : '',
    };
    this.interval.reset();
    this.intervalDelivered = 0;
    this.intervalMissing = 0;
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
