// The HTTP side: /healthz, /metrics, and the websocket upgrade on /websocket, where the peer
// address's share (429), capacity (503), Origin (403) and the token (401) are checked before the
// upgrade and the session handed to the mode's hub. Connection-level limits live here: handshake
// timeout and connection counts (in total and per peer address) for every socket, keepalive
// (answered only by a pong carrying our ping's nonce), frame size by role, and the timeout of
// unfinished messages.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WEBSOCKET_PATH } from '../protocol/v0.js';
import type { RefusalReason, ServerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import { ConnectionsByAddress } from './addressShares.js';
import type { PermissionDirectory } from './permissions.js';
import { rawSocket } from './frame.js';
import type { Hub } from './serverContext.js';
import { sameToken } from './tokens.js';
/** How long a closing connection (e.g. a slow client told 4008) may take before its socket is destroyed. */
export const CLOSE_TIMEOUT_MS = 10_000;

export interface HttpParts {
  server: Server;
  /** One websocket server per role (frame size): publishers, then everyone else. */
  wss: WebSocketServer[];
}

/** Beyond this many times --max-connections, a new socket is dropped before it says anything. */
const HARD_CONNECTION_FACTOR = 2;

/** ws error codes for what a client sent wrong, by the refusal they count as. */
const WS_ERROR_REASONS: Record<string, RefusalReason> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'frame_too_large',
  WS_ERR_INVALID_UTF8: 'invalid_utf8',
};

export function createHttpServer(hub: Hub, directory: PermissionDirectory, metrics: ServerMetrics, options: ServerOptions): HttpParts {
  const websocketServer = (maxPayload: number): WebSocketServer =>
    new WebSocketServer({
      noServer: true,
      perMessageDeflate: false, // isolated mode writes shared frames straight to the socket
      maxPayload,
      autoPong: false, // pings are answered under the session's rate limit (ClientGuard.ping)
      closeTimeout: CLOSE_TIMEOUT_MS,
    } as ConstructorParameters<typeof WebSocketServer>[0]);
  // A subscriber needs kilobytes; only a publisher may send megabytes.
  const publishers = websocketServer(options.maxFrameBytes);
  const subscribers = websocketServer(options.maxSubscriberFrameBytes);
  const wss = [publishers, subscribers];
  const anyOrigin = options.allowedOrigins.includes('*');
  const allowedOrigins = new Set(options.allowedOrigins.map(normalizeOrigin));
  const byAddress = new ConnectionsByAddress(options, HARD_CONNECTION_FACTOR);

  const server = createServer((req, res) => {
    // One request per plain HTTP connection: a socket is never kept for a next, dribbled request.
    res.setHeader('connection', 'close');
    res.once('finish', () => httpSockets.delete(req.socket));
    const path = pathOf(req);
    if (byAddress.isOver(req.socket)) {
      metrics.refused('max_connections_per_address');
      res.writeHead(429, { 'content-type': 'text/plain' }).end('too many connections from this address\n');
    } else if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (req.method === 'GET' && path === '/metrics') {
      if (options.metricsToken !== undefined && !sameToken(bearerOf(req) ?? '', options.metricsToken)) {
        metrics.refused('metrics_unauthorized');
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' }).end('unauthorized\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
    } else if (path === WEBSOCKET_PATH) {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('websocket upgrade required\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });

  // Every socket is gone within --handshake-timeout unless it became a websocket: plain HTTP
  // answers one request and closes, so the timer stops only at the upgrade. Sockets that are not
  // (yet) websockets count toward --max-connections. None of this stays with an upgraded socket:
  // at tens of thousands of idle connections, a timer and a listener each is megabytes.
  const handshakeTimers = new Map<Duplex, NodeJS.Timeout>();
  const httpSockets = new Set<Duplex>();
  const handshakeDone = (socket: Duplex): void => {
    clearTimeout(handshakeTimers.get(socket));
    handshakeTimers.delete(socket);
    httpSockets.delete(socket);
    socket.off('close', httpSocketClosed);
  };
  function httpSocketClosed(this: Duplex): void {
    handshakeDone(this);
  }
  server.on('connection', (socket: Socket) => {
    if (metrics.connections + httpSockets.size >= HARD_CONNECTION_FACTOR * options.maxConnections) {
      metrics.refused('max_connections');
      socket.destroy();
      return;
    }
    const admission = byAddress.admit(socket);
    if (admission === 'drop') {
      metrics.refused('max_connections_per_address');
      socket.destroy();
      return;
    }
    // a socket over its address's share takes no slot while it waits to be told 429
    if (admission === 'within') httpSockets.add(socket);
    const timer = setTimeout(() => {
      metrics.refused('handshake_timeout');
      socket.destroy();
    }, options.handshakeTimeoutMs);
    handshakeTimers.set(socket, timer);
    socket.on('close', httpSocketClosed);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handshakeDone(socket);
    socket.on('error', destroySocket);
    if (pathOf(req) !== WEBSOCKET_PATH) return refuse(socket, 404, 'Not Found');
    if (byAddress.isOver(socket)) {
      metrics.refused('max_connections_per_address');
      return refuse(socket, 429, 'Too Many Requests');
    }
    if (metrics.connections + httpSockets.size >= options.maxConnections) {
      metrics.refused('max_connections');
      return refuse(socket, 503, 'Service Unavailable');
    }
    const origin = req.headers.origin;
    // Only browsers send Origin; a page may open websockets to any host its visitor can reach, so a
    // browser is refused unless its origin was allowed (--allow-origin).
    if (origin !== undefined && !anyOrigin && !allowedOrigins.has(normalizeOrigin(origin))) {
      metrics.refused('origin');
      return refuse(socket, 403, 'Forbidden');
    }
    const reader = directory.lookup(tokenOf(req));
    if (!reader) {
      metrics.refused('unauthorized');
      return refuse(socket, 401, 'Unauthorized');
    }
    (reader.mayPublish ? publishers : subscribers).handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', destroySocket); // ws owns the socket now and destroys it on error itself
      watch(ws);
      hub.accept(ws, reader);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  // Keepalive: every interval, a session that has not answered the previous ping is terminated.
  // Only a pong carrying that ping's nonce answers it (unsolicited pongs are allowed and ignored).
  // The listeners are shared by every connection (`this` is the websocket), not closures per connection.
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
  return { server, wss };
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

function destroySocket(this: Duplex): void {
  this.destroy();
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

/** `scheme://host[:port]`, lower-cased, without a trailing slash. */
function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function bearerOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return auth && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** `?api_token=T` or `Authorization: Bearer T`. */
function tokenOf(req: IncomingMessage): string | undefined {
  const bearer = bearerOf(req);
  if (bearer !== undefined) return bearer;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get('api_token') ?? undefined;
}

function refuse(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
}
