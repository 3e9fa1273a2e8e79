// A client's stall: at any moment, the age of the oldest event it is owed and does not have yet.
// It is 0 while the client has everything it is owed, so a quiet stream is never a stall. Each
// owed event is outstanding from its intended time (or from when the client began to be owed
// events, if later) until it is delivered — for ever, if it never is — and the tracker records
// the worst age per phase, per second since t0 (for charts and the noise model) and per client.
import type { ClientTotals } from '../record/schema.js';
import { secondOf, type GroupRecorder } from './recorder.js';
import { phaseAt, type Timeline } from './schedule.js';
import type { AgeTicks } from './ageTicks.js';
import { CoveredSpan } from './coveredSpan.js';

export class StallTracker {
  /** The seconds' ages already recorded: a younger event's ages there are smaller. */
  private readonly covered = new CoveredSpan();

  constructor(
    private readonly rec: GroupRecorder,
    private readonly tl: Timeline,
    private readonly totals: ClientTotals,
    /** The client is owed events from here: max(join, t0). */
    private readonly ownedFromUs: number,
    /** The client's age every tick, when the verdict tracks this client's freezes. */
    private readonly ticks?: AgeTicks,
  ) {}

  /**
   * An owed event, intended at `intendedUs`, was outstanding until `untilUs` (its delivery, or the
   * moment it was found still missing), counting no further than `capUs` (the end of the client's
   * last phase).
   */
  outstanding(intendedUs: number, untilUs: number, capUs: number): void {
    const from = Math.max(intendedUs, this.ownedFromUs);
    const to = Math.min(untilUs, capUs, this.tl.endUs);
    if (!(to > from)) return;
    this.ticks?.span(from, to);
    this.totals.maxStallUs = Math.max(this.totals.maxStallUs, to - from);
    for (let p = phaseAt(this.tl, from); p < this.tl.ends.length && this.tl.starts[p]! < to; p++) {
      this.rec.stall(p, Math.min(to, this.tl.ends[p]!) - from);
    }
    const start = this.covered.recordFrom(from, to);
    const t0 = this.tl.t0Us;
    for (let n = secondOf(t0, start); n <= secondOf(t0, to - 1); n++) {
      this.rec.stallInSecond(n, Math.min(to, t0 + (n + 1) * 1_000_000) - from);
    }
  }
}
