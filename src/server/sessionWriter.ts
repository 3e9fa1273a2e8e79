// The one way anything reaches an isolated session's socket: events within the session's byte budget
// (several framed into one write, handed to the kernel at once, or one at a time where the overflow
// policy decides: close, or a gap to announce) and status replies, the last two corked for the rest of
// the tick so they leave as one writev.
import { nowUs } from '../clock.js';
import { CLOSE_SLOW_CLIENT, CLOSE_SLOW_CLIENT_REASON, type StatusMessage } from '../protocol/v0.js';
import type { StoredEvent } from './eventLog.js';
import { eventFrameHead, textFrame, writeEventFrame } from './frame.js';
import { FrameArena } from './frameArena.js';
import type { IsolatedSession } from './isolatedSession.js';
import type { SharedFrames } from './sharedFrames.js';
import type { ServerContext } from './serverContext.js';

/** Per-connection head (frame header + `{"msgID":N,`) counted against the budget before it is built. */
export const HEAD_ALLOWANCE = 32;

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
