// Small event servers written only with `ws`, sharing no code with `evbench serve`: they stand for
// "somebody else's server" in the generic adapter's tests. Each emits {"id":n,"ts":<epoch ms>,...}.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { performance } from 'node:perf_hooks';

export interface ForeignServer {
  url: string;
  httpUrl: string;
  close(): Promise<void>;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function closer(http: Server, wss: WebSocketServer, stop: () => void): () => Promise<void> {
  return async () => {
    stop();
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => http.close(() => r()));
  };
}

/**
 * The seed's bug in miniature: one loop makes each event and writes it to every client in turn,
 * awaiting each write before the next. A client that stops reading stops everyone, and the loop
 * stops emitting altogether.
 */
export async function awaitingBroadcastServer(opts: { rate: number; payloadBytes: number }): Promise<ForeignServer> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const pad = 'x'.repeat(opts.payloadBytes);
  let id = 0;
  let running = true;
  const start = epochMs();
  const loop = async (): Promise<void> => {
    while (running) {
      const due = start + (id * 1000) / opts.rate;
      const wait = due - epochMs();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      id++;
      const msg = JSON.stringify({ id, ts: due, kind: 'update', pad });
      for (const client of [...wss.clients]) {
        if (client.readyState !== WebSocket.OPEN) continue;
        await new Promise<void>((resolve) => client.send(msg, () => resolve()));
      }
    }
  };
  void loop();
  const port = await listen(http);
  return { url: `ws://127.0.0.1:${port}/`, httpUrl: `http://127.0.0.1:${port}/`, close: closer(http, wss, () => (running = false)) };
}

/** The fix in miniature: never waits on a socket; a client over its byte budget is dropped. */
export async function boundedQueueServer(opts: { rate: number; payloadBytes: number; queueBytes: number }): Promise<ForeignServer> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const pad = 'x'.repeat(opts.payloadBytes);
  let id = 0;
  const start = epochMs();
  const timer = setInterval(() => {
    const now = epochMs();
    while (start + (id * 1000) / opts.rate <= now) {
      const due = start + (id * 1000) / opts.rate;
      id++;
      const msg = JSON.stringify({ id, ts: due, kind: 'update', pad });
      for (const client of wss.clients) {
        if (client.readyState !== WebSocket.OPEN) continue;
        if (client.bufferedAmount > opts.queueBytes) client.close(4008, 'slow client');
        else client.send(msg);
      }
    }
  }, 1);
  const port = await listen(http);
  return { url: `ws://127.0.0.1:${port}/`, httpUrl: `http://127.0.0.1:${port}/`, close: closer(http, wss, () => clearInterval(timer)) };
}

/** Relays every event it is given (a websocket frame from any client, or an HTTP POST body) to all other clients. */
export async function relayServer(): Promise<ForeignServer & { received: () => number }> {
  let received = 0;
  const http = createServer((req: IncomingMessage, res) => {
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received++;
      const body = Buffer.concat(chunks).toString();
      for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(body);
      res.writeHead(204).end();
    });
  });
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      received++;
      for (const client of wss.clients) if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });
  });
  const port = await listen(http);
  return { url: `ws://127.0.0.1:${port}/`, httpUrl: `http://127.0.0.1:${port}/publish`, received: () => received, close: closer(http, wss, () => {}) };
}

/** Talks, but not in events: ticks without any id field. */
export async function chattyServer(): Promise<ForeignServer> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const timer = setInterval(() => {
    for (const client of wss.clients) client.send(JSON.stringify({ type: 'tick', value: 1, at: new Date().toISOString() }));
  }, 20);
  const port = await listen(http);
  return { url: `ws://127.0.0.1:${port}/`, httpUrl: `http://127.0.0.1:${port}/`, close: closer(http, wss, () => clearInterval(timer)) };
}
