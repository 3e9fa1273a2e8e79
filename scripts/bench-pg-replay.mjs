// @ts-check
// Ad-hoc: catch-up replay rate (events/s) of a large backlog from the PostgreSQL store to one client.
// Fills the `logs` table through `evbench serve --store URL`, then times one client that subscribes
// with last_log_id 0 until it has every stored event. Run `npm run build` first.
//   node scripts/bench-pg-replay.mjs postgres://user:pass@127.0.0.1/db [events=1000000] [payloadBytes=200]
// The database's evbench tables are dropped first: point it at a scratch database.
import pg from 'pg';
import WebSocket from 'ws';
import { spawnServe } from '../dist/util/spawnServe.js';

const [url, eventsArg = '1000000', payloadArg = '200'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node scripts/bench-pg-replay.mjs postgres://user:pass@host/db [events] [payloadBytes]');
  process.exit(2);
}
const events = Number(eventsArg);
const payload = 'x'.repeat(Number(payloadArg));

const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(
  'DROP TABLE IF EXISTS logs, logs_retention, evbench_migrations CASCADE; DROP FUNCTION IF EXISTS evbench_logs_notify() CASCADE',
);

const serve = await spawnServe({ args: ['--store', url, '--publisher-token', 'pub'] });
const open = (token) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(token ? `${serve.url}?api_token=${token}` : serve.url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });

// Fill: batches of 10,000 (the protocol's limit), a few in flight.
const pub = await open('pub');
const pending = [];
pub.on('message', (data) => pending.shift()?.(JSON.parse(data.toString())));
const publish = (batch) =>
  new Promise((resolve) => {
    pending.push(resolve);
    pub.send(JSON.stringify({ method: 'publish', events: batch }));
  });
const fillStart = performance.now();
const batch = Array.from({ length: 10_000 }, () => ({ event_type: 'update', properties: { note: payload } }));
for (let done = 0; done < events;) {
  const inFlight = [];
  for (let k = 0; k < 4 && done < events; k++) {
    const n = Math.min(10_000, events - done);
    inFlight.push(publish(n === 10_000 ? batch : batch.slice(0, n)));
    done += n;
  }
  for (const ack of await Promise.all(inFlight)) if (ack.status !== 200) throw new Error(JSON.stringify(ack));
}
const fillS = (performance.now() - fillStart) / 1000;
await admin.query('VACUUM ANALYZE logs');
const size = (await admin.query("SELECT pg_size_pretty(pg_total_relation_size('logs')) AS s")).rows[0].s;
console.error(
  `filled ${events} events (${payload.length}-byte payload) in ${fillS.toFixed(1)} s (${Math.round(events / fillS)} inserts/s); table ${size}`,
);

// Replay to one client.
const client = await open();
let received = 0;
let lastId = 0;
let ordered = true;
let head = -1;
const t0 = performance.now();
const done = new Promise((resolve) => {
  client.on('message', (data) => {
    if (data[2] === 0x6d) {
      const m = /"id":(\d+)/.exec(data.toString('latin1', 0, 80));
      const id = Number(m[1]);
      if (id !== lastId + 1) ordered = false;
      lastId = id;
      if (++received === head) resolve();
    } else {
      const status = JSON.parse(data.toString());
      if (status.last_log_id !== undefined) head = status.last_log_id;
      if (received === head) resolve();
    }
  });
});
client.send(JSON.stringify({ method: 'subscribe', last_log_id: 0 }));
await done;
const s = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    store: 'postgres',
    events: received,
    payloadBytes: payload.length,
    seconds: +s.toFixed(2),
    eventsPerSecond: Math.round(received / s),
    inOrder: ordered,
  }),
);
client.close();
pub.close();
await serve.stop();
await admin.end();
