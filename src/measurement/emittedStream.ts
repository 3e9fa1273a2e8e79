// Books for a stream the runner did not publish (generic adapter, `publish server`): which ids
// exist is learned from what arrives. A client is owed every id from its first one up to the
// highest id any client had received when the phase ended; each id it lacks is missing, recorded
// at (accounting time − publish time of the next event known after it), a lower bound of its delay.
import type { Account } from './accounting.js';
import type { ClientTotals, ReplayTotals } from '../record/schema.js';
import { Bitset, noteStaleness, OutstandingQueue, ReplayBooks } from './accounting.js';
import { StallTracker } from './stall.js';
import type { AgeTicks } from './ageTicks.js';
import type { GroupRecorder } from './recorder.js';
import { phaseAt, type Timeline } from './schedule.js';
import type { ScannedEvent } from './frameScan.js';

/** Ids some client received, as bits from `base` (what a thread ships to the others). */
export interface SeenIds {
  base: number;
  bits: Uint8Array;
}

/**
 * A set of ids as bits from a base that is a multiple of 8, so that two sets are joined byte by byte
 * (an OR at a byte offset), not id by id.
 */
export class IdBits {
  private base = -1;
  private bits = new Uint8Array(0);
  /** Bytes in use (the rest of `bits` is room to grow). */
  private used = 0;

  note(id: number): void {
    this.cover(id, id);
    const i = id - this.base;
    this.bits[i >>> 3]! |= 1 << (i & 7);
  }

  has(id: number): boolean {
    const i = id - this.base;
    // bits past `used` are zero, and an empty set has none: a byte beyond them reads as undefined, i.e. 0
    return i >= 0 && (this.bits[i >>> 3]! & (1 << (i & 7))) !== 0;
  }

  /** Adds another set's ids. */
  or(other: SeenIds): void {
    if (other.base < 0 || other.bits.length === 0) return;
    this.cover(other.base, other.base + other.bits.length * 8 - 1);
    const shift = other.base - this.base;
    if ((shift & 7) === 0) {
      const at = shift >>> 3;
      for (let i = 0; i < other.bits.length; i++) this.bits[at + i]! |= other.bits[i]!;
      return;
    }
    // a base not on a byte (a set from elsewhere): bit by bit
    for (let i = 0; i < other.bits.length * 8; i++) if (other.bits[i >>> 3]! & (1 << (i & 7))) this.note(other.base + i);
  }

  /** The lowest id in the set, or undefined when it is empty. */
  first(): number | undefined {
    const byte = this.bits.findIndex((b) => b !== 0);
    if (byte < 0) return undefined;
    const b = this.bits[byte]!;
    return this.base + byte * 8 + (31 - Math.clz32(b & -b)); // b & -b: its lowest bit
  }

  /** The ids as bits, to ship to another thread (a copy). */
  ids(): SeenIds {
    return { base: this.base, bits: this.bits.slice(0, this.used) };
  }

  /** Makes room for ids [lo, hi]: the base moves down (on a byte) or the bits grow, doubling. */
  private cover(lo: number, hi: number): void {
    const base = this.base < 0 ? lo - (lo & 7) : Math.min(this.base, lo - (lo & 7));
    const need = ((hi - base) >>> 3) + 1;
    const shift = this.base < 0 ? 0 : (this.base - base) >>> 3;
    if (shift === 0 && need <= this.bits.length) {
      this.base = base;
      this.used = Math.max(this.used, need);
      return;
    }
    let size = Math.max(32, this.bits.length);
    while (size < Math.max(need, this.used + shift)) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bits.subarray(0, this.used), shift);
    this.bits = grown;
    this.used = Math.max(this.used + shift, need);
    this.base = base;
  }
}

/** The union of several threads' ids, byte by byte. */
export function unionSeen(parts: SeenIds[]): SeenIds {
  const all = new IdBits();
  for (const p of parts) all.or(p);
  return all.ids();
}

/**
 * What the workers learned together: per phase, the highest id any client had at its end, and its
 * time; and which ids any client received at all. A stream's ids need not be consecutive (one
 * sequence shared with other topics steps by 2 or more): an id no client ever received is not known
 * to be this stream's, so it is never counted missing.
 */
export class EmittedStreamHeads {
  private readonly heads = new Map<number, { id: number; timeUs: number }>();
  private readonly seen = new IdBits();
  /** Ids this thread's clients received since the last takeFresh(): all the others need from it at a phase end. */
  private fresh = new IdBits();

  /** A client of this thread received `id`. */
  noteSeen(id: number): void {
    if (this.seen.has(id)) return;
    this.seen.note(id);
    this.fresh.note(id);
  }

  /** Ids other threads' clients received. */
  addSeen(other: SeenIds): void {
    this.seen.or(other);
  }

  /** The ids this thread's clients received since the last call (the first call: since the start). */
  takeFresh(): SeenIds {
    const out = this.fresh.ids();
    this.fresh = new IdBits();
    return out;
  }

  seenByAny(id: number): boolean {
    return this.seen.has(id);
  }

  /** The highest id through which every id from `gapFreeFrom` (the first one seen) was seen by some client. */
  private gapFreeThrough = NaN;
  /** NaN until the first call sets both. */
  private gapFreeFrom = NaN;

  /**
   * Whether the stream's ids were consecutive (step 1, no id that no client received) from the first
   * one seen through `id`. Then an id no client received later is a drop, not another topic's id.
   * False when nothing was seen, or `id` is below the first one seen (no history to judge by).
   */
  consecutiveThrough(id: number): boolean {
    const first = this.seen.first() ?? Infinity;
    if (id < first) return false;
    if (first !== this.gapFreeFrom) [this.gapFreeFrom, this.gapFreeThrough] = [first, first - 1]; // an id below came in
    let at = this.gapFreeThrough + 1;
    while (at <= id && this.seen.has(at)) at++;
    this.gapFreeThrough = at - 1;
    return this.gapFreeThrough >= id;
  }

  /** Every id known to be seen, this thread's and the others'. */
  seenIds(): SeenIds {
    return this.seen.ids();
  }

  set(phase: number, id: number, timeUs: number): void {
    this.heads.set(phase, { id, timeUs });
  }

  /** Highest id known at the end of the latest phase ending at or before `untilUs`. */
  headFor(phase: number): { id: number; timeUs: number } | undefined {
    for (let p = phase; p >= 0; p--) {
      const h = this.heads.get(p);
      if (h) return h;
    }
    return undefined;
  }
}

export class EmittedStreamAccount implements Account {
  leaveUs = Infinity;
  readonly totals: ClientTotals = { delivered: 0, missing: 0, duplicates: 0, outOfOrder: 0, lateArrivals: 0, maxStallUs: 0 };
  private firstId = -1;
  private maxId = -1;
  private newestUs = NaN;
  private received = new Bitset();
  /** Gaps seen so far: ids [from, to] were skipped; `upperUs` bounds their publish time from above. */
  private gaps: [from: number, to: number, upperUs: number][] = [];
  private accountedThroughId = -1;
  private readonly stall: StallTracker;
  private readonly outstanding = new OutstandingQueue();

  constructor(
    private readonly rec: GroupRecorder,
    private readonly tl: Timeline,
    private readonly knowledge: EmittedStreamHeads,
    joinedUs: number,
    /**
     * The client's staleness every tick (fast clients the verdict tracks): a server that stamps each
     * event when it finally sends it shows a freeze only as a silence, so for a stream the runner did
     * not schedule the age that counts is how old the newest event a client has is.
     */
    readonly ticks?: AgeTicks,
  ) {
    this.ownedFromUs = Math.max(joinedUs, tl.t0Us);
    this.stall = new StallTracker(rec, tl, this.totals, this.ownedFromUs);
  }

  private readonly ownedFromUs: number;

  /** The newest event's publish time, or when the client began to be owed events if it has none yet. */
  private newestOrJoinUs(): number {
    return Number.isNaN(this.newestUs) ? this.ownedFromUs : Math.max(this.newestUs, this.ownedFromUs);
  }

  private replay?: ReplayBooks;

  /**
   * A catch-up subscription (`{{lastId}}` = replayFromId): the replay covers (replayFromId, headId],
   * the head as far as the runner had seen it, and the client is owed every id after it, live.
   */
  subscribed(headId: number, nowUs: number, replayFromId?: number): void {
    if (replayFromId === undefined || this.firstId >= 0) return;
    this.firstId = headId + 1;
    this.maxId = headId;
    this.replay = new ReplayBooks(replayFromId, headId, nowUs);
  }

  replayAskedFor(nowUs: number): void {
    this.replay?.askedFor(nowUs);
  }

  private onReplayed(id: number, nowUs: number): void {
    this.replay?.note(id, nowUs); // before the replay asked for: not ours to judge
  }

  /** Received nothing yet: the client is owed every id after the stream's head when it subscribed (or tried to). */
  assumeWindow(headId: number): void {
    if (this.firstId >= 0 || headId <= 0) return;
    this.firstId = headId + 1;
    this.maxId = headId;
  }
  replayTotals(): ReplayTotals | undefined {
    return this.replay?.totals();
  }

  /** Highest id this client received and its publish time (workers pool these at phase ends). */
  head(): { id: number; timeUs: number } | undefined {
    return this.maxId >= 0 && !Number.isNaN(this.newestUs) ? { id: this.maxId, timeUs: this.newestUs } : undefined;
  }

  onEvent(ev: ScannedEvent, nowUs: number): void {
    const id = ev.id;
    if (this.firstId < 0) this.firstId = id;
    if (id < this.firstId) return this.onReplayed(id, nowUs); // before this client's live stream: a replay, or not owed
    this.knowledge.noteSeen(id);
    const phase = phaseAt(this.tl, ev.intendedUs);
    if (this.received.testAndSet(id - this.firstId)) {
      this.totals.duplicates++;
      this.rec.count(phase, 'duplicates');
      return;
    }
    if (id < this.maxId) {
      this.totals.outOfOrder++;
      this.rec.count(phase, 'outOfOrder');
    } else {
      if (this.maxId >= 0 && id > this.maxId + 1) this.gaps.push([this.maxId + 1, id - 1, ev.intendedUs]);
      this.ticks?.span(this.newestOrJoinUs(), Math.min(nowUs, this.leaveUs, this.tl.endUs));
      this.maxId = id;
      this.newestUs = ev.intendedUs;
    }
    // a server emitting on its own keeps going before t0 and after the last phase: not this run's events
    if (!(ev.intendedUs >= this.tl.t0Us && ev.intendedUs < this.tl.endUs)) return;
    this.rec.arrived(phaseAt(this.tl, nowUs), nowUs);
    // the tracker caps at the run's end; an event intended after the client left ages nothing
    this.stall.outstanding(ev.intendedUs, nowUs, this.leaveUs);
    if (id <= this.accountedThroughId) {
      this.totals.lateArrivals++;
      this.rec.count(phase, 'lateArrivals');
      return;
    }
    this.totals.delivered++;
    this.rec.delivered(phase, nowUs - ev.intendedUs, nowUs - ev.sentUs, ev.intendedUs);
  }

  /** At a phase's end: the age of the newest event the client has (a server that stops emitting shows here, not as missing ids). */
  phaseEnded(endUs: number): void {
    noteStaleness(this.rec, this.tl, endUs, this.leaveUs, endUs - this.newestUs);
  }

  account(untilUs: number, nowUs: number): void {
    const end = Math.min(untilUs, this.leaveUs);
    if (this.firstId >= 0) {
      const phase = phaseAt(this.tl, Math.min(end, this.tl.endUs) - 1);
      const head = this.knowledge.headFor(phase);
      // the stream "so far": every id through the previous phase's head (this phase's own holes are what is judged)
      const prevHead = this.knowledge.headFor(phase - 1)?.id ?? -1;
      const gaps = [...this.gaps];
      if (head) gaps.push([this.maxId + 1, head.id, head.timeUs]);
      // only ids the stream had reached by the phase's end are due now; a hole above that head is an
      // event of a later phase still on its way (a server that delivers out of order): judged later
      const dueThrough = untilUs === Infinity || !head ? Infinity : head.id;
      const later: typeof this.gaps = [];
      for (const [from, to, upperUs] of gaps) {
        if (to > dueThrough) later.push([Math.max(from, dueThrough + 1), to, upperUs]);
        for (let id = Math.max(from, this.accountedThroughId + 1); id <= Math.min(to, dueThrough); id++) {
          if (this.received.has(id - this.firstId)) continue;
          // an id no client received is the stream's only when the stream so far was consecutive
          if (!this.knowledge.seenByAny(id) && !this.knowledge.consecutiveThrough(prevHead)) {
            this.totals.unseenIds = (this.totals.unseenIds ?? 0) + 1;
            this.rec.unseen(phaseAt(this.tl, upperUs));
            continue;
          }
          this.totals.missing++;
          this.rec.missing(phaseAt(this.tl, upperUs), nowUs - upperUs, upperUs);
          this.outstanding.push(id, upperUs);
        }
      }
      this.gaps = later;
      const settled = dueThrough === Infinity ? Math.max(this.maxId, head?.id ?? -1) : dueThrough;
      this.accountedThroughId = Math.max(this.accountedThroughId, settled);
    }
    const capUs = Math.min(nowUs, this.leaveUs, this.tl.endUs);
    this.ticks?.span(this.newestOrJoinUs(), capUs);
    // a client that has received nothing while the stream went on has been stalled since it joined
    if (Number.isNaN(this.newestUs) && this.knowledge.headFor(phaseAt(this.tl, Math.min(end, this.tl.endUs) - 1)))
      this.stall.outstanding(this.ownedFromUs, nowUs, this.leaveUs);
    // the publish time of a missing id is only bounded from above: its stall is a lower bound too
    const oldest = this.outstanding.oldest((id) => this.received.has(id - this.firstId));
    this.stall.outstanding(oldest, nowUs, this.leaveUs); // NaN (nothing outstanding) ages nothing
  }
}
