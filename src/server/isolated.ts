// Isolated mode (the fix): fan-out never waits on a socket. Each event's body is serialized once; a
// session gets its events of a fan-out chunk as whole frames (its own `{"msgID":N,` head, the shared
// body) in one buffer, one write, corked for the rest of the tick so a publish batch leaves as one writev. A session's queue is bounded in
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
// This file is the hub (sessions and their requests); a session is isolatedSession.ts, the one way to
// write to it sessionWriter.ts, live fan-out liveFanOut.ts, catch-up replay cursorReplay.ts.
import type { WebSocket } from 'ws';
import { nowUs } from '../clock.js';
import { rawSocket } from './frame.js';
import type { QueueStats } from './metrics.js';
import { maxBatchBytes, type ClientRequest } from './clientFrames.js';
import type { Reader } from './permissions.js';
import type { ObserveSend, PendingSends } from './pendingSends.js';
import { availabilityNotice, storeEvents } from './publishing.js';
import type { Hub, ServerContext } from './serverContext.js';
import { closeSockets, connectionWiring, unsubscribe } from './sessionWiring.js';
import { SubscriptionIndex } from './subscriptionIndex.js';
import { IsolatedSession } from './isolatedSession.js';
import { SessionWriter } from './sessionWriter.js';
import { LiveFanOut } from './liveFanOut.js';
import { CursorReplay, REPLAY_LOW_WATER } from './cursorReplay.js';

/** The isolated hub: accepts sessions, answers their requests, and hands events to live fan-out (liveFanOut.ts) and catch-up replay (cursorReplay.ts). */
export class IsolatedHub implements Hub {
  private readonly sessions = new Set<IsolatedSession>();
  private readonly observeSend: ObserveSend;
  private readonly index = new SubscriptionIndex<IsolatedSession>();
  private readonly writer: SessionWriter;
  private readonly replay: CursorReplay;
  private readonly fan: LiveFanOut;

  /** Wires an accepted connection to its session. */
  private readonly serve: (ws: WebSocket, s: IsolatedSession) => void;

  constructor(private readonly ctx: ServerContext) {
    this.observeSend = (us, outcome, count) => ctx.metrics.observeSend(us, outcome, count);
    this.writer = new SessionWriter(ctx);
    this.replay = new CursorReplay(ctx, this.writer, () => this.fan.busyAfterDue());
    this.fan = new LiveFanOut(ctx.log.headId, this.index, this.writer, this.replay, maxBatchBytes(ctx.options.queueBytes));
    this.serve = connectionWiring<IsolatedSession>(ctx, {
      request: (s, request) => this.handle(s, request),
      refused: (s, reply) => this.writer.reply(s, reply),
      closed: (s) => {
        this.sessions.delete(s);
        this.replay.cancel(s);
        s.live = false;
        for (const sub of s.subs.all()) this.index.remove(s, sub.indexTerm);
        s.pending.abandon(nowUs());
      },
    });
    ctx.log.onLive((events) => this.fan.fanOut(events));
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
            this.writer.reply(s, outcome instanceof Promise ? await outcome : outcome.reply);
          });
          return;
        }
        const outcome = storeEvents(this.ctx, s.reader, request.events) as Exclude<ReturnType<typeof storeEvents>, Promise<unknown>>;
        this.writer.reply(s, outcome.reply);
        if (outcome.stored.length > 0) this.fan.fanOut(outcome.stored);
        return;
      }
      case 'unsubscribe': {
        const { reply, removed } = unsubscribe(s.subs, s.guard, request, this.consideredThrough(s));
        for (const sub of removed) this.index.remove(s, sub.indexTerm);
        this.writer.reply(s, reply);
        if (s.subs.size === 0) s.live = false;
        return;
      }
      case 'subscribe': {
        const refused = s.guard.admitSubscription(s.subs, request);
        if (refused) return this.writer.reply(s, refused);
        const head = this.ctx.log.headId;
        const considered = this.consideredThrough(s);
        const sub = s.subs.add(request, request.lastLogId === undefined ? head : Math.min(request.lastLogId, head), considered);
        this.index.add(s, sub.indexTerm);
        this.writer.reply(s, { status: 200, last_log_id: head });
        if (sub.fromId < considered) {
          // Catch-up: leave live fan-out; the session's own cursor reads the log up to the head.
          this.replay.follow(s, sub.fromId);
        } else if (!s.replaying) {
          s.live = true;
        }
        return;
      }
    }
  }

  /** The highest id a session has considered: its cursor while replaying; events after fannedThrough are still on their way through pending fan-out. */
  private consideredThrough(s: IsolatedSession): number {
    return s.replaying ? s.cursor : this.fan.fannedThrough;
  }

  /** Tells every session that live delivery paused (database away) or resumed; never silence. */
  private announceAvailability(available: boolean): void {
    const status = availabilityNotice(available, this.ctx.log.unavailableReason);
    for (const s of this.sessions) this.writer.reply(s, status);
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
