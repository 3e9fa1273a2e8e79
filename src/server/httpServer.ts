// The HTTP side: /healthz, /metrics, and the websocket upgrade on /websocket, where capacity (503),
// Origin (403) and the token (401) are checked before the upgrade and the session handed to the
// mode's hub. Connection-level limits live here: handshake timeout, keepalive, frame size.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WEBSOCKET_PATH } from '../protocol/v0.js';
import type { RefusalReason, ServerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import type { PermissionDirectory } from './permissions.js';
import type { Hub } from './session.js';
import { sameToken } from './tokens.js';
/** How long a closing connection (e.g. a slow client told 4008) may take before its socket is destroyed. */
export const CLOSE_TIMEOUT_MS = 10_000;

export interface HttpParts {
  server: Server;
  wss: WebSocketServer;
}

/** ws error codes for what a client sent wrong, by the refusal they count as. */
const WS_ERROR_REASONS: Record<string, RefusalReason> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'frame_too_large',
  WS_ERR_INVALID_UTF8: 'invalid_utf8',
};

export function createHttpServer(
  hub: Hub,
  directory: PermissionDirectory,
  metrics: ServerMetrics,
  options: ServerOptions,
): HttpParts {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false, // isolated mode writes shared frames straight to the socket
    maxPayload: options.maxFrameBytes,
    closeTimeout: CLOSE_TIMEOUT_MS,
  } as ConstructorParameters<typeof WebSocketServer>[0]);
  const allowedOrigins = new Set(options.allowedOrigins.map(normalizeOrigin));

  const server = createServer((req, res) => {
    const path = pathOf(req);
    if (req.method === 'GET' && path === '/healthz') {
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

  // A socket that connects but never completes its request is destroyed; the timer stops at the
  // request (plain HTTP then has Node's own timeouts) or the upgrade.
  const handshakeTimers = new WeakMap<Duplex, NodeJS.Timeout>();
  const handshakeDone = (socket: Duplex): void => clearTimeout(handshakeTimers.get(socket));
  server.on('connection', (socket: Duplex) => {
    const timer = setTimeout(() => {
      metrics.refused('handshake_timeout');
      socket.destroy();
    }, options.handshakeTimeoutMs);
    handshakeTimers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage) => handshakeDone(req.socket));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handshakeDone(socket);
    socket.on('error', () => socket.destroy());
    if (pathOf(req) !== WEBSOCKET_PATH) return refuse(socket, 404, 'Not Found');
    if (metrics.connections >= options.maxConnections) {
      metrics.refused('max_connections');
      return refuse(socket, 503, 'Service Unavailable');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && allowedOrigins.size > 0 && !allowedOrigins.has(normalizeOrigin(origin))) {
      metrics.refused('origin');
      return refuse(socket, 403, 'Forbidden');
    }
    const reader = directory.lookup(tokenOf(req));
    if (!reader) {
      metrics.refused('unauthorized');
      return refuse(socket, 401, 'Unauthorized');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      watch(ws);
      hub.accept(ws, reader);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  // Keepalive: every interval, a session that has not answered the previous ping is terminated.
  const awaitingPong = new WeakSet<WebSocket>();
  const watch = (ws: WebSocket): void => {
    ws.on('pong', () => awaitingPong.delete(ws));
    ws.on('error', (err: Error & { code?: string }) => metrics.refused(WS_ERROR_REASONS[err.code ?? ''] ?? 'protocol_error'));
  };
  if (options.keepaliveMs > 0) {
    const keepalive = setInterval(() => {
      for (const ws of wss.clients) {
        if (ws.readyState !== ws.OPEN) continue;
        if (awaitingPong.has(ws)) {
          metrics.refused('keepalive_timeout');
          ws.terminate();
          continue;
        }
        awaitingPong.add(ws);
        ws.ping();
      }
    }, options.keepaliveMs);
    keepalive.unref();
    server.once('close', () => clearInterval(keepalive));
  }
  return { server, wss };
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
