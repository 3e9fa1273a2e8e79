import { startServer } from '../dist/server/index.js';
import WebSocket from 'ws';
const N = Number(process.argv[2]);
const srv = await startServer({ publisherToken: 'p' });
const open = (tok) => new Promise((res) => { const ws = new WebSocket(tok ? `${srv.url}?api_token=${tok}` : srv.url); ws.once('open', () => res(ws)); });
const req = (ws, msg) => new Promise((res) => { ws.once('message', (d) => res(JSON.parse(d))); ws.send(JSON.stringify(msg)); });
const fast = await open();
await req(fast, { method: 'subscribe', filters: [['object_uuid', '=', 'fast-target']] });
const filters = [...Array.from({ length: 9 }, () => ['event_type', '=', 'update']), ['event_at', '<', '1970-01-01T00:00:00Z']];
await Promise.all(Array.from({ length: N }, async () => { const c = await open(); for (let i = 0; i < 100; i++) await req(c, { method: 'subscribe', filters }); }));
const pub = await open('p');
const out = [];
for (let k = 0; k < 6; k++) {
  const batch = Array.from({ length: 2500 }, (_, i) => ({ event_type: 'update', object_uuid: i === 2499 ? 'fast-target' : 'x' }));
  const t = performance.now();
  const got = new Promise((r) => fast.once('message', r));
  await req(pub, { method: 'publish', events: batch });
  const a = performance.now() - t;
  await got;
  out.push(`${Math.round(a)}/${Math.round(performance.now() - t)}`);
}
console.log(N, 'sessions: ack/receive ms', out.join(' '));
await srv.close();
process.exit(0);
