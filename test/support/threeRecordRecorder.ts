// The recorder as it was before tallies: every latency recorded three times, straight into HDR (the
// phase's histogram, its uncorrected one, its second's). Kept only as the reference the tallied
// recorder must equal, figure for figure (test/measurement/recorderEquality.test.ts).
import { createHistogram, encodeHistogram, recordUs, type Histogram } from '../../src/measurement/histogram.js';
import type { PhaseCounters } from '../../src/record/schema.js';
import { secondOf, zeroCounters, type EncodedInterval, type EncodedPhase, type PhaseRecord } from '../../src/measurement/recorder.js';

interface OpenInterval {
  latency: Histogram;
  delivered: number;
  missing: number;
  arrived: number;
  maxStallUs: number;
}

export class ThreeRecordRecorder {
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
