// Legacy mode: the dispatch that blocks every client behind the slowest, kept to show it. One global FIFO
// of jobs runs in one async loop; for each event, for each session in turn, it scans the user's
// groups, checks filters, then awaits that send's completion before the next. Subscribing (and its
// catch-up replay) is a job in the same FIFO. One client whose socket stops draining stalls all.
// With a shared store (PostgreSQL) stored batches enter the FIFO from the store's live feed.
import type { WebSocket } from 'ws';
import type { StatusMessage } from '../protocol/v0.js';
import { nowUs } from '../clock.js';
import { eventUuid, type LogPage, type StoredEvent } from './eventLog.js';
import type { QueueStats } from './metrics.js';
import { ClientGuard } from './limits.js';
import type { ClientRequest } from './clientFrames.js';
import { mayReadByScan, type Reader } from './permissions.js';
import { PendingSends } from './pendingSends.js';
import { availabilityNotice, storeEvents } from './publishing.js';
import type { Hub, ServerContext } from './serverContext.js';
import { closeSockets, connectionWiring, unsubscribe } from './sessionWiring.js';
import { Subscriptions } from './subscriptions.js';

/** A replay whose page read failed (database away) tries again after this long. */
const PAGE_RETRY_MS = 250;

interface LegacySession {
  ws: WebSocket;
  reader: Reader;
  subs: Subscriptions;
  guard: ClientGuard;
  msgId: number;
  /** Highest id considered for this session (by fan-out or replay); later jobs skip up to it. */
  considered: number;
  /** Shared store: this session's publishes, one at a time, so ids and acks follow the order sent. */
  publishing?: Promise<void>;
  /** Its event send in flight (the loop awaits one at a time), for /metrics. */
  pending: PendingSends;
}

type Job = { enqueuedUs?: number } & (
  | { kind: 'fanout'; events: StoredEvent[] }
  | { kind: 'subscribe'; session: LegacySession; request: Extract<ClientRequest, { method: 'subscribe' }> }
);

export class LegacyHub implements Hub {
  private readonly sessions = new Set<LegacySession>();
  private readonly queue: Job[] = [];
  /**
   * Bytes of event bodies waiting in the global queue. The queue itself is the bug this mode shows and stays
   * unbounded in jobs, but over --log-bytes this process refuses publishes (503) rather than grow
   * until the machine runs out of memory; a shared store's live batches are queued regardless.
   */
  private queuedBytes = 0;
  private running = false;
  private stopped = false;
  /** Enqueue time of the job the loop is working on, for the dispatch queue age in /metrics. */
  private dispatchingSince: number | undefined;

  /** Wires an accepted connection to its session. */
  private readonly serve: (ws: WebSocket, s: LegacySession) => void;

  constructor(private readonly ctx: ServerContext) {
    this.serve = connectionWiring<LegacySession>(ctx, {
      request: (s, request) => this.handle(s, request),
      refused: (s, reply) => this.reply(s, reply),
      closed: (s) => {
        this.sessions.delete(s);
        s.pending.abandon(nowUs()); // a send whose callback never came still ends, and is counted
      },
    });
    ctx.log.onLive((events) => this.enqueue({ kind: 'fanout', events }));
    ctx.log.onAvailability((available) => {
      const status = availabilityNotice(available, ctx.log.unavailableReason);
      for (const s of this.sessions) this.reply(s, status);
    });
  }

  accept(ws: WebSocket, reader: Reader): void {
    const s: LegacySession = {
      ws,
      reader,
      subs: new Subscriptions(),
      guard: new ClientGuard(this.ctx, ws, reader),
      msgId: 0,
      considered: this.ctx.log.headId,
      pending: new PendingSends((us, outcome, count) => this.ctx.metrics.observeSend(us, outcome, count)),
    };
    this.sessions.add(s);
    this.serve(ws, s);
  }

  private handle(s: LegacySession, request: ClientRequest): void {
    switch (request.method) {
      case 'publish': {
        // Stored and acked at once; delivery waits its turn in the global queue.
        if (this.ctx.log.shared) {
          s.publishing = (s.publishing ?? Promise.resolve()).then(async () => {
            const outcome = storeEvents(this.ctx, s.reader, request.events);
            this.reply(s, outcome instanceof Promise ? await outcome : outcome.reply);
          });
          return;
        }
        if (this.queuedBytes > this.ctx.options.logBytes) {
          this.reply(s, {
            status: 503,
            message: `the legacy dispatch queue holds ${this.queuedBytes} bytes, over --log-bytes; try again later`,
          });
          return;
        }
        const outcome = storeEvents(this.ctx, s.reader, request.events) as Exclude<ReturnType<typeof storeEvents>, Promise<unknown>>;
        this.reply(s, outcome.reply);
        if (outcome.stored.length > 0) this.enqueue({ kind: 'fanout', events: outcome.stored });
        return;
      }
      case 'unsubscribe':
        this.reply(s, unsubscribe(s.subs, s.guard, request, s.considered).reply);
        return;
      case 'subscribe':
        this.enqueue({ kind: 'subscribe', session: s, request });
        return;
    }
  }

  private reply(s: LegacySession, status: StatusMessage): void {
    if (s.ws.readyState === s.ws.OPEN) s.ws.send(JSON.stringify(status));
  }

  private enqueue(job: Job): void {
    job.enqueuedUs = nowUs();
    if (job.kind === 'fanout') this.queuedBytes += bodyBytes(job.events);
    this.queue.push(job);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.queue.length > 0) {
        const job = this.queue.shift()!;
        this.dispatchingSince = job.enqueuedUs;
        if (job.kind === 'fanout') {
          await this.fanOut(job.events);
          this.queuedBytes -= bodyBytes(job.events);
        } else await this.subscribe(job.session, job.request);
      }
    } finally {
      this.running = false;
      this.dispatchingSince = undefined;
    }
  }

  private async fanOut(events: StoredEvent[]): Promise<void> {
    for (const event of events) {
      for (const s of [...this.sessions]) {
        if (this.stopped) return;
        if (event.id <= s.considered) continue;
        s.considered = event.id;
        if (!mayReadByScan(s.reader, event.ownerUuid) || !s.subs.matches(event)) continue;
        await this.send(s, event);
      }
    }
  }

  private async subscribe(s: LegacySession, request: Extract<ClientRequest, { method: 'subscribe' }>): Promise<void> {
    if (s.ws.readyState !== s.ws.OPEN) return;
    // Checked in the loop, where the subscription is added, so queued subscribes count too.
    const refused = s.guard.admitSubscription(s.subs, request);
    if (refused) return this.sendStatus(s, refused);
    const head = this.ctx.log.headId;
    const { fromId } = s.subs.add(request, request.lastLogId === undefined ? head : Math.min(request.lastLogId, head), s.considered);
    await this.sendStatus(s, { status: 200, last_log_id: head });
    if (fromId >= s.considered) return;
    // Catch-up inside the global loop, every send awaited: everyone else waits for this replay.
    const log = this.ctx.log;
    let id = fromId;
    const until = Math.max(head, s.considered);
    while (id < until && !this.stopped && s.ws.readyState === s.ws.OPEN) {
      let page: LogPage;
      const limit = log.pageSize; // the memory log's page size follows its event sizes: read it once
      try {
        page = await log.readPage(id, until, limit);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, PAGE_RETRY_MS)); // the database is away: everyone waits
        continue;
      }
      const gapEnd = Math.min(page.events[0]?.id ?? until + 1, page.oldestId) - 1;
      if (gapEnd > id) {
        await this.sendStatus(s, { status: 409, gap: [id + 1, gapEnd] });
        this.ctx.metrics.gaps++;
        id = gapEnd;
      }
      for (const event of page.events) {
        if (this.stopped || s.ws.readyState !== s.ws.OPEN) break;
        id = event.id;
        s.considered = Math.max(s.considered, id); // an unsubscribe meanwhile takes its floor from here
        if (mayReadByScan(s.reader, event.ownerUuid) && s.subs.matches(event)) {
          await this.send(s, event);
          this.ctx.metrics.replayedEvents++;
        }
      }
      if (page.events.length < limit) id = until;
    }
    s.considered = until;
  }

  /** The blocking send: a fresh message object per client, serialized, awaited until written. */
  private send(s: LegacySession, event: StoredEvent): Promise<void> {
    const message = JSON.stringify({
      msgID: ++s.msgId,
      id: event.id,
      uuid: eventUuid(event.id),
      object_uuid: event.objectUuid,
      object_owner_uuid: event.ownerUuid,
      object_kind: event.objectKind,
      event_type: event.eventType,
      event_at: event.legacy?.eventAt,
      properties: event.legacy?.properties,
    });
    this.ctx.metrics.eventsOut++;
    s.pending.begin(nowUs());
    return new Promise((resolve) => {
      // ws calls back with an error when the socket is closed or destroyed, so the loop moves on.
      // Failed sends are observed too: the one that blocked everyone ends that way.
      s.ws.send(message, (err) => {
        s.pending.end(nowUs(), err ? 'failed' : 'written');
        resolve();
      });
    });
  }

  private sendStatus(s: LegacySession, status: StatusMessage): Promise<void> {
    return new Promise((resolve) => s.ws.send(JSON.stringify(status), () => resolve()));
  }

  queueStats(): QueueStats {
    let maxBytes = 0;
    let sumBytes = 0;
    const pending: PendingSends[] = [];
    for (const s of this.sessions) {
      const bytes = s.ws.bufferedAmount;
      sumBytes += bytes;
      if (bytes > maxBytes) maxBytes = bytes;
      pending.push(s.pending);
    }
    const dispatchOldestUs = this.dispatchingSince ?? this.queue[0]?.enqueuedUs;
    return { sessions: this.sessions.size, maxBytes, sumBytes, pending, dispatchOldestUs };
  }

  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    await closeSockets(
      [...this.sessions].map((s) => s.ws),
      code,
      reason,
      graceMs,
    );
  }
}

function bodyBytes(events: StoredEvent[]): number {
  let n = 0;
  for (const e of events) n += e.body.length;
  return n;
}
