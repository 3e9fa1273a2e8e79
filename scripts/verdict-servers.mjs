#!/usr/bin/env node
// @ts-check
// One small websocket event server that misbehaves in exactly one way, chosen by flags: the
// yardstick evbench's verdict is judged by (scripts/verdict-matrix.mjs). It emits
// {"id":n,"ts":<epoch ms, fractional>,"kind":"update","pad":"…"} on its own schedule (read with
// `--adapter generic --publish server`, the adapter's default id/ts/ms fields), fans every event out
// in one loop to every client, binds 127.0.0.1, prints `port N` on stdout and exits after --lifetime.
//
// Unless a flag says otherwise the trigger for misbehaving is a backlogged client: one whose
// bufferedAmount is over --backlog-bytes (256 KiB), i.e. what the slow clients of `slow-client` cause.
//
//   --port N (0: ephemeral)  --lifetime 120s  --rate 500  --payload 8192  --poisson  --id-step 1
//   --freeze-ms 300 --freeze-every-ms 6000   while backlogged, busy-wait the loop that long, that often
//   --stamp sent                             stamp each event when it is sent, not when it was due
//   --send-delay-ms 60                       while backlogged, send each event that much after it is due
//   --hiccup-ms 200 --hiccup-after-ms 5000   one loop block that long after the first client connected
//   --history N --replay-on-loop             keep a log (N old events to start); a subscribe with
//                                            last_log_id replays it synchronously on the loop
//   --await-drain                            await each client's write before the next (the seed's bug)
//   --close-after-backlog-ms 4000            close every client with 1013 once backlogged that long
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, WebSocket } from 'ws';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined && !args[i + 1].startsWith('--') ? args[i + 1] : fallback;
};
const has = (name) => args.includes(`--${name}`);
const num = (name, fallback) => {
  const n = Number(String(flag(name, fallback)).replace(/s$/, ''));
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: a number ≥ 0`);
  return n;
};
const port = num('port', 0);
const lifetimeMs = num('lifetime', 120) * 1000;
const rate = num('rate', 500);
const pad = 'x'.repeat(num('payload', 8192));
const poisson = has('poisson');
const idStep = num('id-step', 1);
const backlogBytes = num('backlog-bytes', 256 * 1024);
const freezeMs = num('freeze-ms', 0);
const freezeEveryMs = num('freeze-every-ms', 6000);
const stampSent = flag('stamp', 'due') === 'sent';
const sendDelayMs = num('send-delay-ms', 0);
const hiccupMs = num('hiccup-ms', 0);
const hiccupAfterMs = num('hiccup-after-ms', 5000);
const history = num('history', 0);
const replayOnLoop = has('replay-on-loop');
const awaitDrain = has('await-drain');
const closeAfterBacklogMs = num('close-after-backlog-ms', 0);
const memoryCap = 128 * 1024 * 1024; // a healthy server still bounds what it holds for one client

const epochMs = () => performance.timeOrigin + performance.now();
const busyWait = (ms) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
/** Clients that receive live events (all, unless they must subscribe first to be replayed to). */
const live = new Set();
const log = []; // [id, frame] when replaying
let nextId = idStep;
const start = epochMs();
for (let i = 0; i < history; i++, nextId += idStep) {
  const frame = JSON.stringify({ id: nextId, ts: start - (history - i) * (1000 / (rate || 1)), kind: 'update', pad });
  log.push([nextId, frame]);
}

let firstClientAt;
wss.on('connection', (ws) => {
  if (firstClientAt === undefined) {
    firstClientAt = epochMs();
    if (hiccupMs > 0) setTimeout(() => busyWait(hiccupMs), hiccupAfterMs);
  }
  if (!replayOnLoop) live.add(ws);
  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return void ws.send(JSON.stringify({ status: 400, message: 'not JSON' }));
    }
    if (!replayOnLoop || live.has(ws)) return;
    // the whole backlog, synchronously, on the one loop: everyone else waits for it
    if (Number.isInteger(msg.last_log_id)) {
      const began = performance.now();
      let sent = 0;
      for (const [id, frame] of log) {
        if (id <= msg.last_log_id) continue;
        ws.send(frame);
        sent++;
      }
      process.stderr.write(`replayed ${sent} events on the loop in ${Math.round(performance.now() - began)} ms\n`);
    }
    live.add(ws);
  });
  ws.on('close', () => live.delete(ws));
});

const backlogged = () => {
  for (const ws of live) if (ws.bufferedAmount > backlogBytes) return true;
  return false;
};

let lastFreeze = -Infinity;
let backlogSince;
let closedAll = false;
let due = start;
let running = true;
let delayed = 0; // events waiting on a --send-delay-ms timer

/** Sends one frame to every live client: without waiting, or awaiting each write (--await-drain). */
async function fanOut(frame) {
  for (const ws of [...live]) {
    if (ws.readyState !== WebSocket.OPEN) continue;
    if (ws.bufferedAmount > memoryCap) ws.close(4008, 'slow client');
    else if (awaitDrain) await new Promise((resolve) => ws.send(frame, () => resolve()));
    else ws.send(frame);
  }
}

const makeFrame = (id, dueMs) => JSON.stringify({ id, ts: stampSent ? epochMs() : dueMs, kind: 'update', pad });

/** The one loop: emit every event that is due, in order, then sleep a millisecond. */
async function loop() {
  while (running) {
    const now = epochMs();
    const isBacklogged = backlogged();
    backlogSince = isBacklogged ? (backlogSince ?? now) : undefined;
    if (closeAfterBacklogMs > 0 && !closedAll && backlogSince !== undefined && now - backlogSince >= closeAfterBacklogMs) {
      closedAll = true;
      for (const ws of wss.clients) ws.close(1013, 'try again later');
    }
    if (freezeMs > 0 && isBacklogged && now - lastFreeze >= freezeEveryMs) {
      lastFreeze = now;
      busyWait(freezeMs);
    }
    while (rate > 0 && due <= epochMs()) {
      const id = nextId;
      nextId += idStep;
      const dueMs = due;
      due += poisson ? -Math.log(1 - Math.random()) * (1000 / rate) : 1000 / rate;
      if (sendDelayMs > 0 && (isBacklogged || delayed > 0)) {
        // timers of one delay fire in the order they were set: late, but in order (also once the backlog is gone)
        delayed++;
        setTimeout(() => (delayed--, void fanOut(makeFrame(id, dueMs))), sendDelayMs);
        continue;
      }
      const frame = makeFrame(id, dueMs);
      if (replayOnLoop) log.push([id, frame]);
      await fanOut(frame);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

http.listen(port, '127.0.0.1', () => {
  process.stdout.write(`port ${/** @type {import('node:net').AddressInfo} */ (http.address()).port}\n`);
  void loop();
});
const stop = () => {
  running = false;
  for (const ws of wss.clients) ws.terminate();
  http.close();
  setTimeout(() => process.exit(0), 200).unref();
};
setTimeout(stop, lifetimeMs).unref();
const hardStop = setTimeout(() => process.exit(0), lifetimeMs + 2000);
hardStop.unref();
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
