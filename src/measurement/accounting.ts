// What one client should have received, and what it did: delivered, missing, duplicates,
// out-of-order, stalls, and (for catch-up) the replay. Undelivered events count: each expected
// event still missing when its phase is accounted is recorded at (accounting time − intended time),
// a lower bound of its real latency, so a histogram of survivors cannot hide a stalled server.
import { secondOf, type GroupRecorder } from './recorder.js';
import type { IdMap } from './idMap.js';
import { intendedUs, firstKAtOrAfter, phaseAt, type Schedule, type Timeline } from './schedule.js';
import type { ScannedEvent } from './frameScan.js';
import { StallTracker } from './stall.js';
import type { AgeTicks } from './ageTicks.js';
import type { ClientTotals, ReplayTotals } from '../record/schema.js';

/** Decides whether scheduled event k belongs in this client's stream (filters, permissions). */
export type Expectation = (k: number) => boolean;

/** What a client's books offer its connection, whether the stream is scheduled (ClientAccount) or emitted by the server on its own (EmittedStreamAccount). */
export interface Account {
  /**
   * The end of the client's last phase: nothing intended at or after it is owed. A close by the
   * server does not move it: a client is owed every event until its phase ends, connected or not.
   */
  leaveUs: number;
  readonly totals: ClientTotals;
  /** The client's age every tick, when the verdict tracks it (measurement/ageTicks.ts). */
  readonly ticks?: AgeTicks;
  subscribed(headId: number, nowUs: number, replayFromId?: number): void;
  /**
   * The replay is asked for now: a client that stayed away while its backlog built (a resumed
   * session) comes back, and the replay's rate and time to live count from here, not from the drop.
   */
  replayAskedFor(nowUs: number): void;
  assumeWindow(headId: number): void;
  onEvent(ev: ScannedEvent, nowUs: number): void;
  account(untilUs: number, nowUs: number, ids: IdMap): void;
  /** Called the moment a phase ends, while the client is still owed events: records its staleness. */
  phaseEnded(endUs: number, ids: IdMap): void;
  replayTotals(): ReplayTotals | undefined;
}

/** Records how old the newest event a client had was when a phase ended (if it was still owed events). */
export function noteStaleness(rec: GroupRecorder, tl: Timeline, untilUs: number, leaveUs: number, stalenessUs: number): void {
  if (!Number.isFinite(untilUs) || untilUs > leaveUs || Number.isNaN(stalenessUs)) return;
  const p = phaseAt(tl, untilUs - 1);
  if (tl.ends[p] === untilUs) rec.staleness(p, Math.max(0, stalenessUs));
}

/**
 * Owed events found missing, oldest first: each stays outstanding (its stall grows) until it
 * arrives late or the client's last phase ends.
 */
export class OutstandingQueue {
  private ids: number[] = [];
  private fromUs: number[] = [];
  private head = 0;

  push(id: number, intendedUs: number): void {
    this.ids.push(id);
    this.fromUs.push(intendedUs);
  }

  /** Intended time of the oldest event still outstanding (`has(id)` says whether it arrived since), or NaN. */
  oldest(has: (id: number) => boolean): number {
    while (this.head < this.ids.length && has(this.ids[this.head]!)) this.head++;
    if (this.head > 4096 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.fromUs = this.fromUs.slice(this.head);
      this.head = 0;
    }
    return this.head < this.ids.length ? this.fromUs[this.head]! : NaN;
  }
}

export class Bitset {
  /** Grows on first use: an idle connection should cost the generator next to nothing. */
  private bits = new Uint8Array(0);

  /** Sets bit i; returns whether it was already set. */
  testAndSet(i: number): boolean {
    const byte = i >>> 3;
    if (byte >= this.bits.length) {
      let n = Math.max(32, this.bits.length);
      while (n <= byte) n *= 2;
      const grown = new Uint8Array(n);
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (i & 7);
    const was = (this.bits[byte]! & mask) !== 0;
    this.bits[byte]! |= mask;
    return was;
  }

  has(i: number): boolean {
    // a byte beyond the bits reads as undefined, i.e. 0
    return (this.bits[i >>> 3]! & (1 << (i & 7))) !== 0;
  }

  /** The bits as bytes (bit i is bit i & 7 of byte i >>> 3), to ship to another thread. */
  bytes(): Uint8Array {
    return this.bits.slice();
  }
}

/** A catch-up replay's books: ids (fromId, toId] checked for completeness, order and duplicates, timed from the subscribe. */
export class ReplayBooks {
  private received = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  /** The highest id received so far (none yet: below every id). */
  private lastId = -Infinity;
  private lastUs: number;
  private timeToLiveUs: number;
  private readonly seen = new Bitset();

  constructor(
    readonly fromId: number,
    readonly toId: number,
    private startedUs: number,
  ) {
    this.lastUs = startedUs;
    this.timeToLiveUs = Math.max(0, toId - fromId) === 0 ? 0 : NaN;
  }

  /** The replay starts now, not when the books were opened (nothing has arrived yet). */
  askedFor(atUs: number): void {
    if (this.received > 0) return;
    this.startedUs = atUs;
    this.lastUs = atUs;
  }

  /** A replayed event arrived (ids at or below last_log_id are not the replay's: ignored). */
  note(id: number, nowUs: number): void {
    if (id <= this.fromId) return;
    if (this.seen.testAndSet(id - this.fromId - 1)) {
      this.duplicates++;
      return;
    }
    if (id < this.lastId) this.outOfOrder++;
    this.lastId = Math.max(this.lastId, id);
    this.received++;
    this.lastUs = nowUs;
    if (this.received === this.toId - this.fromId) this.timeToLiveUs = nowUs - this.startedUs;
  }

  totals(): ReplayTotals {
    const span = (this.lastUs - this.startedUs) / 1e6;
    return {
      fromId: this.fromId,
      toId: this.toId,
      received: this.received,
      missing: Math.max(0, this.toId - this.fromId - this.received),
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      timeToLiveUs: this.timeToLiveUs,
      ratePerSec: span > 0 ? Math.round(this.received / span) : 0,
    };
  }
}

/** One second's owed events: [second after t0, how many, the newest one's intended time]. */
export type OwedSecond = [number, number, number];

interface OwedMemo {
  t0Us: number;
  /** The accounting cursor the sums were made under: once a phase is accounted, its events are missing, not owed. */
  cursorK: number;
  fromK: number;
  /** Every k below it (from fromK) has been summed; throughUs is the last one's intended time. */
  throughK: number;
  throughUs: number;
  bySecond: Map<number, OwedSecond>;
  oldestUs: number;
}

/** A client's live window before its subscribe ack, its first event or its first accounting says where it starts. */
export const NO_WINDOW = -Infinity;

export class ClientAccount implements Account {
  /** Live delivery covers ids > windowStartId (the head the subscribe ack reported); NO_WINDOW until known (-1 is a window: every id from 0). */
  windowStartId = NO_WINDOW;
  private received = new Bitset();
  private maxId = 0;
  /** Publish time of the newest (highest-id) event received. */
  private newestIntendedUs = NaN;
  /** Events with k < cursorK have been accounted (delivered or counted missing). */
  private cursorK = 0;
  /** The highest id counted missing or delivered by `account` (-1: none yet; a stream may start at id 0). */
  private accountedThroughId = -1;
  leaveUs = Infinity;
  readonly totals: ClientTotals = { delivered: 0, missing: 0, duplicates: 0, outOfOrder: 0, lateArrivals: 0, maxStallUs: 0 };
  private replay?: ReplayBooks;
  private readonly stall: StallTracker;
  private readonly outstanding = new OutstandingQueue();
  private readonly ownedFromUs: number;
  /** forEachOwed's cursor: every k below it (and at or above cursorK) has arrived or is not owed. */
  private liveK = 0;
  /** owedSeconds' sums so far, kept while nothing it counted arrives and nothing is accounted. */
  private owedMemo?: OwedMemo;

  constructor(
    private readonly rec: GroupRecorder,
    private readonly tl: Timeline,
    private readonly schedule: Schedule,
    private readonly expects: Expectation,
    joinedUs: number,
    /** The client's age every tick (fast clients the verdict tracks). */
    readonly ticks?: AgeTicks,
  ) {
    this.ownedFromUs = Math.max(joinedUs, tl.t0Us);
    this.stall = new StallTracker(rec, tl, this.totals, this.ownedFromUs, ticks);
  }

  /** The subscribe ack arrived: live ids start after `headId`. For catch-up, `fromId` is last_log_id. */
  subscribed(headId: number, nowUs: number, replayFromId?: number): void {
    if (this.windowStartId === NO_WINDOW) this.windowStartId = headId;
    if (replayFromId !== undefined) this.replay = new ReplayBooks(replayFromId, headId, nowUs);
  }

  replayAskedFor(nowUs: number): void {
    this.replay?.askedFor(nowUs);
  }

  /** Subscribe was never acknowledged (or never sent: the connection failed): expect everything the target stored after `headId`. */
  assumeWindow(headId: number): void {
    if (this.windowStartId === NO_WINDOW) this.windowStartId = headId;
  }

  private capUs(): number {
    return Math.min(this.leaveUs, this.tl.endUs);
  }

  onEvent(ev: ScannedEvent, nowUs: number): void {
    const id = ev.id;
    // an event the live view counted as owed has arrived: its sums are stale
    if (this.owedMemo && ev.intendedUs <= this.owedMemo.throughUs) this.owedMemo = undefined;
    if (this.windowStartId === NO_WINDOW) this.windowStartId = id - 1; // event before any ack: start here
    if (id <= this.windowStartId) {
      this.onReplayed(id, nowUs);
      return;
    }
    const phase = phaseAt(this.tl, ev.intendedUs);
    if (this.received.testAndSet(id - this.windowStartId - 1)) {
      this.totals.duplicates++;
      this.rec.count(phase, 'duplicates');
      return;
    }
    if (id < this.maxId) {
      this.totals.outOfOrder++;
      this.rec.count(phase, 'outOfOrder');
    } else {
      this.maxId = id;
      this.newestIntendedUs = ev.intendedUs;
    }
    this.rec.arrived(phaseAt(this.tl, nowUs), nowUs);
    // an event intended after the client left ages nothing (the tracker stops at the cap)
    this.stall.outstanding(ev.intendedUs, nowUs, this.capUs());
    if (id <= this.accountedThroughId) {
      // already counted missing (and recorded at its lower bound): do not record it twice
      this.totals.lateArrivals++;
      this.rec.count(phase, 'lateArrivals');
      return;
    }
    this.totals.delivered++;
    this.rec.delivered(phase, nowUs - ev.intendedUs, nowUs - ev.sentUs, ev.intendedUs);
  }

  private onReplayed(id: number, nowUs: number): void {
    this.replay?.note(id, nowUs); // before the window and not a replay: not ours to judge
  }

  /**
   * At a phase's end, the staleness: the age of the oldest event due by then that the client is
   * owed after the newest one it has (0 when it has everything due). Older holes are counted when
   * the phase is accounted.
   */
  phaseEnded(endUs: number, ids: IdMap): void {
    const known = ids.expectedCount;
    let k = Number.isNaN(this.newestIntendedUs)
      ? firstKAtOrAfter(this.schedule, this.ownedFromUs)
      : firstKAtOrAfter(this.schedule, this.newestIntendedUs + 1);
    // the first event due by the end that it is owed; the mix repeats, so a filter that takes nothing
    // for a whole table length (4096 skipped) takes nothing at all
    let due = false;
    for (const last = Math.min(known, k + 4097); k < last && intendedUs(this.schedule, k) < endUs; k++) {
      if (this.expects(k)) {
        due = true;
        break;
      }
    }
    noteStaleness(this.rec, this.tl, endUs, this.leaveUs, due ? endUs - Math.max(intendedUs(this.schedule, k), this.ownedFromUs) : 0);
  }

  /**
   * Accounts every known event intended before `untilUs` (and before the client's last phase
   * ended): events not received are counted missing and recorded at `nowUs − intended`, a lower
   * bound of their latency, and stay outstanding (a stall) until they arrive. Idempotent per event.
   */
  account(untilUs: number, nowUs: number, ids: IdMap): void {
    const kEnd = Math.min(firstKAtOrAfter(this.schedule, Math.min(untilUs, this.leaveUs)), ids.expectedCount);
    if (kEnd > this.cursorK) {
      if (this.windowStartId === NO_WINDOW) this.windowStartId = Number.MAX_SAFE_INTEGER; // never asked for anything: nothing expected
      ids.forEach(this.cursorK, kEnd, (k, id) => {
        this.accountedThroughId = Math.max(this.accountedThroughId, id);
        if (id <= this.windowStartId || !this.expects(k)) return;
        if (this.received.has(id - this.windowStartId - 1)) return;
        const intended = intendedUs(this.schedule, k);
        this.totals.missing++;
        this.rec.missing(phaseAt(this.tl, intended), nowUs - intended, intended);
        this.outstanding.push(id, intended);
      });
      this.cursorK = kEnd;
    }
    const oldest = this.outstanding.oldest((id) => this.received.has(id - this.windowStartId - 1));
    this.stall.outstanding(oldest, nowUs, this.capUs()); // NaN (nothing outstanding) ages nothing
  }

  /** Closes the replay's books (at the end of the run or when the client leaves). */
  replayTotals(): ReplayTotals | undefined {
    return this.replay?.totals();
  }

  /**
   * For the live dashboard, read-only: every owed event intended before `nowUs` that has not
   * arrived and is not yet accounted (accounted ones are already recorded as missing), passed to
   * `fn` by its intended time, oldest first. At most `maxChecks` events are looked at per call, so
   * a client owed a huge backlog yields a lower bound. Changes nothing the run record reads.
   */
  forEachOwed(nowUs: number, ids: IdMap, maxChecks: number, fn: (intendedUs: number) => void): void {
    if (this.windowStartId === NO_WINDOW) return; // not subscribed yet: the live view waits for the ack
    const from = Math.max(this.cursorK, this.liveK);
    this.scanOwed(from, this.owedEnd(nowUs, ids, from + maxChecks), ids, fn, true);
  }

  /**
   * forEachOwed summed by second after `t0Us` ([second, count, newest intended time]) with the
   * oldest owed event's time, for the live dashboard. A stalled client is owed more every second,
   * and scanning all of it at every snapshot grew with the stall: the sums are kept, and a call only
   * scans what came due since the last, until an event it counted arrives or a phase is accounted
   * (then it sums afresh). At most `maxChecks` events are looked at per call.
   */
  owedSeconds(nowUs: number, ids: IdMap, maxChecks: number, t0Us: number): { bySecond: Map<number, OwedSecond>; oldestUs: number } {
    if (this.windowStartId === NO_WINDOW) return { bySecond: new Map(), oldestUs: NaN };
    let m = this.owedMemo;
    if (!m || m.t0Us !== t0Us || m.cursorK !== this.cursorK) {
      const fromK = Math.max(this.cursorK, this.liveK);
      m = this.owedMemo = { t0Us, cursorK: this.cursorK, fromK, throughK: fromK, throughUs: -Infinity, bySecond: new Map(), oldestUs: NaN };
    }
    const memo = m;
    const kEnd = this.owedEnd(nowUs, ids, memo.throughK + maxChecks);
    this.scanOwed(
      memo.throughK,
      kEnd,
      ids,
      (intended) => {
        if (!(memo.oldestUs <= intended)) memo.oldestUs = intended;
        const n = secondOf(t0Us, intended);
        const s = memo.bySecond.get(n) ?? memo.bySecond.set(n, [n, 0, intended]).get(n)!;
        s[1]++;
        s[2] = Math.max(s[2], intended);
      },
      memo.throughK === memo.fromK,
    );
    if (kEnd > memo.throughK) {
      memo.throughK = kEnd;
      memo.throughUs = intendedUs(this.schedule, kEnd - 1);
    }
    return { bySecond: memo.bySecond, oldestUs: memo.oldestUs };
  }

  /** Where a scan of owed events stops: now (or when the client left), the ids known, and `limitK`. */
  private owedEnd(nowUs: number, ids: IdMap, limitK: number): number {
    return Math.min(firstKAtOrAfter(this.schedule, Math.min(nowUs, this.leaveUs)), ids.expectedCount, limitK);
  }

  /** Passes each owed event in [from, kEnd) to `fn`; with `skipPrefix`, the delivered prefix is never looked at again. */
  private scanOwed(from: number, kEnd: number, ids: IdMap, fn: (intendedUs: number) => void, skipPrefix: boolean): void {
    let firstOwed = -1;
    ids.forEach(from, kEnd, (k, id) => {
      if (id <= this.windowStartId || this.received.has(id - this.windowStartId - 1) || !this.expects(k)) return;
      if (firstOwed < 0) firstOwed = k;
      fn(intendedUs(this.schedule, k));
    });
    if (skipPrefix && kEnd > from) this.liveK = firstOwed >= 0 ? firstOwed : kEnd;
  }
}
