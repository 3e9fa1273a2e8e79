// What every connection has in both modes: its reader (permissions), its subscriptions, its msgID
// counter. The subscription bookkeeping guarantees each event is considered once per session.
import type { RawData, WebSocket } from 'ws';
import { nowUs } from '../clock.js';
import type { Filter, PublishedEvent, StatusMessage } from '../protocol/v0.js';
import type { EventStore, StoredEvent } from './eventLog.js';
import type { QueueStats, ServerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import type { EventPredicate, IndexTerm } from './filters.js';
import type { ClientRequest } from './clientFrames.js';
import type { ClientGuard, FilterBudget } from './limits.js';
import type { Reader } from './permissions.js';

type SubscribeRequest = Extract<ClientRequest, { method: 'subscribe' }>;

export interface Subscription {
  filters: Filter[] | undefined;
  /** The filters' canonical text (unsubscribe compares keys). */
  key: string;
  /** Filter terms it holds against the budgets. */
  terms: number;
  predicate: EventPredicate;
  /** How fan-out finds it (isolated mode); undefined = every event is tried. */
  indexTerm: IndexTerm | undefined;
  /** This subscription covers only ids above this one. */
  fromId: number;
  /** Ids in (fromId, doneThrough] were already considered with this subscription present. */
  doneThrough: number;
}

/**
 * A session's subscriptions: OR across them, each event delivered at most once per connection. A
 * catch-up subscription makes the session re-read part of the log; an event that a subscription it
 * holds already delivered there is not delivered again. A removed subscription takes its record of
 * what it delivered with it, so after a removal new subscriptions cover only ids above what the
 * session had considered by then (`floor`): a connection never receives an id twice.
 */
export class Subscriptions {
  private list: Subscription[] = [];
  /** Filter terms over all subscriptions, for --max-filters. */
  filterTerms = 0;
  /** The highest id the session had considered when it last removed a subscription; 0 = never. */
  private floor = 0;

  get size(): number {
    return this.list.length;
  }

  /**
   * Adds a subscription covering ids above `requestedFrom`, raised to the floor when the session
   * removed subscriptions before (its `fromId` says where it starts). `consideredThrough` is the
   * highest id the session has already considered with its existing subscriptions.
   */
  add(request: SubscribeRequest, requestedFrom: number, consideredThrough: number): Subscription {
    for (const old of this.list) if (old.doneThrough < consideredThrough) old.doneThrough = consideredThrough;
    const fromId = Math.max(requestedFrom, this.floor);
    const { filters, key, terms, predicate, indexTerm } = request;
    const sub: Subscription = { filters, key, terms, predicate, indexTerm, fromId, doneThrough: fromId };
    this.list.push(sub);
    this.filterTerms += terms;
    return sub;
  }

  /**
   * Removes the subscriptions with this filters key (all when undefined); returns them.
   * `consideredThrough` is the highest id the session has considered so far.
   */
  remove(key: string | undefined, consideredThrough: number): Subscription[] {
    const removed = key === undefined ? this.list : this.list.filter((s) => s.key === key);
    if (removed.length === 0) return removed;
    if (this.floor < consideredThrough) this.floor = consideredThrough;
    this.list = key === undefined ? [] : this.list.filter((s) => s.key !== key);
    this.filterTerms = this.list.reduce((n, s) => n + s.terms, 0);
    return removed;
  }

  /** Every subscription held, oldest first. */
  all(): readonly Subscription[] {
    return this.list;
  }

  /** Whether to deliver `event` now: some subscription matches it and none has delivered it before. */
  matches(event: StoredEvent): boolean {
    let fresh = false;
    for (const s of this.list) {
      if (event.id > s.fromId && s.predicate(event)) {
        if (event.id <= s.doneThrough) return false;
        fresh = true;
      }
    }
    return fresh;
  }
}

/** What both modes share: the log, the counters, the options, the server-wide filter budget. */
export interface ServerContext {
  options: ServerOptions;
  log: EventStore;
  metrics: ServerMetrics;
  filterBudget: FilterBudget;
}

/** The mode-specific part of the server: sessions, subscriptions and fan-out. */
export interface Hub {
  accept(ws: WebSocket, reader: Reader): void;
  /** Sessions' queued bytes, for /metrics. */
  queueStats(): QueueStats;
  /** Closes every session with `code`; resolves once all are gone (terminating stragglers after `graceMs`). */
  closeAll(code: number, reason: string, graceMs: number): Promise<void>;
}

/**
 * Publishing, the same in both modes: authorize, append the batch to the log (contiguous ids) and
 * build the ack. Memory store: the caller sends the ack, then fans out. A shared store answers with
 * a promise of the ack; its batches reach fan-out through the store's live feed.
 */
export function storeEvents(
  ctx: ServerContext,
  reader: Reader,
  events: PublishedEvent[],
): { reply: StatusMessage; stored: StoredEvent[] } | Promise<StatusMessage> {
  if (!reader.mayPublish) {
    ctx.metrics.refused('publish_forbidden');
    const message =
      ctx.options.publisherToken === undefined
        ? 'publishing is disabled: start evbench serve with --publisher-token TOKEN and connect with that token'
        : 'publish requires the publisher token';
    return { reply: { status: 403, message }, stored: [] };
  }
  if (!ctx.log.available) return { reply: storeUnavailable(ctx.log.unavailableReason), stored: [] };
  const appended = ctx.log.append(events, nowUs());
  const ack = (stored: StoredEvent[]): StatusMessage => {
    ctx.metrics.eventsIn += stored.length;
    return { status: 200, first_id: stored[0]!.id, last_id: stored[stored.length - 1]!.id };
  };
  if (!(appended instanceof Promise)) return { reply: ack(appended), stored: appended };
  return appended.then(ack, (err: Error) => {
    logStoreError(`publish failed: ${err.message}`);
    return { status: 503, message: `${STORE_UNAVAILABLE}; the batch may not have been stored, publish it again` };
  });
}

/**
 * What clients are told while the event store is away. The store's own error text (host, port,
 * user) goes to the server log only: clients are not the operator.
 */
export const STORE_UNAVAILABLE = 'event store unavailable';

/** The reply to a publish while the event store is unreachable. */
function storeUnavailable(reason: string): StatusMessage {
  logStoreError(reason);
  return { status: 503, message: `${STORE_UNAVAILABLE}; publish it again later` };
}

/** The status every session gets when live delivery pauses (store away) or resumes. */
export function availabilityNotice(available: boolean, reason: string): StatusMessage {
  if (available) return { status: 200, message: 'event store available again: live delivery resumed, nothing was lost' };
  logStoreError(reason);
  return { status: 503, message: `${STORE_UNAVAILABLE}; live delivery paused, it resumes without loss once reconnected` };
}

let lastStoreError = '';
/** The store's detail, on the server's stderr (once per distinct message in a row). */
function logStoreError(detail: string): void {
  if (detail === lastStoreError) return;
  lastStoreError = detail;
  process.stderr.write(`evbench serve: event store: ${detail}\n`);
}

/** What a hub does with its sessions' traffic: one object per hub, shared by all its sessions. */
export interface SessionHandlers<S> {
  request(s: S, request: ClientRequest): void;
  refused(s: S, reply: StatusMessage): void;
  closed(s: S): void;
}

/**
 * Wires accepted connections to a hub's sessions, whatever the mode: counts them, reads and checks
 * their frames (the guard answers bad ones with a status), hands valid requests on, and forgets a
 * session when its socket closes. Returns `serve(ws, session)`. The listeners are made once per hub
 * and shared by every connection (`this` is the websocket): four closures per connection would be
 * hundreds of bytes of each idle subscriber.
 */
export function connectionWiring<S extends { readonly guard: ClientGuard }>(
  ctx: ServerContext,
  handlers: SessionHandlers<S>,
): (ws: WebSocket, session: S) => void {
  const sessionOf = new WeakMap<WebSocket, S>();
  function message(this: WebSocket, data: RawData, isBinary: boolean): void {
    const s = sessionOf.get(this)!;
    const parsed = s.guard.read(data, isBinary);
    if ('error' in parsed) return handlers.refused(s, parsed.error);
    handlers.request(s, parsed.request);
  }
  function ping(this: WebSocket, data: Buffer): void {
    sessionOf.get(this)!.guard.ping(data);
  }
  function closed(this: WebSocket): void {
    const s = sessionOf.get(this);
    // a listener, not `once` (its wrapper is two more objects per connection): act on the first close only
    if (!s || !sessionOf.delete(this)) return;
    ctx.metrics.connections--;
    s.guard.releaseAll();
    handlers.closed(s);
  }
  return (ws, session) => {
    sessionOf.set(ws, session);
    ctx.metrics.connections++;
    ctx.metrics.connectionsTotal++;
    ws.on('message', message);
    ws.on('ping', ping);
    // an emitter throws an 'error' no one listens to; one listener (the http layer's) is enough
    if (ws.listenerCount('error') === 0) ws.on('error', ignoreError);
    ws.on('close', closed);
  };
}

/** ws emits 'error' before 'close'; 'close' does the cleanup. */
function ignoreError(): void {}

/** Removes the subscriptions an unsubscribe names and frees their filter terms; the reply and what was removed. */
export function unsubscribe(
  subs: Subscriptions,
  guard: ClientGuard,
  request: Extract<ClientRequest, { method: 'unsubscribe' }>,
  consideredThrough: number,
): { reply: StatusMessage; removed: Subscription[] } {
  const removed = subs.remove(request.filters === undefined ? undefined : request.key, consideredThrough);
  for (const sub of removed) guard.release(sub.terms);
  const reply: StatusMessage =
    removed.length > 0 || request.filters === undefined ? { status: 200 } : { status: 404, message: 'no subscription with these filters' };
  return { reply, removed };
}

/** Resolves once every socket in `sessions` closed: a close handshake first, then terminate after `graceMs`. */
export async function closeSockets(sockets: WebSocket[], code: number, reason: string, graceMs: number): Promise<void> {
  const closed = sockets.map(
    (ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()))),
  );
  for (const ws of sockets) if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      for (const ws of sockets) ws.terminate();
      resolve();
    }, graceMs);
  });
  await Promise.race([Promise.all(closed), grace]);
  clearTimeout(timer);
  await Promise.all(closed);
}
