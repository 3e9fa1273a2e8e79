// The fan-out benchmark's baseline: what most people write first — a `ws` server that, for each
// published event, JSON.stringify's it and calls ws.send once per subscriber. Speaks enough of the
// v0 protocol for evbench's clients (subscribe ack with the head, publish ack with ids, events with
// msgID first); filters are ignored and there is no catch-up. Run as a child process: it prints
// `{"url":…}` once listening and exits on SIGTERM.
import { WebSocketServer, type WebSocket } from 'ws';

interface PublishedEvent {
  event_type?: string;
  object_uuid?: string;
  object_owner_uuid?: string;
  object_kind?: string;
  event_at?: string;
  properties?: unknown;
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, path: '/websocket' });
const subscribers = new Map<WebSocket, { msgId: number }>();
let headId = 0;

function isoNowUs(): string {
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z`;
}

wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let m: { method?: string; events?: PublishedEvent[] };
    try {
      m = JSON.parse(data.toString()) as typeof m;
    } catch {
      ws.send('{"status":400,"message":"invalid JSON"}');
      return;
    }
    if (m.method === 'subscribe') {
      ws.send(JSON.stringify({ status: 200, last_log_id: headId }));
      if (!subscribers.has(ws)) subscribers.set(ws, { msgId: 0 });
    } else if (m.method === 'publish' && Array.isArray(m.events) && m.events.length > 0) {
      const first = headId + 1;
      const now = isoNowUs();
      const events = m.events.map((e) => {
        const id = ++headId;
        return {
          id,
          uuid: `zzzzz-57u5n-${String(id).padStart(15, '0')}`,
          object_uuid: e.object_uuid ?? '',
          object_owner_uuid: e.object_owner_uuid ?? 'group-all',
          object_kind: e.object_kind ?? 'arvados#object',
          event_type: e.event_type,
          event_at: e.event_at ?? now,
          properties: e.properties ?? {},
        };
      });
      ws.send(JSON.stringify({ status: 200, first_id: first, last_id: headId }));
      for (const event of events) {
        for (const [sub, state] of subscribers) sub.send(JSON.stringify({ msgID: ++state.msgId, ...event }));
      }
    } else {
      ws.send('{"status":400,"message":"unknown method"}');
    }
  });
  ws.on('error', () => {});
  ws.on('close', () => subscribers.delete(ws));
});

wss.on('listening', () => {
  const address = wss.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${address.port}/websocket` })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    process.exit(0);
  });
}
