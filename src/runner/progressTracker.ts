// The progress line's numbers, from the interval parts the workers ship: the fast groups'
// arrivals and a rough p99 (the worst part's) for the last whole second.
import { decodeToAdd } from '../measurement/histogram.js';
import { secondOf, type EncodedInterval } from '../measurement/recorder.js';
import { phaseAt, type Timeline } from '../measurement/schedule.js';
import type { Scenario } from '../scenario/types.js';

export interface ProgressSnapshot {
  phase: string;
  elapsedUs: number;
  totalUs: number;
  /** Fast-group deliveries per second in the last complete second. */
  eventsPerSec: number;
  fastP99Us: number;
}

export class ProgressTracker {
  private readonly seconds = new Map<number, { arrived: number; p99: number }>();
  private readonly fast: Set<string>;

  constructor(private readonly scenario: Scenario) {
    this.fast = new Set(scenario.groups.filter((g) => g.kind === 'fast').map((g) => g.name));
  }

  note(parts: EncodedInterval[]): void {
    for (const iv of parts) {
      if (!this.fast.has(iv.group)) continue;
      const s = this.seconds.get(iv.index) ?? this.seconds.set(iv.index, { arrived: 0, p99: 0 }).get(iv.index)!;
      s.arrived += iv.arrived;
      if (iv.latency) s.p99 = Math.max(s.p99, decodeToAdd(iv.latency).getValueAtPercentile(99));
    }
  }

  snapshot(tl: Timeline, nowUs: number): ProgressSnapshot {
    const last = this.seconds.get(secondOf(tl.t0Us, nowUs) - 1);
    return {
      phase: nowUs < tl.t0Us ? 'connecting' : this.scenario.phases[phaseAt(tl, nowUs)]!.name,
      elapsedUs: Math.max(0, Math.min(nowUs, tl.endUs) - tl.t0Us),
      totalUs: tl.endUs - tl.t0Us,
      eventsPerSec: last?.arrived ?? 0,
      fastP99Us: last?.p99 ?? 0,
    };
  }
}
