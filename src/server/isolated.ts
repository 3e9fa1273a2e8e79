// Isolated mode (the fix): fan-out never waits on a socket. Each event is framed once; a session
// gets a small per-connection head plus the shared body, written straight to its socket, corked for
// the rest of the tick so a publish batch leaves as one writev. A session's queue is bounded in
// bytes (the socket's buffer is its queue); catch-up replay reads the log in pages with the session's
// own cursor, paced by that session's backpressure, and joins live delivery at the head. Replay runs
// only in its budgeted share of each loop turn, after the turn's I/O and never while live fan-out has
// work left (ReplayScheduler), and frames each step's events into one buffer, one write. With a
// shared store (PostgreSQL) pages are read asynchronously and live batches come from the store's feed.
// Live fan-out visits only the sessions whose subscriptions can want an event (SubscriptionIndex)
// and yields to the event loop every few milliseconds, so no publish holds the loop. A session whose
// filters are expensive to try on most events (over HEAVY_SESSION_TERMS terms, visited more than
// HEAVY_VISITS_PER_BATCH times in one batch) leaves live fan-out for its own cursor, like a
// catch-up, until it is back at the head: its matching cost then delays nobody but itself.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { nowUs } from '../clock.js';
import { CLOSE_SLOW_CLIENT, CLOSE_SLOW_CLIENT_REASON, type StatusMessage } from '../protocol/v0.js';
import type { LogPage, StoredEvent } from './eventLog.js';
import { eventFrameHead, eventFrameLength, rawSocket, textFrame, writeEventFrame } from './frame.js';
import type { QueueStats } from './metrics.js';
import { ClientGuard } from './limits.js';
import type { ClientRequest } from './clientFrames.js';
import { mayReadFast, type Reader } from './permissions.js';
import { PendingSends, type ObserveSend } from './pendingSends.js';
import {
  availabilityNotice,
  closeSockets,
  connectionWiring,
  storeEvents,
  Subscriptions,
  unsubscribe,
  type Hub,
  type ServerContext,
} from './session.js';
import { SubscriptionIndex } from './subscriptionIndex.js';
import { REPLAY_TURN_BYTES, ReplayScheduler } from './replayScheduler.js';

/** A replay step's buffer: the turn's budget plus room for the frame that crosses it (bigger steps get their own). */
const REPLAY_BUFFER_BYTES = REPLAY_TURN_BYTES + 16 * 1024;
/** Spare replay buffers kept for reuse (~2.5 MB). */
const SPARE_REPLAY_BUFFERS = 32;
/** Log entries a replaying session scans (matching or not) in one step. */
const REPLAY_SCAN = 8192;
/** Filter terms a replaying session may evaluate per step (events scanned × terms held) before yielding. */
const REPLAY_SCAN_TERMS = 100_000;
/** A session holding more filter terms than this is heavy to match... */
export const HEAVY_SESSION_TERMS = 100;
/** ...and when live fan-out tries it on more events than this in one batch, it continues on its own cursor. */
const HEAVY_VISITS_PER_BATCH = 8;
/** A replaying session whose page read failed (database away) tries again after this long. */
const PAGE_RETRY_MS = 250;
const NO_EVENTS: StoredEvent[] = [];
/** Where every session's chain of publishes starts: one promise for all, not one per subscriber. */
const SETTLED = Promise.resolve();
/** A replaying session pauses while its socket holds this much (bounded by half its byte budget). */
const REPLAY_LOW_WATER = 256 * 1024;
/** Per-connection head (frame header + `{"msgID":N,`) counted against the budget before it is built. */
const HEAD_ALLOWANCE = 32;
/** Live fan-out yields to the event loop after this long, so one publish cannot hold it longer. */
export const FANOUT_SLICE_MS = 10;
/** Live fan-out works in chunks of events sized to about this many session visits... */
const CHUNK_VISITS = 2048;
/** ...and at most this many events. */
const MAX_CHUNK = 64;

/** A stored batch on its way to live sessions, fanned out from `next` on. */
interface FanOutBatch {
  events: StoredEvent[];
  next: number;
  seq: number;
  /** Bytes the whole batch takes in one session's queue. */
  bytes: number;
}

class IsolatedSession {
  msgId = 0;
  readonly subs = new Subscriptions();
  /** While replaying: the last log id this session has considered. Live sessions are at the head. */
  replaying = false;
  cursor = 0;
  /** The page being replayed: events after the cursor, and the cursor once all of it is considered. */
  page = NO_EVENTS;
  pageAt = 0;
  pageEnd = 0;
  /** Bumped when a new catch-up moves the cursor, so an older page read in flight is discarded. */
  pageGeneration = 0;
  /** A shared store's page read the current step started (handed on by the hub as soon as the step ends). */
  pageRead: { page: Promise<LogPage>; through: number; limit: number } | undefined;
  /** Shared store: this session's publishes, one at a time, so ids and acks follow the order sent. */
  publishing: Promise<void> = SETTLED;
  readonly guard: ClientGuard;
  /** A replay step is scheduled, or waiting for 'drain' or a page read; at most one at a time. */
  pumpPending = false;
  corked = false;
  /** Under policy drop: the skipped ids not yet announced. */
  gap: [number, number] | undefined;
  /** Event frames not yet written to the kernel, oldest first. */
  readonly pending: PendingSends;
  /** A fan-out target: at least one subscription, and not following its own cursor. */
  live = false;
  /** Set by SubscriptionIndex to visit this session once per event. */
  indexStamp = 0;
  /** The live batch this session last saw, and its queued bytes when that batch's fan-out reached it. */
  batchSeq = 0;
  queuedAtBatch = 0;
  /** Events of that batch live fan-out tried this heavy session on. */
  heavyVisits = 0;
  /** Events of the fan-out chunk being delivered that this session may want. */
  readonly chunk: StoredEvent[] = [];

  constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
    readonly reader: Reader,
    readonly lowWater: number,
    observeSend: ObserveSend,
    ctx: ServerContext,
  ) {
    this.guard = new ClientGuard(ctx, ws, reader);
    this.pending = new PendingSends(observeSend);
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  noteEnqueued(us: number): void {
    this.pending.begin(us);
  }

  /**
   * Per-send timing costs one shared callback per frame. Measured with scripts/bench-serve-fanout.mjs
   * (50 clients, 100-event batches): 0.86–1.10 M deliveries/s with it, 0.92–0.94 M without, i.e. within
   * run-to-run noise, so sends are timed one by one rather than once per uncorked batch.
   *
   * One shared callback for every event frame: write callbacks fire in write order, so the oldest
   * enqueue time belongs to the frame just written. A failed write (socket gone) ends its send too.
   */
  readonly onWritten = (err?: Error | null): void => {
    this.pending.end(nowUs(), err ? 'failed' : 'written');
  };

  /** Completion of one replay write holding `count` event frames; `release` takes back its buffer. */
  replayWritten(count: number, release?: () => void): (err?: Error | null) => void {
    return (err) => {
      this.pending.endMany(nowUs(), err ? 'failed' : 'written', count);
      release?.();
    };
  }
}

/** Why a replay step stopped collecting events. */
type StepEnd = 'budget' | 'live' | 'drain' | 'read' | 'slow' | 'page';

export class IsolatedHub implements Hub {
  private readonly sessions = new Set<IsolatedSession>();
  private readonly corked: IsolatedSession[] = [];
  /** Catch-up replay's share of each loop turn, round robin over the replaying sessions. */
  private readonly replay = new ReplayScheduler<IsolatedSession>({
    step: (s, budget) => this.pump(s, budget),
    liveBusy: () => this.fanning,
  });
  /**
   * Replay buffers whose writes have completed. Allocating a fresh 64 KiB buffer per step (~200 MB/s
   * of external memory at 650k events/s) made V8 collect more often, and each collection of a heap
   * holding a 1,000,000-event log paused the loop for up to ~12 ms (profiled).
   */
  private readonly spareReplayBuffers: Buffer[] = [];
  /** The events a replay step frames into its one buffer (reused), and the log entries the step has considered. */
  private readonly replayEvents: StoredEvent[] = [];
  private stepScanned = 0;
  private flushScheduled = false;
  private readonly observeSend: ObserveSend;
  private readonly index = new SubscriptionIndex<IsolatedSession>();
  /** Stored batches not yet fanned out to every live session, oldest first. */
  private readonly pending: FanOutBatch[] = [];
  private fanning = false;
  private batchSeq = 0;
  /** Every event up to this id has been fanned out; those after it are pending. */
  private fannedThrough: number;
  /** The chunk being fanned out: its current event, the sessions it touched, and how many it visited. */
  private chunkEvent: StoredEvent | undefined;
  private readonly touched: IsolatedSession[] = [];
  private visits = 0;
  private chunkSize = 1;

  /** Wires an accepted connection to its session. */
  private readonly serve: (ws: WebSocket, s: IsolatedSession) => void;

  constructor(private readonly ctx: ServerContext) {
    this.observeSend = (us, outcome) => ctx.metrics.observeSend(us, outcome);
    this.serve = connectionWiring<IsolatedSession>(ctx, {
      request: (s, request) => this.handle(s, request),
      refused: (s, reply) => this.reply(s, reply),
      closed: (s) => {
        this.sessions.delete(s);
        this.replay.cancel(s);
        s.live = false;
        for (const sub of s.subs.all()) this.index.remove(s, sub.indexTerm);
        s.pending.abandon(nowUs());
      },
    });
    this.fannedThrough = ctx.log.headId;
    ctx.log.onLive((events) => this.fanOut(events));
    ctx.log.onAvailability((available) => this.announceAvailability(available));
  }

  accept(ws: WebSocket, reader: Reader): void {
    const socket = rawSocket(ws);
    const budgetHalf = Math.floor(this.ctx.options.queueBytes / 2);
    const lowWater = Math.max(socket.writableHighWaterMark, Math.min(REPLAY_LOW_WATER, budgetHalf));
    const s = new IsolatedSession(ws, socket, reader, lowWater, this.observeSend, this.ctx);
    this.sessions.add(s);
    this.serve(ws, s);
  }

  private handle(s: IsolatedSession, request: ClientRequest): void {
    switch (request.method) {
      case 'publish': {
        if (this.ctx.log.shared) {
          // The store feeds fan-out itself (onLive), in id order across processes.
          s.publishing = s.publishing.then(async () => {
            const outcome = storeEvents(this.ctx, s.reader, request.events);
            this.reply(s, outcome instanceof Promise ? await outcome : outcome.reply);
          });
          return;
        }
        const outcome = storeEvents(this.ctx, s.reader, request.events) as Exclude<ReturnType<typeof storeEvents>, Promise<unknown>>;
        this.reply(s, outcome.reply);
        if (outcome.stored.length > 0) this.fanOut(outcome.stored);
        return;
      }
      case 'unsubscribe': {
        const { reply, removed } = unsubscribe(s.subs, s.guard, request, this.consideredThrough(s));
        for (const sub of removed) this.index.remove(s, sub.indexTerm);
        this.reply(s, reply);
        if (s.subs.size === 0) s.live = false;
        return;
      }
      case 'subscribe': {
        const refused = s.guard.admitSubscription(s.subs, request);
        if (refused) return this.reply(s, refused);
        const head = this.ctx.log.headId;
        const considered = this.consideredThrough(s);
        const sub = s.subs.add(request, request.lastLogId === undefined ? head : Math.min(request.lastLogId, head), considered);
        this.index.add(s, sub.indexTerm);
        this.reply(s, { status: 200, last_log_id: head });
        if (sub.fromId < considered) {
          // Catch-up: leave live fan-out; the session's own cursor reads the log up to the head.
          this.followCursor(s, sub.fromId);
        } else if (!s.replaying) {
          s.live = true;
        }
        return;
      }
    }
  }

  /** The highest id a session has considered: its cursor while replaying; events after fannedThrough are still on their way through pending fan-out. */
  private consideredThrough(s: IsolatedSession): number {
    return s.replaying ? s.cursor : this.fannedThrough;
  }

  /** Takes a session out of live fan-out: its own cursor reads the log from `fromId` (catch-up, or a heavy session). */
  private followCursor(s: IsolatedSession, fromId: number): void {
    s.cursor = fromId;
    s.page = NO_EVENTS;
    s.pageAt = 0;
    s.pageEnd = fromId;
    s.pageGeneration++;
    s.replaying = true;
    s.live = false;
    if (!s.pumpPending) this.yieldPump(s);
  }

  /**
   * Live delivery of a stored batch: each event to the sessions that may want it, in id order, never
   * waiting on a socket. Batches are fanned out in order; one that takes longer than FANOUT_SLICE_MS
   * continues after the event loop has had its turn (later batches wait behind it).
   */
  private fanOut(events: StoredEvent[]): void {
    let bytes = 0;
    for (const event of events) bytes += event.body.length + HEAD_ALLOWANCE;
    this.pending.push({ events, next: 0, seq: ++this.batchSeq, bytes });
    if (!this.fanning) this.continueFanOut();
  }

  private readonly continueFanOut = (): void => {
    this.fanning = true;
    const started = performance.now();
    const now = nowUs();
    while (this.pending.length > 0) {
      const batch = this.pending[0]!;
      while (batch.next < batch.events.length) {
        // A chunk of events: first which live sessions may want each, then each session its own
        // events in id order (one socket at a time is kinder to the CPU's caches than one event at a time).
        const from = batch.next;
        const to = Math.min(batch.events.length, from + this.chunkSize);
        let visits = 0;
        for (let i = from; i < to; i++) {
          this.chunkEvent = batch.events[i]!;
          this.index.forEachCandidate(this.chunkEvent, this.collect);
          visits += this.visits;
          this.visits = 0;
        }
        for (const s of this.touched) {
          this.deliverChunk(s, batch, now);
          s.chunk.length = 0;
        }
        this.touched.length = 0;
        batch.next = to;
        this.fannedThrough = batch.events[to - 1]!.id;
        // About CHUNK_VISITS session visits per chunk, so the clock is read often enough.
        const visitsPerEvent = visits / (to - from);
        this.chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.floor(CHUNK_VISITS / Math.max(1, visitsPerEvent))));
        if (performance.now() - started > FANOUT_SLICE_MS) {
          setImmediate(this.continueFanOut);
          return;
        }
      }
      this.pending.shift();
    }
    this.fanning = false;
  };

  /** Notes that live session `s` may want the chunk's current event. */
  private readonly collect = (s: IsolatedSession): void => {
    this.visits++;
    if (!s.live) return;
    if (s.chunk.length === 0) this.touched.push(s);
    s.chunk.push(this.chunkEvent!);
  };

  /** Delivers one session its events of the current chunk that it may read and matches, in id order. */
  private deliverChunk(s: IsolatedSession, batch: FanOutBatch, now: number): void {
    for (const event of s.chunk) {
      // A session that replayed past this event (and then went live) already has it.
      if (!s.live) return;
      if (event.id <= s.cursor) continue;
      if (s.batchSeq !== batch.seq) {
        s.batchSeq = batch.seq;
        s.queuedAtBatch = s.socket.writableLength;
        s.heavyVisits = 0;
      }
      if (s.subs.filterTerms > HEAVY_SESSION_TERMS && ++s.heavyVisits > HEAVY_VISITS_PER_BATCH) {
        // Too expensive to try on every event here: it reads the rest from the log, paced, from this event on.
        return this.followCursor(s, event.id - 1);
      }
      if (!mayReadFast(s.reader, event.ownerUuid) || !s.subs.matches(event)) continue;
      // One batch never cuts off a healthy client: a session with nothing queued when this batch
      // reached it takes the whole batch (capped at 4 × --queue-bytes by the parser).
      if (!this.deliver(s, event, now, s.queuedAtBatch === 0 ? batch.bytes : 0)) return;
    }
  }

  /** Writes one event to a session within its byte budget (plus `allowance`); false when the session is gone or closed. */
  private deliver(s: IsolatedSession, event: StoredEvent, now: number, allowance = 0): boolean {
    if (!s.open) return false;
    const socket = s.socket;
    const queued = socket.writableLength;
    // An empty queue always takes the event, so one event bigger than the budget is not undeliverable.
    if (queued > 0 && queued + event.body.length + HEAD_ALLOWANCE > this.ctx.options.queueBytes + allowance) {
      return this.overflow(s, event);
    }
    if (s.gap) this.announceGap(s);
    this.cork(s);
    socket.write(eventFrameHead(++s.msgId, event.body.length));
    s.noteEnqueued(now);
    socket.write(event.body, s.onWritten);
    this.ctx.metrics.eventsOut++;
    return true;
  }

  private overflow(s: IsolatedSession, event: StoredEvent): boolean {
    if (this.ctx.options.overflow === 'close') {
      this.ctx.metrics.slowClientCloses++;
      s.live = false;
      s.replaying = false;
      // The session is given up: its queued frames are no longer sends the server waits on.
      s.pending.abandon(nowUs());
      // The close frame queues behind the unread bytes; ws destroys the socket if the close
      // handshake does not finish within its closeTimeout.
      s.ws.close(CLOSE_SLOW_CLIENT, CLOSE_SLOW_CLIENT_REASON);
      return false;
    }
    if (s.gap) {
      s.gap[1] = event.id;
    } else {
      s.gap = [event.id, event.id];
      // Announce as soon as the socket drains, even if no further event comes.
      if (s.socket.writableNeedDrain) s.socket.once('drain', () => s.gap && s.open && this.announceGap(s));
    }
    return true;
  }

  private announceGap(s: IsolatedSession): void {
    const gap = s.gap!;
    s.gap = undefined;
    this.ctx.metrics.gaps++;
    this.reply(s, { status: 409, gap });
  }

  private reply(s: IsolatedSession, status: StatusMessage): void {
    if (!s.open) return;
    // Replies count against the byte budget too: a client that sends but never reads is a slow client.
    if (s.socket.writableLength > this.ctx.options.queueBytes) {
      this.ctx.metrics.refused('reply_over_budget');
      this.ctx.metrics.slowClientCloses++;
      s.live = false;
      s.replaying = false;
      s.pending.abandon(nowUs());
      s.ws.close(CLOSE_SLOW_CLIENT, CLOSE_SLOW_CLIENT_REASON);
      return;
    }
    this.cork(s);
    s.socket.write(textFrame(JSON.stringify(status)));
  }

  /** Corks a socket for the rest of this tick, so everything it gets now leaves in one writev. */
  private cork(s: IsolatedSession): void {
    if (s.corked) return;
    s.corked = true;
    s.socket.cork();
    this.corked.push(s);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const s of this.corked) {
      s.corked = false;
      s.socket.uncork();
    }
    this.corked.length = 0;
  };

  /**
   * Replay step for one session, run by the ReplayScheduler in its share of a loop turn: frames the
   * matching events after the cursor, up to about `budget` bytes, into one buffer and writes it, then
   * asks for another step, waits for 'drain' or for a page read. Reaching the head switches to live
   * in the same synchronous step, so no event is missed or sent twice. Pages never reach past the
   * head, so an event is either replayed or delivered live, never both. Returns the bytes written.
   */
  private pump(s: IsolatedSession, budget: number): number {
    s.pumpPending = false;
    if (!s.open || !s.replaying) return 0;
    const now = nowUs();
    const events = this.replayEvents;
    this.stepScanned = 0;
    let bytes = 0;
    for (;;) {
      const end = this.collectReplay(s, budget - bytes, events);
      bytes += this.writeReplay(s, events, now);
      events.length = 0;
      switch (end) {
        case 'live':
          s.replaying = false;
          if (s.subs.size > 0) s.live = true;
          return bytes;
        case 'drain':
          s.pumpPending = true;
          s.socket.once('drain', () => this.yieldPump(s));
          return bytes;
        case 'read':
          this.readNextPage(s);
          return bytes;
        case 'budget':
          this.yieldPump(s);
          return bytes;
        case 'page':
          break;
        case 'slow': {
          // Over the byte budget, or a drop gap to announce first: the one-event path decides (close, or gap).
          const event = s.page[s.pageAt++]!;
          s.cursor = event.id;
          this.stepScanned++;
          const queued = s.socket.writableLength;
          if (!this.deliver(s, event, now)) return bytes;
          bytes += Math.max(0, s.socket.writableLength - queued);
        }
      }
    }
  }

  /** Collects into `events` the matching events after the cursor that fit this step; says why it stopped. */
  private collectReplay(s: IsolatedSession, budget: number, events: StoredEvent[]): StepEnd {
    const log = this.ctx.log;
    const queueBytes = this.ctx.options.queueBytes;
    const queuedBefore = s.socket.writableLength;
    let bytes = 0;
    const scanLimit = Math.max(16, Math.min(REPLAY_SCAN, Math.floor(REPLAY_SCAN_TERMS / Math.max(1, s.subs.filterTerms))));
    for (;;) {
      if (s.pageAt >= s.page.length) {
        s.cursor = Math.max(s.cursor, s.pageEnd);
        s.page = NO_EVENTS;
        s.pageAt = 0;
        if (s.cursor >= log.headId) return 'live';
        if (bytes >= budget || this.stepScanned >= scanLimit) return 'budget';
        // Write what is collected before the next page: loading it may announce a gap, which must follow them.
        if (events.length > 0) return 'page';
        const through = log.headId;
        const limit = log.pageSize; // the memory log's page size follows its event sizes: read it once
        const page = log.readPage(s.cursor, through, limit);
        if (page instanceof Promise) {
          s.pageRead = { page, through, limit };
          return 'read';
        }
        this.loadPage(s, page, through, limit);
        continue;
      }
      const queued = queuedBefore + bytes;
      if (queued >= s.lowWater) return 'drain';
      if (bytes >= budget || this.stepScanned >= scanLimit) return 'budget';
      const event = s.page[s.pageAt]!;
      if (!mayReadFast(s.reader, event.ownerUuid) || !s.subs.matches(event)) {
        s.pageAt++;
        s.cursor = event.id;
        this.stepScanned++;
        continue;
      }
      // The same test as deliver(): an empty queue always takes the event.
      if (s.gap || (queued > 0 && queued + event.body.length + HEAD_ALLOWANCE > queueBytes)) return 'slow';
      s.pageAt++;
      s.cursor = event.id;
      this.stepScanned++;
      events.push(event);
      bytes += eventFrameLength(s.msgId + events.length, event.body.length);
    }
  }

  /** Frames a step's events into one buffer and writes it: one write and one completion for all of them. */
  private writeReplay(s: IsolatedSession, events: StoredEvent[], now: number): number {
    if (events.length === 0) return 0;
    let total = 0;
    for (let i = 0; i < events.length; i++) total += eventFrameLength(s.msgId + 1 + i, events[i]!.body.length);
    const whole = total <= REPLAY_BUFFER_BYTES ? (this.spareReplayBuffers.pop() ?? Buffer.allocUnsafeSlow(REPLAY_BUFFER_BYTES)) : undefined;
    const buf = whole ? whole.subarray(0, total) : Buffer.allocUnsafe(total);
    let at = 0;
    for (const event of events) at = writeEventFrame(buf, at, ++s.msgId, event.body);
    s.pending.beginMany(now, events.length);
    // the kernel has the bytes once the write completes: the buffer is then free for another step
    const release = whole && (() => this.spareReplayBuffers.length < SPARE_REPLAY_BUFFERS && this.spareReplayBuffers.push(whole));
    s.socket.write(buf, s.replayWritten(events.length, release));
    this.ctx.metrics.eventsOut += events.length;
    this.ctx.metrics.replayedEvents += events.length;
    return total;
  }

  /** A shared store's page read in flight: the step that needs it is asked for once it is loaded. */
  private readNextPage(s: IsolatedSession): void {
    const read = s.pageRead!;
    s.pageRead = undefined;
    s.pumpPending = true;
    const generation = s.pageGeneration;
    read.page.then(
      (p) => {
        if (generation === s.pageGeneration) this.loadPage(s, p, read.through, read.limit);
        this.yieldPump(s);
      },
      () => setTimeout(() => this.yieldPump(s), PAGE_RETRY_MS),
    );
  }

  /** Asks for a replay step of `s` in the ReplayScheduler's share of a later loop turn. */
  private yieldPump(s: IsolatedSession): void {
    s.pumpPending = true;
    this.replay.request(s);
  }

  /** Takes a page read after the cursor; ids the store no longer holds get a gap notice first. */
  private loadPage(s: IsolatedSession, page: LogPage, through: number, limit: number): void {
    const firstId = page.events.length > 0 ? page.events[0]!.id : through + 1;
    const gapEnd = Math.min(firstId, page.oldestId) - 1;
    if (gapEnd > s.cursor) {
      s.gap = undefined; // a pending drop gap is inside the range announced now
      this.ctx.metrics.gaps++;
      this.reply(s, { status: 409, gap: [s.cursor + 1, gapEnd] });
      s.cursor = gapEnd;
    }
    s.page = page.events;
    s.pageAt = 0;
    s.pageEnd = page.events.length < limit ? through : page.events[page.events.length - 1]!.id;
  }

  /** Tells every session that live delivery paused (database away) or resumed; never silence. */
  private announceAvailability(available: boolean): void {
    const status = availabilityNotice(available, this.ctx.log.unavailableReason);
    for (const s of this.sessions) this.reply(s, status);
  }

  queueStats(): QueueStats {
    let maxBytes = 0;
    let sumBytes = 0;
    const pending: PendingSends[] = [];
    for (const s of this.sessions) {
      const bytes = s.socket.writableLength;
      sumBytes += bytes;
      if (bytes > maxBytes) maxBytes = bytes;
      pending.push(s.pending);
    }
    return { sessions: this.sessions.size, maxBytes, sumBytes, pending };
  }

  closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    return closeSockets(
      [...this.sessions].map((s) => s.ws),
      code,
      reason,
      graceMs,
    );
  }
}
