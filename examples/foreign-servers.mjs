#!/usr/bin/env node
// Small event servers written only with `ws`, sharing no code with `evbench serve`: "somebody
// else's server" for trying the generic adapter (and for its tests). Each emits
// {"id":n,"ts":<epoch ms, fractional>,"kind":"update","pad":"…"}.
//
//   node examples/foreign-servers.mjs awaiting 9001   # one loop, awaits each write: the seed's bug
//   node examples/foreign-servers.mjs bounded 9002    # never waits on a socket; drops slow clients
//   node examples/foreign-servers.mjs relay 9003      # relays frames and HTTP POSTs to every client
//   node examples/foreign-servers.mjs chatty 9004     # talks, but not in events (no id field)
//   node examples/foreign-servers.mjs kicking 9005    # healthy, then closes every client with 1013 after 12 s
//   node examples/foreign-servers.mjs replaying 9006  # keeps its log; {"method":"subscribe","last_log_id":N} replays ids > N, then live
// then e.g.
//   npx evbench run slow-client --target ws://127.0.0.1:9001/ --adapter generic --publish server \
//       --id-field id --time-field ts --time-unit ms
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { WebSocketServer, WebSocket } from 'ws';

const epochMs = () => performance.timeOrigin + performance.now();

function listen(server, port = 0) {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server.address().port)));
}

function closer(http, wss, stop) {
  return async () => {
    stop();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(() => r()));
    await new Promise((r) => http.close(() => r()));
  };
}

/** The seed's bug in miniature: one loop makes each event and writes it to every client in turn, awaiting each write. */
export async function awaitingBroadcastServer({ rate, payloadBytes, port = 0 }) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const pad = 'x'.repeat(payloadBytes);
  let id = 0;
  let running = true;
  const start = epochMs();
  (async () => {
    while (running) {
      const due = start + (id * 1000) / rate;
      const wait = due - epochMs();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      id++;
      // stamped when made, not when planned: a timer may fire up to a millisecond before `due`
      const msg = JSON.stringify({ id, ts: epochMs(), kind: 'update', pad });
      for (const client of [...wss.clients]) {
        if (client.readyState !== WebSocket.OPEN) continue;
        await new Promise((resolve) => client.send(msg, () => resolve()));
      }
    }
  })();
  const bound = await listen(http, port);
  return { url: `ws://127.0.0.1:${bound}/`, httpUrl: `http://127.0.0.1:${bound}/`, close: closer(http, wss, () => (running = false)) };
}

/** The fix in miniature: never waits on a socket; a client over its byte budget is closed. */
export async function boundedQueueServer({ rate, payloadBytes, queueBytes, port = 0 }) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const pad = 'x'.repeat(payloadBytes);
  let id = 0;
  const start = epochMs();
  const timer = setInterval(() => {
    const now = epochMs();
    while (start + (id * 1000) / rate <= now) {
      const due = start + (id * 1000) / rate;
      id++;
      const msg = JSON.stringify({ id, ts: due, kind: 'update', pad });
      for (const client of wss.clients) {
        if (client.readyState !== WebSocket.OPEN) continue;
        if (client.bufferedAmount > queueBytes) client.close(4008, 'slow client');
        else client.send(msg);
      }
    }
  }, 1);
  const bound = await listen(http, port);
  return { url: `ws://127.0.0.1:${bound}/`, httpUrl: `http://127.0.0.1:${bound}/`, close: closer(http, wss, () => clearInterval(timer)) };
}

/**
 * Emits like the bounded server, then — `kickAfterMs` after its first client connected — closes
 * `kick` clients (the earliest first; all when omitted) with 1013 "try again later", and goes on
 * emitting to the rest. A server that drops clients: a failure, but not head-of-line blocking.
 */
export async function kickingServer({ rate, payloadBytes, kickAfterMs, kick = Infinity, port = 0 }) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const pad = 'x'.repeat(payloadBytes);
  const order = [];
  let kickTimer;
  wss.on('connection', (ws) => {
    order.push(ws);
    kickTimer ??= setTimeout(() => {
      for (const c of order.filter((c) => c.readyState === WebSocket.OPEN).slice(0, kick)) c.close(1013, 'try again later');
    }, kickAfterMs);
  });
  let id = 0;
  const start = epochMs();
  const timer = setInterval(() => {
    const now = epochMs();
    while (start + (id * 1000) / rate <= now) {
      const due = start + (id * 1000) / rate;
      id++;
      const msg = JSON.stringify({ id, ts: due, kind: 'update', pad });
      for (const client of wss.clients) if (client.readyState === WebSocket.OPEN && client.bufferedAmount < 1 << 20) client.send(msg);
    }
  }, 1);
  const bound = await listen(http, port);
  return {
    url: `ws://127.0.0.1:${bound}/`,
    httpUrl: `http://127.0.0.1:${bound}/`,
    close: closer(http, wss, () => (clearInterval(timer), clearTimeout(kickTimer))),
  };
}

/**
 * Keeps every event it emitted and replays on request: a client subscribes with
 * {"method":"subscribe","last_log_id":N} and gets every id > N, then the live stream, through one
 * cursor per client that is advanced only while the client's socket takes it (under 1 MiB
 * buffered): replay and live delivery share that per-client queue, and nobody waits for anybody.
 */
export async function replayingServer({ rate, payloadBytes, port = 0 }) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const pad = 'x'.repeat(payloadBytes);
  const log = [];
  const cursors = new Map();
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      let msg;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return void ws.send(JSON.stringify({ status: 400, message: 'not JSON' }));
      }
      if (msg.method !== 'subscribe') return void ws.send(JSON.stringify({ status: 400, message: 'unknown method' }));
      cursors.set(ws, Number.isInteger(msg.last_log_id) ? Math.max(0, Math.min(msg.last_log_id, log.length)) : log.length);
    });
    ws.on('close', () => cursors.delete(ws));
  });
  const start = epochMs();
  const timer = setInterval(() => {
    const now = epochMs();
    while (start + (log.length * 1000) / rate <= now) {
      const due = start + (log.length * 1000) / rate;
      log.push(JSON.stringify({ id: log.length + 1, ts: due, kind: 'update', pad }));
    }
    for (const [ws, cursor] of cursors) {
      let c = cursor;
      while (c < log.length && ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 1 << 20) ws.send(log[c++]);
      cursors.set(ws, c);
    }
  }, 1);
  const bound = await listen(http, port);
  return {
    url: `ws://127.0.0.1:${bound}/`,
    httpUrl: `http://127.0.0.1:${bound}/`,
    emitted: () => log.length,
    close: closer(http, wss, () => clearInterval(timer)),
  };
}

/** Relays every event it is given (a frame from any client, or an HTTP POST body) to all other clients. */
export async function relayServer({ port = 0 } = {}) {
  let received = 0;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(404).end();
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received++;
      const body = Buffer.concat(chunks).toString();
      for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(body);
      res.writeHead(204).end();
    });
  });
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      received++;
      for (const client of wss.clients) if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });
  });
  const bound = await listen(http, port);
  return {
    url: `ws://127.0.0.1:${bound}/`,
    httpUrl: `http://127.0.0.1:${bound}/publish`,
    received: () => received,
    close: closer(http, wss, () => {}),
  };
}

/** Talks, but not in events: ticks without any id field. */
export async function chattyServer({ port = 0 } = {}) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const timer = setInterval(() => {
    for (const client of wss.clients) client.send(JSON.stringify({ type: 'tick', value: 1, at: new Date().toISOString() }));
  }, 20);
  const bound = await listen(http, port);
  return { url: `ws://127.0.0.1:${bound}/`, httpUrl: `http://127.0.0.1:${bound}/`, close: closer(http, wss, () => clearInterval(timer)) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [kind = 'awaiting', portText = '0'] = process.argv.slice(2);
  const port = Number(portText);
  const make = {
    awaiting: () => awaitingBroadcastServer({ rate: 500, payloadBytes: 8192, port }),
    bounded: () => boundedQueueServer({ rate: 500, payloadBytes: 8192, queueBytes: 1 << 20, port }),
    relay: () => relayServer({ port }),
    chatty: () => chattyServer({ port }),
    replaying: () => replayingServer({ rate: 500, payloadBytes: 200, port }),
    kicking: () => kickingServer({ rate: 500, payloadBytes: 200, kickAfterMs: 12_000, port }),
  }[kind];
  if (!make || !Number.isInteger(port)) {
    process.stderr.write('usage: node examples/foreign-servers.mjs awaiting|bounded|relay|chatty|kicking|replaying [port]\n');
    process.exit(2);
  }
  const server = await make();
  process.stderr.write(`${kind} server on ${server.url} (HTTP ${server.httpUrl}); Ctrl-C to stop\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
