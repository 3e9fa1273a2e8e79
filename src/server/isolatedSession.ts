// One isolated-mode session: its subscriptions, its replay cursor and page, its budget guard and the
// event frames it has in flight. Everything reaches its socket through SessionWriter (sessionWriter.ts);
// live fan-out (liveFanOut.ts) and catch-up replay (cursorReplay.ts) both write through it; the hub is
// isolated.ts.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { nowUs } from '../clock.js';
import type { LogPage, StoredEvent } from './eventLog.js';
import { Fifo, FrameArena, type Arena } from './frameArena.js';
import { ClientGuard } from './limits.js';
import type { Reader } from './permissions.js';
import { PendingSends, type ObserveSend } from './pendingSends.js';
import type { ServerContext } from './serverContext.js';
import { Subscriptions } from './subscriptions.js';

export const NO_EVENTS: StoredEvent[] = [];
/** Where every session's chain of publishes starts: one promise for all, not one per subscriber. */
const SETTLED = Promise.resolve();

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
