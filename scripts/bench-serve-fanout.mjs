#!/usr/bin/env node
// @ts-check
// Ad-hoc throughput check of `evbench serve`: deliveries/s from one serve process to N local clients.
// Usage: npm run build && node scripts/bench-serve-fanout.mjs [--mode isolated|legacy|naive] [--clients 50]
//        [--seconds 5] [--batch 100] [--payload 100] [--workers 2]
// `naive` is a plain ws broadcast loop (JSON.stringify + ws.send per client) in a child process, for comparison.
// Clients run in worker threads and count frames without parsing them; the publisher keeps a few
// publish requests in flight (closed loop), so the figure is the server's saturation throughput.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--naive-server') {
  // The baseline: what most people write first.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  let nextId = 1;
  const subscribers = new Set();
  wss.on('connection', (ws, req) => {
    const publisher = req.url.includes('api_token=pub');
    let msgId = 0;
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.method === 'subscribe') {
        ws.send(JSON.stringify({ status: 200, last_log_id: nextId - 1 }));
        /** @type {any} */ (ws).msgId = () => ++msgId;
        subscribers.add(ws);
      } else if (publisher && m.method === 'publish') {
        const first = nextId;
        for (const e of m.events) {
          const id = nextId++;
          const event = {
            id,
            uuid: `zzzzz-57u5n-${id}`,
            object_uuid: '',
            object_owner_uuid: 'group-all',
            object_kind: 'x',
            event_type: e.event_type,
            event_at: new Date().toISOString(),
            properties: e.properties,
          };
          for (const s of subscribers) s.send(JSON.stringify({ msgID: s.msgId(), ...event }));
        }
        ws.send(JSON.stringify({ status: 200, first_id: first, last_id: nextId - 1 }));
      }
    });
    ws.on('close', () => subscribers.delete(ws));
  });
  wss.on('listening', () =>
    process.send({ url: `ws://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (wss.address()).port}/websocket` }),
  );
} else if (!isMainThread) {
  // A worker: open its share of clients, subscribe, count event frames until told to stop.
  const { url, clients } = workerData;
  let received = 0;
  const sockets = [];
  let ready = 0;
  for (let i = 0; i < clients; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(ws);
    ws.on('open', () => ws.send('{"method":"subscribe"}'));
    ws.on('message', (data) => {
      if (data[2] === 0x6d /* {"m(sgID */) received++;
      else if (++ready === clients) parentPort.postMessage({ ready: true });
    });
  }
  parentPort.on('message', (m) => {
    if (m === 'count') parentPort.postMessage({ received });
    if (m === 'stop') {
      for (const ws of sockets) ws.terminate();
      parentPort.close();
    }
  });
} else {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'isolated' },
      clients: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '5' },
      batch: { type: 'string', default: '100' },
      payload: { type: 'string', default: '100' },
      workers: { type: 'string', default: '2' },
      inflight: { type: 'string', default: '4' },
    },
  });
  const clients = Number(values.clients);
  const workersN = Number(values.workers);
  let url;
  let stop;
  if (values.mode === 'naive') {
    const child = fork(self, ['--naive-server']);
    url = await new Promise((r) => child.once('message', (/** @type {any} */ m) => r(m.url)));
    stop = async () => child.kill('SIGTERM');
  } else {
    const { spawnServe } = await import('../dist/util/spawnServe.js');
    const serve = await spawnServe({ args: ['--mode', values.mode, '--publisher-token', 'pub', '--queue-bytes', '8MiB'] });
    url = serve.url;
    stop = () => serve.stop();
  }
  const workers = [];
  for (let w = 0; w < workersN; w++) {
    const share = Math.floor(clients / workersN) + (w < clients % workersN ? 1 : 0);
    const worker = new Worker(self, { workerData: { url, clients: share } });
    await new Promise((r) => worker.once('message', r));
    workers.push(worker);
  }
  const count = async () =>
    (
      await Promise.all(
        workers.map(
          (w) =>
            new Promise((r) => {
              w.once('message', (m) => r(m.received));
              w.postMessage('count');
            }),
        ),
      )
    ).reduce((a, b) => a + b, 0);

  const pub = new WebSocket(`${url}?api_token=pub`, { perMessageDeflate: false });
  await new Promise((r) => pub.once('open', r));
  const frame = JSON.stringify({
    method: 'publish',
    events: Array.from({ length: Number(values.batch) }, () => ({
      event_type: 'update',
      properties: { pad: 'x'.repeat(Number(values.payload)) },
    })),
  });
  let running = true;
  let published = 0;
  pub.on('message', () => {
    published += Number(values.batch);
    if (running) pub.send(frame);
  });
  for (let i = 0; i < Number(values.inflight); i++) pub.send(frame);

  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  const c0 = await count();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
  const c1 = await count();
  const t1 = performance.now();
  running = false;
  const rate = ((c1 - c0) / (t1 - t0)) * 1000;
  console.log(
    JSON.stringify({
      mode: values.mode,
      clients,
      batch: Number(values.batch),
      payloadBytes: Number(values.payload),
      seconds: (t1 - t0) / 1000,
      deliveries: c1 - c0,
      deliveriesPerSecond: Math.round(rate),
      eventsPublished: published,
    }),
  );
  pub.terminate();
  for (const w of workers) w.postMessage('stop');
  await stop();
  process.exit(0);
}
