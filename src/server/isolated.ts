// Isolated mode (the fix): fan-out never waits on a socket. Each event is framed once; a session
// gets a small per-connection head plus the shared body, written straight to its socket, corked for
// the rest of the tick so a publish batch leaves as one writev. A session's queue is bounded in
// bytes (the socket's buffer is its queue); catch-up replay reads the log in pages with the session's
// own cursor, paced by that session's backpressure, and joins live delivery at the head. With a
// shared store (PostgreSQL) pages are read asynchronously and live batches come from the store's feed.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { nowUs } from '../clock.js';
import { CLOSE_SLOW_CLIENT, CLOSE_SLOW_CLIENT_REASON, type StatusMessage } from '../protocol/v0.js';
import type { LogPage, StoredEvent } from './eventLog.js';
import { eventFrameHead, rawSocket, textFrame } from './frame.js';
import type { QueueStats } from './metrics.js';
import { ClientGuard } from './limits.js';
import type { ClientRequest } from './messages.js';
import { mayReadFast, type Reader } from './permissions.js';
import { PendingSends, type ObserveSend } from './pendingSends.js';
import { closeSockets, serveConnection, storeEvents, Subscriptions, unsubscribeReply, type Hub, type ServerContext } from './session.js';

/** Matching events a replaying session writes before yielding to the event loop. */
const REPLAY_PAGE = 256;
/** Log entries a replaying session scans (matching or not) before yielding. */
const REPLAY_SCAN = 8192;
/** A replaying session whose page read failed (database away) tries again after this long. */
const PAGE_RETRY_MS = 250;
const NO_EVENTS: StoredEvent[] = [];
/** A replaying session pauses while its socket holds this much (bounded by half its byte budget). */
const REPLAY_LOW_WATER = 256 * 1024;
/** Per-connection head (frame header + `{"msgID":N,`) counted against the budget before it is built. */
const HEAD_ALLOWANCE = 32;

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
  /** Shared store: this session's publishes, one at a time, so ids and acks follow the order sent. */
  publishing: Promise<void> = Promise.resolve();
  readonly guard: ClientGuard;
  /** A pump is scheduled or waiting for 'drain'; at most one at a time. */
  pumpPending = false;
  corked = false;
  /** Under policy drop: the skipped ids not yet announced. */
  gap: [number, number] | undefined;
  /** Event frames not yet written to the kernel, oldest first. */
  readonly pending: PendingSends;

  constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
    readonly reader: Reader,
    readonly lowWater: number,
    observeSend: ObserveSend,
    ctx: ServerContext,
  ) {
    this.guard = new ClientGuard(ctx, ws);
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
}

export class IsolatedHub implements Hub {
  private readonly sessions = new Set<IsolatedSession>();
  /** Sessions with at least one subscription that are not replaying: the fan-out targets. */
  private readonly live = new Set<IsolatedSession>();
  private readonly corked: IsolatedSession[] = [];
  private flushScheduled = false;
  private readonly observeSend: ObserveSend;

  constructor(private readonly ctx: ServerContext) {
    this.observeSend = (us, outcome) => ctx.metrics.observeSend(us, outcome);
    ctx.log.onLive((events) => this.fanOut(events));
    ctx.log.onAvailability((available) => this.announceAvailability(available));
  }

  accept(ws: WebSocket, reader: Reader): void {
    const socket = rawSocket(ws);
    const budgetHalf = Math.floor(this.ctx.options.queueBytes / 2);
    const lowWater = Math.max(socket.writableHighWaterMark, Math.min(REPLAY_LOW_WATER, budgetHalf));
    const s = new IsolatedSession(ws, socket, reader, lowWater, this.observeSend, this.ctx);
    this.sessions.add(s);
    serveConnection(this.ctx, ws, s.guard, {
      request: (request) => this.handle(s, request),
      refused: (reply) => this.reply(s, reply),
      closed: () => {
        this.sessions.delete(s);
        this.live.delete(s);
        s.pending.abandon(nowUs());
      },
    });
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
      case 'unsubscribe':
        this.reply(s, unsubscribeReply(s.subs, request.filters));
        if (s.subs.size === 0) this.live.delete(s);
        return;
      case 'subscribe': {
        const refused = s.guard.admitSubscription(s.subs, request);
        if (refused) return this.reply(s, refused);
        const head = this.ctx.log.headId;
        const considered = s.replaying ? s.cursor : head;
        const fromId = request.lastLogId === undefined ? head : Math.min(request.lastLogId, head);
        s.subs.add(request.filters, request.predicate, fromId, considered);
        this.reply(s, { status: 200, last_log_id: head });
        if (fromId < considered) {
          // Catch-up: leave live fan-out; the session's own cursor reads the log up to the head.
          s.cursor = fromId;
          s.page = NO_EVENTS;
          s.pageAt = 0;
          s.pageEnd = fromId;
          s.pageGeneration++;
          s.replaying = true;
          this.live.delete(s);
          if (!s.pumpPending) this.pump(s);
        } else if (!s.replaying) {
          this.live.add(s);
        }
        return;
      }
    }
  }

  /** Live delivery of a stored batch: per session, its matching events in id order, never waiting. */
  private fanOut(events: StoredEvent[]): void {
    const now = nowUs();
    for (const s of this.live) {
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        if (mayReadFast(s.reader, event.ownerUuid) && s.subs.matches(event) && !this.deliver(s, event, now)) break;
      }
    }
  }

  /** Writes one event to a session within its byte budget; false when the session is gone or closed. */
  private deliver(s: IsolatedSession, event: StoredEvent, now: number): boolean {
    if (!s.open) return false;
    const socket = s.socket;
    const queued = socket.writableLength;
    // An empty queue always takes the event, so one event bigger than the budget is not undeliverable.
    if (queued > 0 && queued + event.body.length + HEAD_ALLOWANCE > this.ctx.options.queueBytes) {
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
      this.live.delete(s);
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
      this.live.delete(s);
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
   * Replay step for one session: write up to a page of matching events from its cursor, then yield
   * (setImmediate) or wait for 'drain'. Reaching the head switches to live in the same synchronous
   * step, so no event is missed or sent twice. Pages never reach past the head, so an event is
   * either replayed or delivered live, never both.
   */
  private pump(s: IsolatedSession): void {
    s.pumpPending = false;
    if (!s.open || !s.replaying) return;
    const log = this.ctx.log;
    const now = nowUs();
    let written = 0;
    let scanned = 0;
    for (;;) {
      if (s.pageAt >= s.page.length) {
        s.cursor = Math.max(s.cursor, s.pageEnd);
        s.page = NO_EVENTS;
        s.pageAt = 0;
        if (s.cursor >= log.headId) {
          s.replaying = false;
          if (s.subs.size > 0) this.live.add(s);
          return;
        }
        if (written >= REPLAY_PAGE || scanned >= REPLAY_SCAN) return this.yieldPump(s);
        const through = log.headId;
        const page = log.readPage(s.cursor, through, log.pageSize);
        if (page instanceof Promise) {
          s.pumpPending = true;
          const generation = s.pageGeneration;
          page.then(
            (p) => {
              if (generation === s.pageGeneration) this.loadPage(s, p, through, log.pageSize);
              this.pump(s);
            },
            () => setTimeout(() => this.pump(s), PAGE_RETRY_MS),
          );
          return;
        }
        this.loadPage(s, page, through, log.pageSize);
        continue;
      }
      if (s.socket.writableLength >= s.lowWater) {
        s.pumpPending = true;
        s.socket.once('drain', () => this.pump(s));
        return;
      }
      if (written >= REPLAY_PAGE || scanned >= REPLAY_SCAN) return this.yieldPump(s);
      const event = s.page[s.pageAt++]!;
      s.cursor = event.id;
      scanned++;
      if (mayReadFast(s.reader, event.ownerUuid) && s.subs.matches(event)) {
        if (!this.deliver(s, event, now)) return;
        written++;
        this.ctx.metrics.replayedEvents++;
      }
    }
  }

  private yieldPump(s: IsolatedSession): void {
    s.pumpPending = true;
    setImmediate(() => this.pump(s));
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
    const status: StatusMessage = available
      ? { status: 200, message: 'event store available again: live delivery resumed, nothing was lost' }
      : { status: 503, message: `event store unavailable: ${this.ctx.log.unavailableReason}; live delivery paused, it resumes without loss once reconnected` };
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
    return closeSockets([...this.sessions].map((s) => s.ws), code, reason, graceMs);
  }
}
