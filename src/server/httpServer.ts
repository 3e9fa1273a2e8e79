// The HTTP side: /healthz, /metrics, and the websocket upgrade on /websocket, where the token is
// checked before the upgrade (HTTP 401) and the session handed to the mode's hub.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { WEBSOCKET_PATH } from '../protocol/v0.js';
import type { ServerMetrics } from './metrics.js';
import type { PermissionDirectory } from './permissions.js';
import type { Hub } from './session.js';

/** Largest client frame accepted (a publish batch of big events); larger ones close the connection with 1009. */
export const MAX_CLIENT_PAYLOAD = 16 * 1024 * 1024;
/** How long a closing connection (e.g. a slow client told 4008) may take before its socket is destroyed. */
export const CLOSE_TIMEOUT_MS = 10_000;

export interface HttpParts {
  server: Server;
  wss: WebSocketServer;
}

export function createHttpServer(hub: Hub, directory: PermissionDirectory, metrics: ServerMetrics): HttpParts {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false, // isolated mode writes shared frames straight to the socket
    maxPayload: MAX_CLIENT_PAYLOAD,
    closeTimeout: CLOSE_TIMEOUT_MS,
  } as ConstructorParameters<typeof WebSocketServer>[0]);

  const server = createServer((req, res) => {
    const path = pathOf(req);
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
    } else if (path === WEBSOCKET_PATH) {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('websocket upgrade required\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (pathOf(req) !== WEBSOCKET_PATH) return refuse(socket, 404, 'Not Found');
    const reader = directory.lookup(tokenOf(req));
    if (!reader) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => hub.accept(ws, reader));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return { server, wss };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** `?api_token=T` or `Authorization: Bearer T`. */
function tokenOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^bearer /i.test(auth)) return auth.slice(7).trim();
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
