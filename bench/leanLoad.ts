// Saturation load for a v0 server: lean subscribers in worker threads (leanClientWorker.ts) and a
// publisher that keeps the server busy without outrunning the readers — it publishes while fewer
// than `windowPerClient` events per client are in flight (published − received), so no contender
// closes its clients as slow and the figure is sustained throughput. Every wait is bounded.
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { benchFile } from './paths.js';
import type { LeanWorkerInit } from './leanClientWorker.js';

export interface Fleet {
  clients: number;
  received(): number;
  closedByServer(): number;
  stop(): Promise<void>;
}

function withToken(url: string, token: string | undefined): string {
  return token === undefined ? url : `${url}${url.includes('?') ? '&' : '?'}api_token=${encodeURIComponent(token)}`;
}

/** Connects `tokens.length` subscribers (token undefined = none) over `workers` threads; resolves once all are acked. */
export async function startFleet(url: string, tokens: (string | undefined)[], workers = 2, readyTimeoutMs = 60_000): Promise<Fleet> {
  const n = Math.max(1, Math.min(workers, tokens.length));
  const counters = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * 2 * n);
  const view = new Float64Array(counters);
  const threads: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let w = 0; w < n; w++) {
    const urls = tokens.filter((_, i) => i % n === w).map((t) => withToken(url, t));
    const init: LeanWorkerInit = { urls, counters, slot: 2 * w };
    const worker = new Worker(benchFile('leanClientWorker.js'), { workerData: init });
    threads.push(worker);
    ready.push(
      new Promise((resolve, reject) => {
        worker.on('message', (m: { type: string; message?: string }) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'error') reject(new Error(`subscriber could not connect to ${url}: ${m.message}`));
        });
        worker.once('error', reject);
      }),
    );
  }
  const stop = async (): Promise<void> => {
    await Promise.all(
      threads.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve()), 2000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.postMessage({ type: 'stop' });
          }),
      ),
    );
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(ready),
      new Promise(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`subscribers not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs)),
      ),
    ]);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const sum = (offset: number): number => {
    let s = 0;
    for (let w = 0; w < n; w++) s += view[2 * w + offset]!;
    return s;
  };
  return { clients: tokens.length, received: () => sum(0), closedByServer: () => sum(1), stop };
}

export interface DriveOptions {
  payloadBytes: number;
  /** Events per publish message. */
  batch: number;
  /** Events per client allowed between publish and receipt. */
  windowPerClient: number;
  /** Publish messages awaiting their ack at most. */
  inflight?: number;
  ownerGroup?: string;
  /** Either run for warm-up + measure, or publish exactly `totalEvents` and wait for their delivery. */
  warmupMs?: number;
  measureMs?: number;
  totalEvents?: number;
  /** Bound on the wait for `totalEvents` to be delivered. */
  timeoutMs?: number;
  /** Called at the start and the end of the measured interval (e.g. to read the server's CPU time). */
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
}

export interface DriveResult {
  deliveries: number;
  seconds: number;
  deliveriesPerSec: number;
  published: number;
  closedByServer: number;
  /** totalEvents mode: whether every delivery arrived before the timeout. */
  complete: boolean;
}

export function publishFrame(count: number, payloadBytes: number, ownerGroup?: string): string {
  const owner = ownerGroup === undefined ? '' : `,"object_owner_uuid":${JSON.stringify(ownerGroup)}`;
  const event = `{"event_type":"update"${owner},"properties":{"pad":${JSON.stringify('x'.repeat(payloadBytes))}}}`;
  return `{"method":"publish","events":[${new Array<string>(count).fill(event).join(',')}]}`;
}

export async function openPublisher(url: string, token: string | undefined): Promise<WebSocket> {
  const ws = new WebSocket(withToken(url, token), { perMessageDeflate: false, handshakeTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** Publishes to a server that `fleet` subscribes to, as fast as the window allows; see DriveOptions. */
export async function drive(url: string, publisherToken: string | undefined, fleet: Fleet, o: DriveOptions): Promise<DriveResult> {
  const pub = await openPublisher(url, publisherToken);
  const inflightMax = o.inflight ?? 4;
  const base = fleet.received();
  const closedBase = fleet.closedByServer();
  let published = 0;
  let inflight = 0;
  let running = true;
  let poll: NodeJS.Timeout | undefined;
  let frame = publishFrame(o.batch, o.payloadBytes, o.ownerGroup);
  const limit = o.totalEvents ?? Infinity;
  const pump = (): void => {
    poll = undefined;
    while (running && inflight < inflightMax && published < limit) {
      const inFlightPerClient = published - (fleet.received() - base) / fleet.clients;
      if (inFlightPerClient + o.batch > o.windowPerClient) break;
      const count = Math.min(o.batch, limit - published);
      if (count !== o.batch) frame = publishFrame(count, o.payloadBytes, o.ownerGroup);
      pub.send(frame);
      published += count;
      inflight++;
    }
    if (running && published < limit && inflight < inflightMax && !poll) poll = setTimeout(pump, 1);
  };
  pub.on('message', () => {
    inflight--;
    pump();
  });
  const failed = new Promise<never>((_, reject) =>
    pub.once('close', () => running && reject(new Error(`${url}: the server closed the publisher`))),
  );
  failed.catch(() => {});
  const wait = (ms: number): Promise<void> => Promise.race([new Promise<void>((r) => setTimeout(r, ms)), failed]);
  try {
    pump();
    if (o.totalEvents === undefined) {
      await wait(o.warmupMs ?? 1000);
      o.onMeasureStart?.();
      const r0 = fleet.received();
      const t0 = performance.now();
      await wait(o.measureMs ?? 3000);
      const r1 = fleet.received();
      const seconds = (performance.now() - t0) / 1000;
      o.onMeasureEnd?.();
      const deliveries = r1 - r0;
      return {
        deliveries,
        seconds,
        deliveriesPerSec: deliveries / seconds,
        published,
        closedByServer: fleet.closedByServer() - closedBase,
        complete: true,
      };
    }
    o.onMeasureStart?.();
    const t0 = performance.now();
    const expected = o.totalEvents * fleet.clients;
    const deadline = t0 + (o.timeoutMs ?? 60_000);
    while (fleet.received() - base < expected && performance.now() < deadline && fleet.closedByServer() === closedBase) await wait(2);
    const seconds = (performance.now() - t0) / 1000;
    o.onMeasureEnd?.();
    const deliveries = fleet.received() - base;
    return {
      deliveries,
      seconds,
      deliveriesPerSec: deliveries / seconds,
      published,
      closedByServer: fleet.closedByServer() - closedBase,
      complete: deliveries >= expected,
    };
  } finally {
    running = false;
    if (poll) clearTimeout(poll);
    pub.terminate();
  }
}
