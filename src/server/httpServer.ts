// The HTTP side: /healthz, /metrics, and the websocket upgrade on /websocket, where the peer
// address's share (429), capacity (503), Origin (403) and the token (401) are checked before the
// upgrade and the session handed to the mode's hub. Connection-level limits live here: handshake
// timeout and connection counts (in total and per peer address) for every socket, keepalive
// (answered only by a pong carrying our ping's nonce), frame size by role, and the timeout of
// unfinished messages.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { WEBSOCKET_PATH } from '../protocol/v0.js';
import type { ServerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import { ConnectionsByAddress } from './addressShares.js';
import type { PermissionDirectory, Reader } from './permissions.js';
import type { Hub } from './serverContext.js';
import { sameToken } from './tokens.js';
import { watchConnections } from './connectionWatch.js';
import { HandshakeSockets, HARD_CONNECTION_FACTOR } from './handshakeSockets.js';

/** How long a closing connection (e.g. a slow client told 4008) may take before its socket is destroyed. */
export const CLOSE_TIMEOUT_MS = 10_000;

export interface HttpParts {
  server: Server;
  /** One websocket server per role (frame size): publishers, then everyone else. */
  wss: WebSocketServer[];
}

export function createHttpServer(hub: Hub, directory: PermissionDirectory, metrics: ServerMetrics, options: ServerOptions): HttpParts {
  // A subscriber needs kilobytes; only a publisher may send megabytes.
  const publishers = websocketServer(options.maxFrameBytes);
  const subscribers = websocketServer(options.maxSubscriberFrameBytes);
  const wss = [publishers, subscribers];
  const byAddress = new ConnectionsByAddress(options, HARD_CONNECTION_FACTOR);
  const handshakes = new HandshakeSockets(byAddress, metrics, options);
  const admit = upgradeAdmission(directory, byAddress, handshakes, metrics, options);
  const server = createServer((req, res) => answerRequest(req, res, byAddress, handshakes, metrics, options));
  const watch = watchConnections(server, wss, metrics, options);
  server.on('connection', (socket: Socket) => handshakes.open(socket));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handshakes.done(socket);
    socket.on('error', destroySocket);
    const reader = admit(req, socket);
    if (!reader) return;
    (reader.mayPublish ? publishers : subscribers).handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', destroySocket); // ws owns the socket now and destroys it on error itself
      watch(ws);
      hub.accept(ws, reader);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return { server, wss };
}

function websocketServer(maxPayload: number): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    perMessageDeflate: false, // isolated mode writes shared frames straight to the socket
    maxPayload,
    autoPong: false, // pings are answered under the session's rate limit (ClientGuard.ping)
    closeTimeout: CLOSE_TIMEOUT_MS,
  } as ConstructorParameters<typeof WebSocketServer>[0]);
}

/** Plain HTTP: /healthz, /metrics (behind its token, if any), and a 426 on the websocket path. */
function answerRequest(
  req: IncomingMessage,
  res: ServerResponse,
  byAddress: ConnectionsByAddress,
  handshakes: HandshakeSockets,
  metrics: ServerMetrics,
  options: ServerOptions,
): void {
  // One request per plain HTTP connection: a socket is never kept for a next, dribbled request.
  res.setHeader('connection', 'close');
  res.once('finish', () => handshakes.answered(req.socket));
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
}

/**
 * The checks before an upgrade, in order: the path, the peer address's share (429), capacity (503),
 * Origin (403), the token (401). Returns `admit(req, socket)`: the reader to hand the session to, or
 * undefined once the socket has been refused.
 */
function upgradeAdmission(
  directory: PermissionDirectory,
  byAddress: ConnectionsByAddress,
  handshakes: HandshakeSockets,
  metrics: ServerMetrics,
  options: ServerOptions,
): (req: IncomingMessage, socket: Duplex) => Reader | undefined {
  const anyOrigin = options.allowedOrigins.includes('*');
  const allowedOrigins = new Set(options.allowedOrigins.map(normalizeOrigin));
  return (req, socket) => {
    if (pathOf(req) !== WEBSOCKET_PATH) return refuse(socket, 404, 'Not Found');
    if (byAddress.isOver(socket)) {
      metrics.refused('max_connections_per_address');
      return refuse(socket, 429, 'Too Many Requests');
    }
    if (metrics.connections + handshakes.size >= options.maxConnections) {
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
    return reader;
  };
}

function destroySocket(this: Duplex): void {
  this.destroy();
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

/** Answers an upgrade with `status` and closes; undefined, for the admission's return. */
function refuse(socket: Duplex, status: number, text: string): undefined {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
}
