// One isolated-mode session, and the one way anything reaches its socket (SessionWriter): events
// within the session's byte budget (several framed into one write, handed to the kernel at once, or
// one at a time where the overflow policy decides: close, or a gap to announce) and status replies,
// the last two corked for the rest of the tick so they leave as one writev. Live fan-out
// (liveFanOut.ts) and catch-up replay (cursorReplay.ts) both write through it; the hub is isolated.ts.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { nowUs } from '../clock.js';
import { CLOSE_SLOW_CLIENT, CLOSE_SLOW_CLIENT_REASON, type StatusMessage } from '../protocol/v0.js';
import type { LogPage, StoredEvent } from './eventLog.js';
import { eventFrameHead, textFrame, writeEventFrame } from './frame.js';
import { Fifo, FrameArena, type Arena } from './frameArena.js';
import { ClientGuard } from './limits.js';
import type { Reader } from './permissions.js';
import { PendingSends, type ObserveSend } from './pendingSends.js';
import type { SharedFrames } from './sharedFrames.js';
import type { ServerContext } from './serverContext.js';
import { Subscriptions } from './subscriptions.js';

export const NO_EVENTS: StoredEvent[] = [];
/** Where every session's chain of publishes starts: one promise for all, not one per subscriber. */
const SETTLED = Promise.resolve();
/** Per-connection head (frame header + `{"msgID":N,`) counted against the budget before it is built. */
export const HEAD_ALLOWANCE = 32;

export class IsolatedSession {
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
  /** Set by SubscriptionIndex: to visit this session once per event; how many subscriptions it scans. */
  indexStamp = 0;
  scannedSubs = 0;
  /** The live batch this session last saw, and its queued bytes when that batch's fan-out reached it. */
  batchSeq = 0;
  queuedAtBatch = 0;
  /** Events of that batch live fan-out tried this heavy session on. */
  heavyVisits = 0;
  /** Events of the fan-out chunk being delivered that this session may want (all of them when wholeChunk). */
  readonly chunk: StoredEvent[] = [];
  wholeChunk = false;
  /** The writer's FrameArena pieces this session holds (PieceHolder). */
  readonly pieces = new Fifo<Arena>();
  piecesReleasedAhead = 0;
  pieceTurn = 0;
  piecesThisTurn = 0;
  /** Its live writes of frames still to complete, oldest first: frames in each × 2, + 1 where the buffer is a piece of pieceArena. */
  private readonly frameWrites = new Fifo<number>();
  private pieceArena: FrameArena | undefined;

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
   * Sends are timed one by one rather than once per uncorked batch: the one shared callback per frame
   * costs within run-to-run noise (scripts/bench-serve-fanout.mjs measures it).
   *
   * One shared callback for every event frame: write callbacks fire in write order, so the oldest
   * enqueue time belongs to the frame just written. A failed write (socket gone) ends its send too.
   */
  readonly onWritten = (err?: Error | null): void => {
    this.pending.end(nowUs(), err ? 'failed' : 'written');
  };

  /** A live write of `count` frames is being made; `arena` when its buffer is a piece of that arena. */
  framesWriting(count: number, arena: FrameArena | undefined): void {
    this.frameWrites.push(arena ? count * 2 + 1 : count * 2);
    if (arena) this.pieceArena = arena;
  }

  /** One shared callback for the live writes noted by framesWriting, completed in write order. */
  readonly onFramesWritten = (err?: Error | null): void => {
    const w = this.frameWrites.shift() ?? 0;
    this.pending.endMany(nowUs(), err ? 'failed' : 'written', w >>> 1);
    if (w & 1) this.pieceArena!.completed(this);
  };

  /** Completion of one write holding `count` event frames; `release` takes back its buffer. */
  framesWritten(count: number, release?: () => void): (err?: Error | null) => void {
    return (err) => {
      this.pending.endMany(nowUs(), err ? 'failed' : 'written', count);
      release?.();
    };
  }
}

/** Where a write's frames are framed, when not in the writer's FrameArena: a buffer of `bytes`, and the release to call once the write completed. */
export interface FramePool {
  take(bytes: number): { buf: Buffer; release: (() => void) | undefined };
}

/** Writes to sessions: events within their byte budget, replies, and the corking of both. */
export class SessionWriter {
  private readonly corked: IsolatedSession[] = [];
  private flushScheduled = false;
  /**
   * Where live writes are framed. A fresh buffer per session per chunk (tens of thousands a second at
   * saturation) cost more in allocation and collections than the framing itself (profiled); a piece
   * written to an idle socket is free again at once, so fan-out frames into the same few cached
   * kilobytes over and over.
   */
  private readonly arena = new FrameArena();

  constructor(private readonly ctx: ServerContext) {}

  /** Writes one event to a session within its byte budget (plus `allowance`); false when the session is gone or closed. */
  deliver(s: IsolatedSession, event: StoredEvent, now: number, allowance = 0): boolean {
    if (!s.open) return false;
    const socket = s.socket;
    const queued = socket.writableLength;
    if (this.overBudget(event, queued, allowance)) return this.overflow(s, event);
    if (s.gap) this.announceGap(s);
    this.cork(s);
    socket.write(eventFrameHead(++s.msgId, event.body.length));
    s.noteEnqueued(now);
    socket.write(event.body, s.onWritten);
    this.ctx.metrics.eventsOut++;
    return true;
  }

  /** Whether `event` is over the byte budget of a session holding `queued` bytes (plus `allowance`). */
  private overBudget(event: StoredEvent, queued: number, allowance: number): boolean {
    // An empty queue always takes the event, so one event bigger than the budget is not undeliverable.
    return queued > 0 && queued + event.body.length + HEAD_ALLOWANCE > this.ctx.options.queueBytes + allowance;
  }

  /**
   * Whether `event` must go through deliver() (over the budget, or a gap to announce first) for a
   * session holding `queued` bytes: its socket's queue plus the frames the caller has collected.
   */
  needsDeliver(s: IsolatedSession, event: StoredEvent, queued: number, allowance = 0): boolean {
    return s.gap !== undefined || this.overBudget(event, queued, allowance);
  }

  /**
   * Writes events that need no deliver() (needsDeliver) as whole frames in one buffer: one write, one completion and
   * one pass through the socket's stream for all of them, where deliver() makes two writes an event
   * (the profile of a saturated fan-out: the stream's per-write work and the per-event head buffers
   * cost more than copying the bodies). `bytes` is their framed length (eventFrameLength each).
   * Copying a body (a few tens of ns for 400 bytes, into cached memory) is cheaper than giving the
   * kernel head and body as separate iovecs: each would be a write through the socket's stream.
   */
  deliverFrames(s: IsolatedSession, events: readonly StoredEvent[], bytes: number, now: number): void {
    this.writeFrames(s, events, bytes, now);
  }

  /**
   * Writes a session every event of `shared`'s chunk (the caller checked each is due, within budget)
   * when its socket holds nothing and is not corked, and its msgIDs keep one digit count; else false.
   */
  deliverShared(s: IsolatedSession, shared: SharedFrames, now: number): boolean {
    const socket = s.socket;
    if (s.corked || socket.writableLength !== 0 || !s.open) return false;
    const frames = shared.framesFor(s.msgId + 1);
    if (frames === undefined) return false;
    const count = shared.count;
    s.msgId += count;
    s.pending.beginMany(now, count);
    s.framesWriting(count, undefined);
    socket.write(frames, s.onFramesWritten);
    if (socket.writableLength !== 0) shared.pinned();
    else if (s.pieces.size > 0) this.arena.handedOff(s);
    this.ctx.metrics.eventsOut += count;
    return true;
  }

  /**
   * Frames `events` (`bytes` long, eventFrameLength each) into one buffer from `pool` and writes it:
   * what live fan-out (from the arena, without `pool`) and catch-up replay (from its own, larger
   * buffers) both do. Returns whether it wrote.
   */
  writeFrames(s: IsolatedSession, events: readonly StoredEvent[], bytes: number, now: number, pool?: FramePool): boolean {
    if (events.length === 0 || !s.open) return false;
    const own = pool?.take(bytes);
    const buf = own ? own.buf : this.arena.take(s, bytes);
    let at = 0;
    for (const event of events) at = writeEventFrame(buf, at, ++s.msgId, event.body);
    s.pending.beginMany(now, events.length);
    // Not corked (unless something else corked it this tick): an idle socket hands the frames to the
    // kernel now, so their piece of the arena is free at once and the next chunk reuses the same,
    // still cached, bytes, rather than a slice's frames (megabytes) waiting in arenas for the uncork.
    if (own) {
      s.socket.write(buf, s.framesWritten(events.length, own.release));
    } else {
      const piece = this.arena.tookPiece;
      s.framesWriting(events.length, piece ? this.arena : undefined);
      s.socket.write(buf, s.onFramesWritten);
      if (s.pieces.size > 0 && s.socket.writableLength === 0) this.arena.handedOff(s);
      // pieces still queued count against the session's cap from the next turn on
      if (piece) this.endTurnSoon();
    }
    this.ctx.metrics.eventsOut += events.length;
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

  reply(s: IsolatedSession, status: StatusMessage): void {
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
  cork(s: IsolatedSession): void {
    if (s.corked) return;
    s.corked = true;
    s.socket.cork();
    this.corked.push(s);
    this.endTurnSoon();
  }

  /** Uncorks what this tick corked and ends the arena's turn, once the current code has run. */
  private endTurnSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const s of this.corked) {
      s.corked = false;
      s.socket.uncork();
      // An empty queue after the uncork: the kernel took every byte, and the pieces are free now.
      if (s.pieces.size > 0 && s.socket.writableLength === 0) this.arena.handedOff(s);
    }
    this.corked.length = 0;
    this.arena.endTurn();
  };
}
