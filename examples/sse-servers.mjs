#!/usr/bin/env node
// Two Server-Sent-Events servers that emit {id, ts, pad} at a fixed rate (`rate 0`: they only relay
// what is POSTed to /publish) on GET /events, each message with an `id:` line:
//   plain       Node's http alone, writing with res.write; honours Last-Event-ID from a bounded
//               history (it stands for "a plain SSE endpoint")
//   better-sse  the better-sse library's channel broadcast (no history of its own: no catch-up)
//
//   node examples/sse-servers.mjs plain 9020 500
// then
//   npx evbench run slow-client --target http://127.0.0.1:9020/events --adapter sse --publish server \
//       --id-field id --time-field ts --time-unit ms
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createChannel, createSession } from 'better-sse';

const epochMs = () => performance.timeOrigin + performance.now();

function listen(http, port) {
  return new Promise((resolve) => http.listen(port, '127.0.0.1', () => resolve(http.address().port)));
}

/** Emits `make(id)` for every due id on a 1 ms tick (never waiting on a client). */
function emitAtRate(rate, emit) {
  if (rate <= 0) return () => {};
  const start = epochMs();
  let id = 0;
  let timer;
  const tick = () => {
    const due = Math.floor(((epochMs() - start) * rate) / 1000);
    while (id < due) emit(++id);
    timer = setTimeout(tick, 1);
  };
  tick();
  return () => clearTimeout(timer);
}

function readJson(req) {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (s) => (body += s));
    req.on('end', () => {
      try {
        resolve(JSON.parse(body));
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** A plain endpoint: every client's response is written with res.write, whatever it returns. */
export async function plainSseServer({ rate = 500, payloadBytes = 1024, historySize = 100_000, port = 0 } = {}) {
  const clients = new Set();
  const history = []; // [id, frame], oldest first, at most historySize
  const pad = 'x'.repeat(payloadBytes);
  let peakBuffered = 0;
  const send = (id, data) => {
    const frame = `id: ${id}\ndata: ${data}\n\n`;
    history.push([id, frame]);
    if (history.length > historySize) history.shift();
    for (const res of clients) {
      res.write(frame); // its `false` (the kernel took no more) is ignored: Node keeps the rest in memory
      if (res.writableLength > peakBuffered) peakBuffered = res.writableLength;
    }
  };
  const http = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/publish') {
      const event = await readJson(req);
      if (!event || !Number.isSafeInteger(event.id)) return res.writeHead(400).end('expected JSON with an integer id\n');
      send(event.id, JSON.stringify(event));
      return res.writeHead(204).end();
    }
    if (req.method !== 'GET' || !req.url.startsWith('/events')) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const last = Number(req.headers['last-event-id']);
    if (req.headers['last-event-id'] !== undefined && Number.isFinite(last)) {
      for (const [id, frame] of history) if (id > last) res.write(frame);
    } else {
      res.write(': connected\n\n');
    }
    clients.add(res);
    req.on('close', () => clients.delete(res));
  });
  const stop = emitAtRate(rate, (id) => send(id, JSON.stringify({ id, ts: epochMs(), pad })));
  const bound = await listen(http, port);
  return {
    url: `http://127.0.0.1:${bound}/events`,
    publishUrl: `http://127.0.0.1:${bound}/publish`,
    /** The most bytes ever held in memory for one client (written, not yet taken by the kernel): what a stalled reader costs. */
    maxBufferedBytes: () => peakBuffered,
    close: async () => {
      stop();
      for (const res of clients) res.destroy();
      http.closeAllConnections();
      await new Promise((r) => http.close(() => r()));
    },
  };
}

/** better-sse: sessions registered on one channel, events broadcast to it. */
export async function betterSseServer({ rate = 500, payloadBytes = 1024, port = 0 } = {}) {
  const channel = createChannel();
  const pad = 'x'.repeat(payloadBytes);
  const http = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/publish') {
      const event = await readJson(req);
      if (!event || !Number.isSafeInteger(event.id)) return res.writeHead(400).end('expected JSON with an integer id\n');
      channel.broadcast(event, 'message', { eventId: String(event.id) });
      return res.writeHead(204).end();
    }
    if (req.method !== 'GET' || !req.url.startsWith('/events')) return res.writeHead(404).end();
    const session = await createSession(req, res);
    channel.register(session);
  });
  const stop = emitAtRate(rate, (id) => channel.broadcast({ id, ts: epochMs(), pad }, 'message', { eventId: String(id) }));
  const bound = await listen(http, port);
  return {
    url: `http://127.0.0.1:${bound}/events`,
    publishUrl: `http://127.0.0.1:${bound}/publish`,
    close: async () => {
      stop();
      http.closeAllConnections();
      await new Promise((r) => http.close(() => r()));
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [kind = 'plain', port = '9020', rate = '500'] = process.argv.slice(2);
  const make = kind === 'better-sse' ? betterSseServer : plainSseServer;
  const s = await make({ port: Number(port), rate: Number(rate) });
  console.error(`${kind} SSE server: GET ${s.url}, POST ${s.publishUrl}`);
}
