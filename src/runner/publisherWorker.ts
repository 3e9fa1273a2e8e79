// The publisher thread: an open-model schedule (event k due at t0 + k/rate). It never waits for
// delivery; when it falls behind it sends what is due at once and counts the lateness (like wrk2),
// so a late generator is visible in the run record instead of hidden. A sink decides the wire.
import { parentPort, workerData } from 'node:worker_threads';
import { nowUs } from '../clock.js';
import { dueCount, intendedUs, type Schedule } from '../measurement/schedule.js';
import { createHistogram, encodeHistogram, recordUs } from '../measurement/histogram.js';
import type { IdRange } from '../measurement/idMap.js';
import { LagTicks } from '../measurement/ageTicks.js';
import type { MainToWorker, PublisherInit, PublisherToMain } from './threadMessages.js';
import { HealthSampler } from './health.js';
import type { OutgoingEvent } from './publish/sink.js';
import './adapters/builtins.js';
import { sinkFor } from './adapters/registry.js';
import { HANDSHAKE_TIMEOUT_MS } from './clients/connection.js';

const init = workerData as PublisherInit;
const post = (m: PublisherToMain): void => parentPort!.postMessage(m);
const { scenario } = init;
/**
 * Events per publish message: at most 2,000, and at most 256 KiB of payload, so one batch stays well
 * inside a server's publish-batch cap (evbench serve refuses a batch over 4 × its per-session queue
 * budget with 413, and a batch bigger than a session's budget would arrive at a subscriber at once).
 */
const BATCH_BYTES = 256 * 1024;
const perBatch = (most: number): number => Math.max(1, Math.min(most, Math.floor(BATCH_BYTES / (scenario.publisher.payloadBytes + 256))));
const MAX_BATCH = perBatch(2000);
const PREFILL_BATCH = perBatch(1000);
const LATE_US = 10_000;

const lateness = createHistogram();
let lateEvents = 0;
let sent = 0;
let prefilled = 0;
let publishErrors = 0;
let headId = 0;
let newRanges: IdRange[] = [];
let stopped = false;

const sink = sinkFor(init, {
  onIds(kFirst, idFirst, count) {
    headId = Math.max(headId, idFirst + count - 1);
    if (kFirst >= 0) newRanges.push([kFirst, idFirst, count]);
  },
  onFatal(message) {
    if (!stopped) post({ type: 'fatal', message });
  },
  onError() {
    publishErrors++;
  },
});

async function prefill(total: number): Promise<void> {
  for (let k = -total; k < 0;) {
    const n = Math.min(PREFILL_BATCH, -k);
    const at = nowUs();
    const events: OutgoingEvent[] = [];
    for (let i = 0; i < n; i++) events.push({ k: k + i, intendedUs: at, sentUs: at });
    sink.send(events);
    k += n;
    prefilled += n;
    if (sink.backlogBytes() > 8 << 20) await sink.settle(30_000); // keep memory bounded
  }
  await sink.settle(60_000);
}

let schedule: Schedule | undefined;
let lag: LagTicks | undefined;
let nextK = 0;
let endUs = Infinity;

function tick(): void {
  if (stopped || !schedule) return;
  const now = nowUs();
  const due = Math.min(dueCount(schedule, Math.min(now, endUs - 1)), nextK + MAX_BATCH);
  if (due > nextK) {
    const events: OutgoingEvent[] = [];
    // the oldest event of the batch is the latest: what the publisher's delay explains of every age meanwhile
    lag?.late(intendedUs(schedule, nextK), now);
    for (let k = nextK; k < due; k++) {
      const intended = intendedUs(schedule, k);
      recordUs(lateness, now - intended);
      if (now - intended > LATE_US) lateEvents++;
      events.push({ k, intendedUs: intended, sentUs: now });
    }
    sink.send(events);
    sent += due - nextK;
    nextK = due;
  }
  if (now >= endUs) return void finish();
  // sleep until the next event is due (timers are ~1 ms granular; a batch catches up the rest)
  setTimeout(tick, Math.max(0, Math.floor((intendedUs(schedule, nextK) - nowUs()) / 1000)));
}

const health = new HealthSampler();
let idsTimer: NodeJS.Timeout | undefined;
let healthTimer: NodeJS.Timeout | undefined;

let reportedSent = 0;
function flushIds(): void {
  if (newRanges.length > 0 || sent !== reportedSent) {
    post({ type: 'ids', ranges: newRanges, headId, sent });
    newRanges = [];
    reportedSent = sent;
  }
}

async function finish(): Promise<void> {
  if (stopped) return;
  stopped = true;
  await sink.settle(2000); // the last ids must reach the clients' accounting
  flushIds();
  clearInterval(idsTimer);
  clearInterval(healthTimer);
  health.stop();
  post({
    type: 'done',
    stats: {
      sent,
      prefilled,
      lateEvents,
      publishErrors,
      lateness: encodeHistogram(lateness),
      latenessP99Us: lateness.totalCount ? lateness.getValueAtPercentile(99) : 0,
      latenessMaxUs: lateness.totalCount ? lateness.maxValue : 0,
    },
    lag: lag?.lag,
  });
  sink.close();
  setTimeout(() => process.exit(0), 200).unref();
}

// However slowly a target trickles its handshake (ws's own timer restarts on every byte), the
// publisher is connected — subscribed, where its protocol confirms — within this long, or the run stops.
const opening = setTimeout(() => {
  sink.close();
  post({ type: 'fatal', message: `publisher connection: not open within ${HANDSHAKE_TIMEOUT_MS / 1000} s` });
}, HANDSHAKE_TIMEOUT_MS);
sink
  .open()
  .then(() => {
    clearTimeout(opening);
    return prefill(scenario.publisher.prefill);
  })
  .then(() => post({ type: 'connected', headId }))
  .catch(() => clearTimeout(opening)); // onFatal has said why

parentPort!.on('message', (m: MainToWorker) => {
  if (m.type === 'start') {
    schedule = m.plan.schedule;
    endUs = m.plan.timeline.endUs;
    lag = new LagTicks(schedule.t0Us, endUs);
    idsTimer = setInterval(flushIds, 50);
    healthTimer = setInterval(() => post({ type: 'health', atUs: nowUs(), health: health.sample() }), 1000);
    setTimeout(tick, Math.max(0, Math.floor((schedule.t0Us - nowUs()) / 1000)));
  } else if (m.type === 'stop') {
    void finish();
  }
});
