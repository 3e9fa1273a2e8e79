// A worker thread of lean subscribers for saturation benchmarks: it connects its clients, subscribes,
// and counts event frames (`{"msgID"` at payload byte 2) without parsing them, so the figure is the
// server's, not the accounting's. Counts are published in a shared Float64Array the driver reads
// without messages: slot 0 = events received, slot 1 = clients closed by the server.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

export interface LeanWorkerInit {
  urls: string[];
  counters: SharedArrayBuffer;
  /** This worker's first slot in `counters` (two slots per worker). */
  slot: number;
}

const init = workerData as LeanWorkerInit;
const counters = new Float64Array(init.counters);
const sockets: WebSocket[] = [];
let acked = 0;
let received = 0;
let stopping = false;

for (const url of init.urls) {
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 30_000 });
  sockets.push(ws);
  ws.on('open', () => ws.send('{"method":"subscribe"}'));
  ws.on('message', (data: Buffer) => {
    if (data[2] === 0x6d) {
      counters[init.slot] = ++received;
    } else if (++acked === init.urls.length) {
      parentPort!.postMessage({ type: 'ready' });
    }
  });
  ws.on('error', (err) => {
    if (!stopping && ws.readyState !== ws.OPEN) parentPort!.postMessage({ type: 'error', message: err.message });
  });
  ws.on('close', () => {
    if (!stopping) counters[init.slot + 1]++;
  });
}

parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'stop') {
    stopping = true;
    for (const ws of sockets) ws.terminate();
    parentPort!.postMessage({ type: 'stopped' });
    parentPort!.close();
  }
});
