// Per-worker recording for one client group: histograms per phase (latency from the intended time,
// uncorrected latency from the actual send time, connect and subscribe-ack times), counters, and a
// per-second interval histogram for charts. Shipped to the main thread encoded, then added.
// An event's latency is counted once, in its second's tally (per phase), and each tally is added
// into both its second's histogram and its phase's when the seconds are shipped or the phases read:
// the same histograms as recording every value into each, for a third of the work.
import { createHistogram, encodeHistogram, LatencyTally, recordUs, type Histogram } from './histogram.js';
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
  /** What the tallies have added so far (undefined until one has). */
  latency?: Histogram;
  /** This second's latencies not yet added, by phase (a second may straddle a phase boundary). */
  pending: (LatencyTally | undefined)[];
  delivered: number;
  missing: number;
  arrived: number;
  maxStallUs: number;
}

/** The second since t0 that `us` falls in (clamped at 0: prefilled events belong to no second of the run). */
export function secondOf(t0Us: number, us: number): number {
  return us <= t0Us ? 0 : Math.floor((us - t0Us) / 1_000_000);
}

/** Tallies one group keeps at most: more open seconds are flushed first (an old stall found missing spans many). */
const MAX_TALLIES = 8;

/** A second looked up, and its interval (undefined before any lookup and after a shipment). */
interface SecondCache {
  second: number;
  interval: OpenInterval | undefined;
}

export class GroupRecorder {
  private readonly phaseRecords: PhaseRecord[];
  /** Uncorrected latencies not yet added into their phase's histogram. */
  private readonly pendingUncorrected: (LatencyTally | undefined)[];
  /** Tallies flushed and free for another second (a tally is 68 KiB: they are reused, not remade). */
  private spareTallies: LatencyTally[] = [];
  private tallies = 0;
  /** Seconds touched since the last shipment; shipped parts of one second are added by the main thread. */
  private open = new Map<number, OpenInterval>();
  /**
   * The second last looked up on each clock, and its interval: events come in order, so nearly
   * always the same one. One per clock, as an event's arrival and intended times fall in different
   * seconds whenever its latency crosses a second (every stall over a second, catch-up replay).
   */
  private readonly byIntended: SecondCache = { second: NaN, interval: undefined };
  private readonly byArrival: SecondCache = { second: NaN, interval: undefined };
  /** Set when the run starts: intervals are seconds since t0. */
  t0Us = NaN;

  constructor(
    readonly group: string,
    phaseCount: number,
  ) {
    this.pendingUncorrected = new Array<LatencyTally | undefined>(phaseCount);
    this.phaseRecords = Array.from({ length: phaseCount }, () => ({
      latency: createHistogram(),
      uncorrected: createHistogram(),
      connect: createHistogram(),
      ack: createHistogram(),
      counters: zeroCounters(),
    }));
  }

  /** Per phase: latency (missing events at their lower bound), uncorrected latency, connect and ack times, counters. */
  get phases(): readonly PhaseRecord[] {
    this.flushTallies();
    return this.phaseRecords;
  }

  /** The interval of the second `us` falls in, looked up through the cache of `us`'s clock. */
  private second(us: number, cache: SecondCache): OpenInterval {
    return this.secondAt(secondOf(this.t0Us, us), cache);
  }

  private secondAt(n: number, cache: SecondCache): OpenInterval {
    if (n === cache.second) return cache.interval!;
    let iv = this.open.get(n);
    if (!iv) {
      iv = { pending: [], delivered: 0, missing: 0, arrived: 0, maxStallUs: 0 };
      this.open.set(n, iv);
    }
    cache.second = n;
    cache.interval = iv;
    return iv;
  }

  private tally(): LatencyTally {
    if (this.spareTallies.length === 0 && this.tallies >= MAX_TALLIES) this.flushTallies(); // a stall's missing events span many seconds
    if (this.spareTallies.length > 0) return this.spareTallies.pop()!;
    this.tallies++;
    return new LatencyTally();
  }

  /** A latency of `phase` in second `iv`: counted once, added into both histograms later. */
  private latency(iv: OpenInterval, phase: number, us: number): void {
    (iv.pending[phase] ??= this.tally()).record(us);
  }

  delivered(phase: number, latencyUs: number, uncorrectedUs: number, intendedAtUs: number): void {
    const c = this.phaseRecords[phase]!.counters;
    c.delivered++;
    if (latencyUs < 0) c.beforePublish++;
    // NaN when the target gave no send time
    if (uncorrectedUs === uncorrectedUs) (this.pendingUncorrected[phase] ??= this.tally()).record(uncorrectedUs);
    const iv = this.second(intendedAtUs, this.byIntended);
    this.latency(iv, phase, latencyUs);
    iv.delivered++;
  }

  arrived(phase: number, atUs: number): void {
    this.phaseRecords[phase]!.counters.arrived++;
    this.second(atUs, this.byArrival).arrived++;
  }

  missing(phase: number, lowerBoundUs: number, intendedAtUs: number): void {
    this.phaseRecords[phase]!.counters.missing++;
    const iv = this.second(intendedAtUs, this.byIntended);
    this.latency(iv, phase, lowerBoundUs);
    iv.missing++;
  }

  /** Adds every tally into its histograms (each second's and its phase's) and keeps the tallies for reuse. */
  private flushTallies(): void {
    for (const iv of this.open.values()) {
      for (let p = 0; p < iv.pending.length; p++) {
        const t = iv.pending[p];
        if (!t) continue;
        t.flushInto((iv.latency ??= createHistogram()), this.phaseRecords[p]!.latency);
        this.spareTallies.push(t);
        iv.pending[p] = undefined;
      }
    }
    for (let p = 0; p < this.pendingUncorrected.length; p++) {
      const t = this.pendingUncorrected[p];
      if (!t) continue;
      t.flushInto(this.phaseRecords[p]!.uncorrected);
      this.spareTallies.push(t);
      this.pendingUncorrected[p] = undefined;
    }
  }

  stall(phase: number, us: number): void {
    const c = this.phaseRecords[phase]!.counters;
    if (us > c.maxStallUs) c.maxStallUs = us;
  }

  /** A client was in a stall of age `us` at some moment of second `second`. */
  stallInSecond(second: number, us: number): void {
    if (!(second >= 0)) return;
    const iv = this.secondAt(second, this.byArrival);
    if (us > iv.maxStallUs) iv.maxStallUs = us;
  }

  staleness(phase: number, us: number): void {
    const c = this.phaseRecords[phase]!.counters;
    if (us > c.maxStalenessUs) c.maxStalenessUs = us;
  }

  count(
    phase: number,
    what: Exclude<keyof PhaseCounters, 'maxStallUs' | 'maxStalenessUs' | 'delivered' | 'missing' | 'arrived' | 'unseenIds'>,
  ): void {
    this.phaseRecords[phase]!.counters[what]++;
  }

  /** An id in a client's gap that no client received (server-emitted streams): not known to be the stream's. */
  unseen(phase: number): void {
    const c = this.phaseRecords[phase]!.counters;
    c.unseenIds = (c.unseenIds ?? 0) + 1;
  }

  connectTime(phase: number, us: number): void {
    recordUs(this.phaseRecords[phase]!.connect, us);
  }

  ackTime(phase: number, us: number): void {
    recordUs(this.phaseRecords[phase]!.ack, us);
  }

  /** Ships what the seconds touched since the last call hold, and starts afresh. */
  takeIntervals(): EncodedInterval[] {
    this.flushTallies();
    const out: EncodedInterval[] = [];
    for (const [index, iv] of [...this.open].sort((a, b) => a[0] - b[0])) {
      out.push({
        group: this.group,
        index,
        delivered: iv.delivered,
        missing: iv.missing,
        arrived: iv.arrived,
        maxStallUs: iv.maxStallUs,
        latency: iv.latency && iv.latency.totalCount > 0 ? encodeHistogram(iv.latency) : '',
      });
    }
    this.open.clear();
    for (const cache of [this.byIntended, this.byArrival]) {
      cache.second = NaN;
      cache.interval = undefined;
    }
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
