// What one client should have received, and what it did: delivered, missing, duplicates,
// out-of-order, stalls, and (for catch-up) the replay. Undelivered events count: each expected
// event still missing when its phase is accounted is recorded at (accounting time − intended time),
// a lower bound of its real latency, so a histogram of survivors cannot hide a stalled server.
import type { GroupRecorder } from './recorder.js';
import type { IdMap } from './idMap.js';
import { intendedUs, firstKAtOrAfter, phaseAt, type Schedule, type Timeline } from './schedule.js';
import type { ScannedEvent } from './frameScan.js';

/** Decides whether scheduled event k belongs in this client's stream (filters, permissions). */
export type Expectation = (k: number) => boolean;

export interface ClientTotals {
  delivered: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  lateArrivals: number;
  maxStallUs: number;
}

export interface ReplayTotals {
  /** last_log_id sent, and the head the server acknowledged: the replay covers (from, to]. */
  fromId: number;
  toId: number;
  received: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  /** Subscribe sent → last replayed event, µs; NaN if the replay never finished. */
  timeToLiveUs: number;
  /** Replayed events per second over the replay. */
  ratePerSec: number;
}

/** What a client's books offer its connection, whether the stream is scheduled (ClientAccount) or learned (StreamAccount). */
export interface Account {
  leaveUs: number;
  readonly totals: ClientTotals;
  subscribed(headId: number, nowUs: number, replayFromId?: number): void;
  assumeWindow(headId: number): void;
  onEvent(ev: ScannedEvent, nowUs: number): void;
  account(untilUs: number, nowUs: number, ids: IdMap): void;
  /** Called the moment a phase ends, while the client is still there: records its staleness. */
  phaseEnded(endUs: number): void;
  replayTotals(): ReplayTotals | undefined;
}

/** Records how old the newest event a client had was when a phase ended (if it was still there). */
export function noteStaleness(rec: GroupRecorder, tl: Timeline, untilUs: number, leaveUs: number, newestUs: number): void {
  if (!Number.isFinite(untilUs) || untilUs > leaveUs || Number.isNaN(newestUs)) return;
  const p = phaseAt(tl, untilUs - 1);
  if (tl.ends[p] === untilUs) rec.staleness(p, Math.max(0, untilUs - newestUs));
}

/** A span without events: the client's longest stall, and each phase it overlaps records the part inside it. */
export function noteGap(rec: GroupRecorder, tl: Timeline, totals: ClientTotals, fromUs: number, toUs: number): void {
  if (toUs - fromUs > totals.maxStallUs) totals.maxStallUs = toUs - fromUs;
  for (let p = phaseAt(tl, fromUs); p < tl.ends.length; p++) {
    const start = tl.starts[p]!;
    if (start >= toUs) break;
    const overlap = Math.min(toUs, tl.ends[p]!) - Math.max(fromUs, start);
    if (overlap > 0) rec.stall(p, overlap);
  }
}

export class Bitset {
  /** Grows on first use: an idle connection should cost the generator next to nothing. */
  private bits = new Uint8Array(0);

  /** Sets bit i; returns whether it was already set. */
  testAndSet(i: number): boolean {
    const byte = i >>> 3;
    if (byte >= this.bits.length) {
      let n = Math.max(256, this.bits.length);
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
    const byte = i >>> 3;
    return byte < this.bits.length && (this.bits[byte]! & (1 << (i & 7))) !== 0;
  }
}

export class ClientAccount implements Account {
  /** Live delivery covers ids > windowStartId (the head the subscribe ack reported). */
  windowStartId = -1;
  private received = new Bitset();
  private maxId = 0;
  /** Publish time of the newest (highest-id) event received: its age at a phase's end is the staleness. */
  private newestIntendedUs = NaN;
  private lastDeliveryUs: number;
  /** Events with k < cursorK have been accounted (delivered or counted missing). */
  private cursorK = 0;
  private accountedThroughId = 0;
  /** Time the client left: events intended at or after it are not expected. */
  leaveUs = Infinity;
  readonly totals: ClientTotals = { delivered: 0, missing: 0, duplicates: 0, outOfOrder: 0, lateArrivals: 0, maxStallUs: 0 };
  replay?: ReplayTotals & { startedUs: number; lastUs: number; lastId: number; seen: Bitset };

  constructor(
    private readonly rec: GroupRecorder,
    private readonly tl: Timeline,
    private readonly schedule: Schedule,
    private readonly expects: Expectation,
    joinedUs: number,
  ) {
    this.lastDeliveryUs = joinedUs;
  }

  /** The subscribe ack arrived: live ids start after `headId`. For catch-up, `fromId` is last_log_id. */
  subscribed(headId: number, nowUs: number, replayFromId?: number): void {
    if (this.windowStartId < 0) this.windowStartId = headId;
    this.lastDeliveryUs = Math.max(this.lastDeliveryUs, nowUs);
    if (replayFromId !== undefined) {
      const total = Math.max(0, headId - replayFromId);
      this.replay = {
        fromId: replayFromId, toId: headId, received: 0, missing: 0, duplicates: 0, outOfOrder: 0,
        timeToLiveUs: total === 0 ? 0 : NaN, ratePerSec: 0, startedUs: nowUs, lastUs: nowUs, lastId: 0, seen: new Bitset(),
      };
    }
  }

  /** Subscribe was never acknowledged: expect everything the target stored after `headId`. */
  assumeWindow(headId: number): void {
    if (this.windowStartId < 0) this.windowStartId = headId;
  }

  onEvent(ev: ScannedEvent, nowUs: number): void {
    const id = ev.id;
    if (this.windowStartId < 0) this.windowStartId = id - 1; // event before any ack: start here
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
    this.noteStall(nowUs);
    if (id <= this.accountedThroughId) {
      // already counted missing (and recorded at its lower bound): do not record it twice
      this.totals.lateArrivals++;
      this.rec.count(phase, 'lateArrivals');
      return;
    }
    this.totals.delivered++;
    this.rec.delivered(phase, nowUs - ev.intendedUs, nowUs - ev.sentUs);
  }

  private noteStall(nowUs: number): void {
    this.rec.arrived(phaseAt(this.tl, nowUs));
    this.noteGap(this.lastDeliveryUs, nowUs);
    this.lastDeliveryUs = nowUs;
  }

  private noteGap(fromUs: number, toUs: number): void {
    noteGap(this.rec, this.tl, this.totals, fromUs, toUs);
  }

  private onReplayed(id: number, nowUs: number): void {
    const r = this.replay;
    if (!r || id <= r.fromId) return; // before the window and not a replay: not ours to judge
    if (r.seen.testAndSet(id - r.fromId - 1)) {
      r.duplicates++;
      return;
    }
    if (r.received > 0 && id < r.lastId) r.outOfOrder++;
    r.lastId = Math.max(r.lastId, id);
    r.received++;
    r.lastUs = nowUs;
    if (r.received === r.toId - r.fromId) r.timeToLiveUs = nowUs - r.startedUs;
  }

  /**
   * Accounts every known event intended before `untilUs` (and before the client left): events not
   * received are counted missing and recorded at `nowUs − intended`. Idempotent per event.
   */
  phaseEnded(endUs: number): void {
    noteStaleness(this.rec, this.tl, endUs, this.leaveUs, this.newestIntendedUs);
  }

  account(untilUs: number, nowUs: number, ids: IdMap): void {
    const kEnd = Math.min(firstKAtOrAfter(this.schedule, Math.min(untilUs, this.leaveUs)), ids.expectedCount);
    if (kEnd <= this.cursorK) return;
    if (this.windowStartId < 0) this.windowStartId = Number.MAX_SAFE_INTEGER; // never subscribed: nothing expected
    let missingPhaseMask = 0;
    ids.forEach(this.cursorK, kEnd, (k, id) => {
      if (id > this.accountedThroughId) this.accountedThroughId = id;
      if (id <= this.windowStartId || !this.expects(k)) return;
      if (this.received.has(id - this.windowStartId - 1)) return;
      const intended = intendedUs(this.schedule, k);
      const phase = phaseAt(this.tl, intended);
      this.totals.missing++;
      this.rec.missing(phase, nowUs - intended);
      missingPhaseMask |= 1 << Math.min(phase, 30);
    });
    this.cursorK = kEnd;
    // a client still missing events has been stalled since its last delivery
    if (missingPhaseMask) this.noteGap(this.lastDeliveryUs, Math.min(nowUs, this.leaveUs));
  }

  /** Closes the replay's books (at the end of the run or when the client leaves). */
  replayTotals(): ReplayTotals | undefined {
    const r = this.replay;
    if (!r) return undefined;
    const span = (r.lastUs - r.startedUs) / 1e6;
    return {
      fromId: r.fromId, toId: r.toId, received: r.received,
      missing: Math.max(0, r.toId - r.fromId - r.received),
      duplicates: r.duplicates, outOfOrder: r.outOfOrder, timeToLiveUs: r.timeToLiveUs,
      ratePerSec: span > 0 ? Math.round(r.received / span) : 0,
    };
  }
}
