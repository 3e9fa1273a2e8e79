// The publisher thread: an open-model schedule (event k due at t0 + k/rate) over one websocket.
// It never waits for delivery; when it falls behind it sends what is due at once and counts the
// lateness (like wrk2), so a late generator is visible in the run record instead of hidden.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { nowUs, isoFromUs } from '../clock.js';
import { dueCount, intendedUs, mixTable, ownerOf, timeline, type Schedule } from '../measurement/schedule.js';
import { createHistogram, encodeHistogram, recordUs } from '../measurement/histogram.js';
import type { IdRange } from '../measurement/idMap.js';
import type { MainToWorker, PublisherInit, PublisherToMain } from './messages.js';
import { HealthSampler } from './health.js';
import { withToken } from './url.js';

const init = workerData as PublisherInit;
const post = (m: PublisherToMain): void => parentPort!.postMessage(m);
const { scenario } = init;
const table = mixTable(scenario.publisher.mix);
const typeJson = table.map((m) => JSON.stringify(m.eventType));
const pad = JSON.stringify('x'.repeat(scenario.publisher.payloadBytes));
const MAX_BATCH = 2000;
const PREFILL_BATCH = 1000;

const lateness = createHistogram();
let lateEvents = 0;
let sent = 0;
let prefilled = 0;
let headId = 0;

/** Acks come back in order; each pending batch maps its ack to (k, id) ranges (k < 0 for prefill). */
const pending: { kFirst: number; count: number }[] = [];
let newRanges: IdRange[] = [];
let prefillWaiter: (() => void) | undefined;

function eventJson(k: number, intended: number, sentAt: number): string {
  const entry = table[((k % table.length) + table.length) % table.length]!;
  const owner = JSON.stringify(ownerOf(entry, Math.max(k, 0), init.users));
  return `{"event_type":${typeJson[((k % table.length) + table.length) % table.length]},"object_uuid":"evbench-${k}","object_owner_uuid":${owner},"object_kind":"evbench#event","event_at":"${isoFromUs(intended)}","properties":{"sent_us":${sentAt},"pad":${pad}}}`;
}

function onStatus(text: string): void {
  let msg: { status?: number; first_id?: number; last_id?: number; message?: string };
  try {
    msg = JSON.parse(text) as typeof msg;
  } catch {
    return;
  }
  if (msg.status !== 200 || msg.first_id === undefined || msg.last_id === undefined) {
    if (msg.status !== 200) post({ type: 'fatal', message: `target refused a publish: ${msg.status} ${msg.message ?? ''}`.trim() });
    return;
  }
  const batch = pending.shift();
  if (!batch) return;
  const count = msg.last_id - msg.first_id + 1;
  if (count !== batch.count) {
    post({ type: 'fatal', message: `target gave ${count} ids to a batch of ${batch.count} events: ids must be contiguous per publish` });
    return;
  }
  headId = Math.max(headId, msg.last_id);
  if (batch.kFirst >= 0) newRanges.push([batch.kFirst, msg.first_id, count]);
  else if (pending.length === 0 || pending[0]!.kFirst >= 0) prefillWaiter?.();
}

const ws = new WebSocket(withToken(init.url, init.token), { perMessageDeflate: false, skipUTF8Validation: true });
ws.on('message', (data: Buffer, isBinary: boolean) => {
  if (!isBinary) onStatus(data.toString());
});
ws.on('error', (err) => post({ type: 'fatal', message: `publisher connection: ${err.message}` }));
ws.on('close', (code) => {
  if (!stopped) post({ type: 'fatal', message: `publisher connection closed by the target (${code})` });
});

let stopped = false;
let schedule: Schedule | undefined;
let nextK = 0;
let endUs = Infinity;

function publish(kFirst: number, texts: string[]): void {
  pending.push({ kFirst, count: texts.length });
  ws.send(`{"method":"publish","events":[${texts.join(',')}]}`);
}

async function prefill(total: number): Promise<void> {
  let k = -total;
  while (k < 0) {
    const n = Math.min(PREFILL_BATCH, -k);
    const texts: string[] = [];
    const at = nowUs();
    for (let i = 0; i < n; i++) texts.push(eventJson(k + i, at, at));
    const done = new Promise<void>((resolve) => (prefillWaiter = resolve));
    publish(k, texts);
    k += n;
    prefilled += n;
    if (ws.bufferedAmount > 8 << 20 || k >= 0) await done; // keep memory bounded
  }
}

function tick(): void {
  if (stopped || !schedule) return;
  const now = nowUs();
  const due = Math.min(dueCount(schedule, Math.min(now, endUs - 1)), nextK + MAX_BATCH);
  if (due > nextK) {
    const texts: string[] = [];
    for (let k = nextK; k < due; k++) {
      const intended = intendedUs(schedule, k);
      const late = now - intended;
      recordUs(lateness, late);
      if (late > 10_000) lateEvents++;
      texts.push(eventJson(k, intended, now));
    }
    publish(nextK, texts);
    sent += due - nextK;
    nextK = due;
  }
  if (now >= endUs) return finish();
  // sleep until the next event is due (timers are ~1 ms granular; a batch catches up the rest)
  const wait = Math.max(0, Math.floor((intendedUs(schedule, nextK) - nowUs()) / 1000));
  setTimeout(tick, wait);
}

let idsTimer: NodeJS.Timeout | undefined;
let healthTimer: NodeJS.Timeout | undefined;
const health = new HealthSampler();

function flushIds(): void {
  if (newRanges.length > 0) {
    post({ type: 'ids', ranges: newRanges, headId });
    newRanges = [];
  }
}

function finish(): void {
  if (stopped) return;
  stopped = true;
  // give outstanding acks a moment so the last ids reach the clients' accounting
  const deadline = Date.now() + 2000;
  const wait = (): void => {
    if (pending.length > 0 && Date.now() < deadline && ws.readyState === WebSocket.OPEN) {
      setTimeout(wait, 10);
      return;
    }
    flushIds();
    clearInterval(idsTimer);
    clearInterval(healthTimer);
    health.stop();
    post({
      type: 'done',
      stats: {
        sent, prefilled, lateEvents,
        lateness: encodeHistogram(lateness),
        latenessP99Us: lateness.totalCount ? lateness.getValueAtPercentile(99) : 0,
        latenessMaxUs: lateness.totalCount ? lateness.maxValue : 0,
      },
    });
    ws.close(1000);
    setTimeout(() => process.exit(0), 200).unref();
  };
  wait();
}

ws.once('open', () => {
  void prefill(scenario.publisher.prefill).then(() => {
    post({ type: 'connected', headId });
  });
});

parentPort!.on('message', (m: MainToWorker) => {
  if (m.type === 'start') {
    schedule = { t0Us: m.t0Us, rate: scenario.publisher.rate };
    endUs = timeline(m.t0Us, scenario.phases).endUs;
    idsTimer = setInterval(flushIds, 50);
    healthTimer = setInterval(() => post({ type: 'health', atUs: nowUs(), health: health.sample() }), 1000);
    setTimeout(tick, Math.max(0, Math.floor((m.t0Us - nowUs()) / 1000)));
  } else if (m.type === 'stop') {
    finish();
  }
});
