// How a session's socket is wired in both modes: its listeners (frames read and checked, pings, the
// close that forgets it), unsubscribing, and closing every socket at shutdown.
import type { RawData, WebSocket } from 'ws';
import type { StatusMessage } from '../protocol/v0.js';
import type { ClientRequest } from './clientFrames.js';
import type { ClientGuard } from './limits.js';
import type { ServerContext } from './serverContext.js';
import type { Subscription, Subscriptions } from './subscriptions.js';

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
