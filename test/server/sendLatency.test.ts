// The server's own per-send view must not hide the send that never finishes: a send stuck behind a
// stalled reader is visible in flight while it lasts and lands in the histogram when it ends; the
// isolated server's sends stay bounded by its queue budget.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../../src/server/index.js';
import { cleanup, PUBLISHER, server, settle, TestClient, waitUntil, waitUntilAsync } from '../support/referenceServer.js';
import { noDatabase, PG_URL, resetDatabase } from '../support/postgres.js';
import { metric } from '../support/serverMetric.js';

afterEach(cleanup);

/** 400 × 64 KiB ≈ 25 MiB: far more than loopback kernel buffers hold for a paused reader. */
const PAYLOAD = 'x'.repeat(64 * 1024);
const EVENTS = 400;
const BATCH = 4;

/** Every cumulative bucket of evbench_send_duration_seconds, by its upper bound in seconds. */
async function sendBuckets(metricsUrl: string): Promise<{ le: number; count: number }[]> {
  const text = await (await fetch(metricsUrl)).text();
  return [...text.matchAll(/^evbench_send_duration_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm)].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    count: Number(m[2]),
  }));
}

async function legacyWithStalledReader(options: Partial<ServerOptions>) {
  const srv = await server({ mode: 'legacy', ...options });
  const pub = await TestClient.open(srv.url, PUBLISHER);
  const stalled = await TestClient.open(srv.url);
  await stalled.subscribe();
  stalled.ws.pause(); // stops reading: its socket buffers fill up and the legacy loop's send never ends
  const fast = await TestClient.open(srv.url);
  await fast.subscribe();
  for (let first = 0; first < EVENTS; first += BATCH) {
    const events = Array.from({ length: BATCH }, () => ({ event_type: 'update', properties: { pad: PAYLOAD } }));
    expect((await pub.publish(events)).status).toBe(200);
  }
  // Once the fast client's count stops moving, the loop is stuck on a send that began before now.
  await settle(() => fast.events.length, 500);
  expect(fast.events.length).toBeLessThan(EVENTS);
  return { srv, stalled, fast, stuckSince: Date.now() };
}

const stores: { name: string; options: () => Partial<ServerOptions>; skip: boolean }[] = [
  { name: 'memory store', options: () => ({}), skip: false },
  { name: 'postgres store', options: () => ({ store: PG_URL }), skip: noDatabase },
];

describe.each(stores)('legacy, one stalled reader ($name)', ({ options, skip }) => {
  beforeEach(async () => {
    if (!skip && options().store) await resetDatabase();
  });

  it.skipIf(skip)('reports an in-flight send older than the stall, and the histogram holds it once the reader is terminated', async () => {
    const { srv, stalled, fast, stuckSince } = await legacyWithStalledReader(options());
    const STALL_MS = 1200;
    await waitUntil(() => Date.now() - stuckSince >= STALL_MS, 'the stall to last', STALL_MS + 5000);
    const stalledForS = (Date.now() - stuckSince) / 1000;

    // While it lasts: visible in flight, not in the histogram.
    expect(await metric(srv.metricsUrl, 'evbench_sends_in_flight')).toBeGreaterThanOrEqual(1);
    const oldest = await metric(srv.metricsUrl, 'evbench_send_in_flight_oldest_seconds');
    expect(oldest).toBeGreaterThanOrEqual(stalledForS);
    expect(await metric(srv.metricsUrl, 'evbench_session_queue_age_seconds', { stat: 'max' })).toBeGreaterThanOrEqual(stalledForS);
    expect(await metric(srv.metricsUrl, 'evbench_sessions_by_queue_age', { older_than: '1' })).toBe(1);
    expect(await metric(srv.metricsUrl, 'evbench_dispatch_queue_age_seconds')).toBeGreaterThanOrEqual(stalledForS);
    expect(await metric(srv.metricsUrl, 'evbench_sends_in_flight_by_age', { le: '1' })).toBe(0);
    expect(await metric(srv.metricsUrl, 'evbench_sends_in_flight_by_age', { le: '+Inf' })).toBeGreaterThanOrEqual(1);
    expect(await metric(srv.metricsUrl, 'evbench_send_duration_max_seconds')).toBeLessThan(stalledForS);

    // Terminated: the stuck send ends (failed or abandoned) and is observed at its full length.
    stalled.ws.terminate();
    await waitUntil(() => fast.events.length === EVENTS, 'every event at the fast client once the loop moves on');
    await waitUntilAsync(async () => (await metric(srv.metricsUrl, 'evbench_sends_in_flight')) === 0, 'no send in flight');
    expect(await metric(srv.metricsUrl, 'evbench_send_duration_max_seconds')).toBeGreaterThanOrEqual(oldest);
    const buckets = await sendBuckets(srv.metricsUrl);
    const total = buckets.at(-1)!.count;
    const belowStall = buckets.filter((b) => b.le < stalledForS).at(-1)!.count;
    expect(total - belowStall, 'sends at least as long as the stall').toBeGreaterThanOrEqual(1);
    const ended =
      (await metric(srv.metricsUrl, 'evbench_sends_total', { outcome: 'failed' })) +
      (await metric(srv.metricsUrl, 'evbench_sends_total', { outcome: 'abandoned' }));
    expect(ended, 'the stuck send did not end as written').toBeGreaterThanOrEqual(1);
    expect(await metric(srv.metricsUrl, 'evbench_send_duration_seconds_count')).toBe(
      (await metric(srv.metricsUrl, 'evbench_sends_total', { outcome: 'written' })) + ended,
    );
    expect(await metric(srv.metricsUrl, 'evbench_dispatch_queue_age_seconds')).toBe(0);
  });
});

describe.each(stores)('isolated, one stalled reader ($name)', ({ options, skip }) => {
  beforeEach(async () => {
    if (!skip && options().store) await resetDatabase();
  });

  it.skipIf(skip)('keeps every send under a bound derived from its queue budget, and closes the stalled session', async () => {
    const QUEUE_BYTES = 256 * 1024;
    const EVENT_BYTES = 16 * 1024;
    const srv = await server({ mode: 'isolated', overflow: 'close', queueBytes: QUEUE_BYTES, ...options() });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const stalled = await TestClient.open(srv.url);
    await stalled.subscribe();
    stalled.ws.pause();
    const fast = await TestClient.open(srv.url);
    await fast.subscribe();

    // A steady stream (a batch of 4 × 16 KiB about every 20 ms) until the stalled session overflows its budget.
    const pad = 'x'.repeat(EVENT_BYTES);
    const started = Date.now();
    let published = 0;
    for (let round = 0; round < 2000 && (await metric(srv.metricsUrl, 'evbench_slow_client_closes_total')) === 0; round++) {
      const events = Array.from({ length: 4 }, () => ({ event_type: 'update', properties: { pad } }));
      expect((await pub.publish(events)).status).toBe(200);
      published += events.length;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await metric(srv.metricsUrl, 'evbench_slow_client_closes_total')).toBe(1);
    const elapsedS = (Date.now() - started) / 1000;
    // A session's frames wait in its queue only until the queue drains or overflows its budget: at
    // the offered byte rate, that takes about budget ÷ rate; allow 4× that plus half a second.
    const bytesPerS = (published * EVENT_BYTES) / elapsedS;
    const boundS = (4 * QUEUE_BYTES) / bytesPerS + 0.5;
    // Keep publishing a moment longer: the closed session no longer holds sends in flight.
    for (let i = 0; i < 20; i++) {
      expect((await pub.publish([{ event_type: 'update', properties: { pad } }])).status).toBe(200);
      published++;
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitUntil(() => fast.events.length === published, 'every event at the fast client');
    await waitUntilAsync(async () => (await metric(srv.metricsUrl, 'evbench_sends_in_flight')) === 0, 'no send in flight');

    const max = await metric(srv.metricsUrl, 'evbench_send_duration_max_seconds');
    expect(max, `per-send max ${max}s within ${boundS.toFixed(2)}s (stall lasted ${elapsedS.toFixed(1)}s)`).toBeLessThan(boundS);
    expect(await metric(srv.metricsUrl, 'evbench_send_in_flight_oldest_seconds')).toBe(0);
    expect(await metric(srv.metricsUrl, 'evbench_sends_total', { outcome: 'abandoned' })).toBeGreaterThanOrEqual(1);
    expect(await metric(srv.metricsUrl, 'evbench_dispatch_queue_age_seconds')).toBe(0);
    expect(fast.closeCode).toBeUndefined();
  });
});
