// Liveness of upgraded connections: keepalive pings (answered only by a pong carrying that ping's
// nonce), the timeout of unfinished messages, and what ws reports a client sent wrong (counted; an
// oversized frame stops the reading).
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { RefusalReason, ServerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import { rawSocket } from './frame.js';

/** ws error codes for what a client sent wrong, by the refusal they count as. */
const WS_ERROR_REASONS: Record<string, RefusalReason> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'frame_too_large',
  WS_ERR_INVALID_UTF8: 'invalid_utf8',
};

/**
 * Starts the keepalive and the unfinished-message watchdog over every connection of `wss` (both stop
 * when `server` closes), and returns `watch(ws)`, which a new websocket is passed to. The listeners
 * are made once per server and shared by every connection (`this` is the websocket), not closures
 * per connection.
 */
export function watchConnections(
  server: Server,
  wss: WebSocketServer[],
  metrics: ServerMetrics,
  options: ServerOptions,
): (ws: WebSocket) => void {
  // Keepalive: every interval, a session that has not answered the previous ping is terminated.
  // Only a pong carrying that ping's nonce answers it (unsolicited pongs are allowed and ignored).
  const awaitingPong = new WeakMap<WebSocket, Buffer>();
  /** Connections inside a message (frame or fragments) when the watchdog last looked; idle ones hold none. */
  const progress = new WeakMap<WebSocket, Progress>();
  function messageDone(this: WebSocket): void {
    const p = progress.get(this);
    if (!p) return;
    p.frames++;
    p.messages++;
  }
  function pingDone(this: WebSocket): void {
    const p = progress.get(this);
    if (p) p.frames++;
  }
  function pongDone(this: WebSocket, data: Buffer): void {
    const p = progress.get(this);
    if (p) p.frames++;
    if (awaitingPong.get(this)?.equals(data)) awaitingPong.delete(this);
  }
  const watch = (ws: WebSocket): void => {
    ws.on('message', messageDone);
    ws.on('ping', pingDone);
    ws.on('pong', pongDone);
    ws.on('error', wsError);
  };
  function wsError(this: WebSocket, err: Error & { code?: string }): void {
    metrics.refused(WS_ERROR_REASONS[err.code ?? ''] ?? 'protocol_error');
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') stopReading(this);
  }
  const every = (ms: number, tick: () => void): void => {
    const timer = setInterval(tick, ms);
    timer.unref();
    server.once('close', () => clearInterval(timer));
  };
  if (options.keepaliveMs > 0) {
    every(options.keepaliveMs, () => {
      for (const ws of clientsOf(wss)) {
        if (ws.readyState !== ws.OPEN) continue;
        if (awaitingPong.has(ws)) {
          metrics.refused('keepalive_timeout');
          ws.terminate();
          continue;
        }
        const nonce = randomBytes(8);
        awaitingPong.set(ws, nonce);
        ws.ping(nonce);
      }
    });
  }
  // Unfinished messages: a connection whose message (a frame, or a fragmented message) has made no
  // progress to completion for --message-timeout is terminated, so parked fragments cannot hold memory.
  every(Math.max(50, Math.min(1000, Math.floor(options.messageTimeoutMs / 4))), () =>
    checkUnfinishedMessages(wss, progress, options.messageTimeoutMs, metrics),
  );
  return watch;
}

/**
 * One look at every connection: one inside a message gets a Progress (idle ones hold none), and one
 * whose message has not moved for `timeoutMs` is terminated.
 */
function checkUnfinishedMessages(
  wss: WebSocketServer[],
  progress: WeakMap<WebSocket, Progress>,
  timeoutMs: number,
  metrics: ServerMetrics,
): void {
  const now = performance.now();
  for (const ws of clientsOf(wss)) {
    if (ws.readyState !== ws.OPEN) continue;
    const state = receiverState(ws);
    const p = progress.get(ws);
    if (state === 'idle') {
      if (p) progress.delete(ws);
      continue;
    }
    if (!p) {
      progress.set(ws, { frames: 0, messages: 0, since: now, at: 0 });
      continue;
    }
    // Inside a fragmented message only a finished message is progress; inside one frame, any frame.
    const mark = state === 'fragments' ? p.messages : p.frames;
    if (p.at !== mark) {
      p.since = now;
      p.at = mark;
    } else if (now - p.since >= timeoutMs) {
      metrics.refused('message_timeout');
      ws.terminate();
    }
  }
}

/**
 * After a frame over the size limit ws has sent its 1009 and would go on reading (and discarding)
 * the rest of the frame until the close handshake ends: megabytes of a hostile client's choosing.
 * Stop reading instead (ws resumes the socket on the next tick; this runs after it) and cut the
 * connection once the close frame has had time to arrive.
 */
function stopReading(ws: WebSocket): void {
  const socket = rawSocket(ws);
  setImmediate(() => socket.pause());
  setTimeout(() => ws.terminate(), OVERSIZED_CLOSE_GRACE_MS).unref();
}

/** How long a client whose frame was too large has to read our 1009 before its socket is destroyed. */
const OVERSIZED_CLOSE_GRACE_MS = 1000;

/** How far a connection inside a message has got: frames and messages finished, and since when `at` is their count. */
interface Progress {
  frames: number;
  messages: number;
  since: number;
  at: number;
}

function* clientsOf(servers: WebSocketServer[]): Iterable<WebSocket> {
  for (const wss of servers) yield* wss.clients;
}

/**
 * Whether ws's receiver is between frames, inside a frame, or between the fragments of a message.
 * ws does not expose this; these are the fields of its Receiver (ws 8), checked by the abuse tests.
 */
function receiverState(ws: WebSocket): 'idle' | 'frame' | 'fragments' {
  const r = (ws as unknown as { _receiver?: { _state: number; _bufferedBytes: number; _fragmented: number } })._receiver;
  if (!r) return 'idle';
  if (r._fragmented !== 0) return 'fragments';
  return r._state !== 0 || r._bufferedBytes > 0 ? 'frame' : 'idle';
}
