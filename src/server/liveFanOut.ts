// Live fan-out in isolated mode: each stored batch to the live sessions that may want its events,
// in id order, never waiting on a socket. It visits only the sessions whose subscriptions can want an
// event (SubscriptionIndex) and yields to the event loop every FANOUT_SLICE_MS, so no publish holds
// the loop. A session whose filters are expensive to try on most events (over HEAVY_SESSION_TERMS
// terms, visited more than HEAVY_VISITS_PER_BATCH times in one batch) leaves live fan-out for its own
// cursor (cursorReplay.ts), like a catch-up, until it is back at the head: its matching cost then
// delays nobody but itself.
//
// Fan-out runs once per turn of the event loop (setImmediate), not once per publish: batches stored
// in the same turn go out together, each session's share of them in one write. An idle server adds
// one loop phase to a lone publish; a server behind (publishes waiting in its socket) catches up,
// where one write per publish per session kept it behind at the same cost per publish (smart
// batching: the busier it is, the more each write carries). A session that takes every event of a
// chunk (a subscription without filters, every owner readable, nothing queued) is written the chunk
// framed once for all such sessions (sharedFrames.ts): only their msgID digits differ.
import { nowUs } from '../clock.js';
import type { StoredEvent } from './eventLog.js';
import { eventFrameLength } from './frame.js';
import { mayReadFast } from './permissions.js';
import type { SubscriptionIndex } from './subscriptionIndex.js';
import type { CursorReplay } from './cursorReplay.js';
import { SharedFrames } from './sharedFrames.js';
import type { IsolatedSession } from './isolatedSession.js';
import { HEAD_ALLOWANCE, type SessionWriter } from './sessionWriter.js';

/** A session holding more filter terms than this is heavy to match... */
const HEAVY_SESSION_TERMS = 100;
/** ...and when live fan-out tries it on more events than this in one batch, it continues on its own cursor. */
const HEAVY_VISITS_PER_BATCH = 8;
/** Live fan-out yields to the event loop after this long, so one publish cannot hold it longer. */
const FANOUT_SLICE_MS = 10;
/**
 * Live fan-out works in chunks of events sized to about this many session visits: each session's
 * events of a chunk are one write, a write(2) of its own on an idle socket, so a chunk as large as a
 * published batch of 100 to 100 sessions makes as many frames per system call as the batched write
 * limit; the slice's clock is read once per chunk (a few milliseconds at most)...
 */
const CHUNK_VISITS = 16384;
/** ...and at most this many events (framed, a piece of FrameArena's of at most 128 KiB for bodies up to ~1 KB). */
const MAX_CHUNK = 128;

/** A stored batch on its way to live sessions, fanned out from `next` on. */
interface FanOutBatch {
  events: StoredEvent[];
  /** Whether `events` is this fan-out's own array (later batches merged into it), not the store's. */
  merged: boolean;
  next: number;
  seq: number;
  /** Bytes the whole batch takes in one session's queue. */
  bytes: number;
}

export class LiveFanOut {
  /** Stored batches not yet fanned out to every live session, oldest first. */
  private readonly pending: FanOutBatch[] = [];
  /** True while a batch is being fanned out or waits for its turn (catch-up replay waits for it). */
  fanning = false;
  private batchSeq = 0;
  /** Every event up to this id has been fanned out; those after it are pending. */
  fannedThrough: number;
  /** The chunk being fanned out: its current event, the sessions it touched, and how many it visited. */
  private chunkEvent: StoredEvent | undefined;
  private readonly touched: IsolatedSession[] = [];
  private visits = 0;
  private chunkSize = 1;
  /** The events of the chunk one session is given in one write (reused). */
  private readonly out: StoredEvent[] = [];
  /** The chunk framed once for the sessions that take all of it. */
  private readonly shared = new SharedFrames();

  constructor(
    headId: number,
    private readonly index: SubscriptionIndex<IsolatedSession>,
    private readonly writer: SessionWriter,
    private readonly replay: CursorReplay,
    /** The most bytes (bodies + HEAD_ALLOWANCE each) batches are merged up to: a publish batch's cap. */
    private readonly maxBatchBytes: number,
  ) {
    this.fannedThrough = headId;
  }

  /**
   * Live delivery of a stored batch: each event to the sessions that may want it, in id order, never
   * waiting on a socket. Batches are fanned out in order, in the next check phase of the event loop;
   * one stored while an earlier one still waits there joins it (up to a publish batch's byte cap), so
   * each session gets the turn's events in one write. One that takes longer than FANOUT_SLICE_MS
   * continues after the event loop has had its turn (later batches wait behind it).
   */
  fanOut(events: StoredEvent[]): void {
    let bytes = 0;
    for (const event of events) bytes += event.body.length + HEAD_ALLOWANCE;
    const last = this.pending[this.pending.length - 1];
    if (last !== undefined && last.next === 0 && last.bytes + bytes <= this.maxBatchBytes) {
      // not begun: one batch from now on (the store's array is copied once, never written to)
      if (!last.merged) {
        last.events = last.events.slice();
        last.merged = true;
      }
      for (const event of events) last.events.push(event);
      last.bytes += bytes;
    } else {
      this.pending.push({ events, merged: false, next: 0, seq: ++this.batchSeq, bytes });
    }
    if (this.fanning) return;
    this.fanning = true;
    this.schedule();
  }

  /**
   * Whether live fan-out has work left for a later turn, once any fan-out due in this turn has run:
   * catch-up replay asks first thing in its own turn (both run in the loop's check phase), so live
   * events stored in this turn's I/O go out before replay takes its share of the turn.
   */
  busyAfterDue(): boolean {
    if (this.due !== undefined) {
      clearImmediate(this.due);
      this.runDue();
    }
    return this.fanning;
  }

  /** The fan-out turn queued for the check phase, if any. */
  private due: NodeJS.Immediate | undefined;

  private schedule(): void {
    this.due = setImmediate(this.runDue);
  }

  private readonly runDue = (): void => {
    this.due = undefined;
    this.continueFanOut();
  };

  private readonly continueFanOut = (): void => {
    const started = performance.now();
    const now = nowUs();
    while (this.pending.length > 0) {
      const batch = this.pending[0]!;
      while (batch.next < batch.events.length) {
        // A chunk of events: first which live sessions may want each, then each session its own
        // events in id order (one socket at a time is kinder to the CPU's caches than one event at a time).
        // Sessions that scan every event are candidates for the whole chunk: taken once, not per event.
        const from = batch.next;
        const to = Math.min(batch.events.length, from + this.chunkSize);
        this.index.forEachScanned(this.collectWhole);
        let visits = this.visits * (to - from);
        this.visits = 0;
        for (let i = from; i < to; i++) {
          this.chunkEvent = batch.events[i]!;
          this.index.forEachIndexedCandidate(this.chunkEvent, this.collect);
          visits += this.visits;
          this.visits = 0;
        }
        this.shared.reset(batch.events, from, to);
        for (const s of this.touched) {
          if (s.wholeChunk) this.deliverChunk(s, batch, batch.events, from, to, now);
          else this.deliverChunk(s, batch, s.chunk, 0, s.chunk.length, now);
          s.chunk.length = 0;
          s.wholeChunk = false;
        }
        this.touched.length = 0;
        batch.next = to;
        this.fannedThrough = batch.events[to - 1]!.id;
        // About CHUNK_VISITS session visits per chunk, so the clock is read often enough.
        const visitsPerEvent = visits / (to - from);
        this.chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.floor(CHUNK_VISITS / Math.max(1, visitsPerEvent))));
        if (performance.now() - started > FANOUT_SLICE_MS) {
          this.schedule();
          return;
        }
      }
      this.pending.shift();
    }
    this.fanning = false;
  };

  /** Notes that live session `s` may want every event of the chunk. */
  private readonly collectWhole = (s: IsolatedSession): void => {
    this.visits++;
    if (!s.live) return;
    s.wholeChunk = true;
    this.touched.push(s);
  };

  /** Notes that live session `s` may want the chunk's current event. */
  private readonly collect = (s: IsolatedSession): void => {
    this.visits++;
    if (!s.live) return;
    if (s.chunk.length === 0) this.touched.push(s);
    s.chunk.push(this.chunkEvent!);
  };

  /**
   * Whether session `s` is to be given every event of the current chunk, within its budget, so the
   * chunk's shared frames can be written to it as they are: it was a candidate for each event, it may
   * read every owner, a subscription without filters takes each event (none delivered any before, and
   * it has not replayed past them), it is not heavy, has no gap to announce and nothing queued since
   * this batch reached it (the one-batch allowance then covers the whole chunk: see deliverChunk).
   */
  private takesWholeChunk(s: IsolatedSession, batch: FanOutBatch, first: StoredEvent): boolean {
    if (
      !s.wholeChunk ||
      !s.live ||
      s.reader.groupSet !== undefined ||
      s.gap !== undefined ||
      s.subs.filterTerms > HEAVY_SESSION_TERMS ||
      first.id <= s.cursor ||
      first.id <= s.subs.takesEverythingAfter()
    )
      return false;
    const queued = s.socket.writableLength;
    if (queued !== 0) return false;
    if (s.batchSeq !== batch.seq) {
      s.batchSeq = batch.seq;
      s.queuedAtBatch = queued;
      s.heavyVisits = 0;
    }
    return s.queuedAtBatch === 0;
  }

  /**
   * Delivers one session the events it may read and matches of `events[from, to)` (its candidates of
   * the current chunk), in id order: those within its budget framed together into one write, an event
   * over it (or after a gap) through the one-event path that applies the overflow policy.
   */
  private deliverChunk(
    s: IsolatedSession,
    batch: FanOutBatch,
    events: readonly StoredEvent[],
    from: number,
    to: number,
    now: number,
  ): void {
    if (this.takesWholeChunk(s, batch, events[from]!) && this.writer.deliverShared(s, this.shared, now)) return;
    const out = this.out;
    let queuedBefore = s.socket.writableLength;
    let bytes = 0;
    for (let i = from; i < to; i++) {
      const event = events[i]!;
      // A session that replayed past this event (and then went live) already has it.
      if (!s.live) break;
      if (event.id <= s.cursor) continue;
      if (s.batchSeq !== batch.seq) {
        s.batchSeq = batch.seq;
        s.queuedAtBatch = queuedBefore + bytes;
        s.heavyVisits = 0;
      }
      if (s.subs.filterTerms > HEAVY_SESSION_TERMS && ++s.heavyVisits > HEAVY_VISITS_PER_BATCH) {
        // Too expensive to try on every event here: it reads the rest from the log, paced, from this event on.
        this.writer.deliverFrames(s, out, bytes, now);
        out.length = 0;
        return this.replay.follow(s, event.id - 1);
      }
      if (!mayReadFast(s.reader, event.ownerUuid) || !s.subs.matches(event)) continue;
      // One batch never cuts off a healthy client: a session with nothing queued when this batch
      // reached it takes the whole batch (capped at 4 × --queue-bytes by the parser).
      const allowance = s.queuedAtBatch === 0 ? batch.bytes : 0;
      if (this.writer.needsDeliver(s, event, queuedBefore + bytes, allowance)) {
        this.writer.deliverFrames(s, out, bytes, now);
        out.length = 0;
        bytes = 0;
        if (!this.writer.deliver(s, event, now, allowance)) return;
        queuedBefore = s.socket.writableLength;
        continue;
      }
      bytes += eventFrameLength(s.msgId + out.length + 1, event.body.length);
      out.push(event);
    }
    this.writer.deliverFrames(s, out, bytes, now);
    out.length = 0;
  }
}
