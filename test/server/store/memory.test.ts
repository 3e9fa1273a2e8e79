// The memory event log is bounded in bytes as well as in events: big events evict the oldest first,
// /metrics shows what it holds, and a catch-up below the retained range gets a 409 gap notice.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, EVENT_OVERHEAD_BYTES } from '../../../src/server/store/memory.js';
import { cleanup, PUBLISHER, server, TestClient, waitUntil } from '../../support/referenceServer.js';
import { metric } from '../../support/serverMetric.js';

afterEach(cleanup);

const KIB64 = 'x'.repeat(64 * 1024);

describe('memory log byte budget (store)', () => {
  it('evicts the oldest events first and keeps its charged bytes within the budget', () => {
    const store = new MemoryStore(1_000_000, false, 1024 * 1024);
    for (let i = 0; i < 200; i++) store.append([{ event_type: 'update', properties: { pad: KIB64 } }], 0);
    const { events, bytes, evictedForBytes } = store.stats;
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(events).toBeGreaterThanOrEqual(14); // 1 MiB / (64 KiB + body fields + overhead)
    expect(events).toBeLessThanOrEqual(16);
    expect(evictedForBytes).toBe(200 - events);
    expect(store.oldestId).toBe(200 - events + 1);
    expect(store.get(store.oldestId - 1)).toBeUndefined();
    const page = store.readPage(0, 200, 1000);
    expect(page.oldestId).toBe(store.oldestId);
    expect(page.events.map((e) => e.id)).toEqual(Array.from({ length: events }, (_, i) => store.oldestId + i));
  });

  it('pages hold about 16 MiB: fewer events per page when they are big, so a replaying session pins little', () => {
    const store = new MemoryStore(1_000_000, false, 64 * 1024 * 1024);
    expect(store.pageSize).toBe(8192);
    for (let i = 0; i < 100; i++) store.append([{ event_type: 'small' }], 0);
    expect(store.pageSize).toBe(8192);
    for (let i = 0; i < 500; i++) store.append([{ event_type: 'update', properties: { pad: KIB64 } }], 0);
    expect(store.pageSize).toBeGreaterThanOrEqual(16);
    expect(store.pageSize).toBeLessThan(400); // about 16 MiB of 64 KiB events, not 8,192 of them (512 MiB)
  });

  it('keeps the newest event even when it alone is over the budget, and counts tiny events by their overhead', () => {
    const store = new MemoryStore(1_000_000, false, 64 * 1024);
    store.append([{ event_type: 'big', properties: { pad: KIB64 + KIB64 } }], 0);
    expect(store.stats.events).toBe(1);
    expect(store.get(1)?.eventType).toBe('big');
    for (let i = 0; i < 1000; i++) store.append([{ event_type: 'tiny' }], 0);
    expect(store.get(1)).toBeUndefined();
    expect(store.stats.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(store.stats.events).toBeLessThanOrEqual(Math.floor((64 * 1024) / EVENT_OVERHEAD_BYTES));
  });

  it('the count bound still holds, and both bounds together evict in id order', () => {
    const store = new MemoryStore(10, false, 1024 * 1024);
    for (let i = 0; i < 25; i++) store.append([{ event_type: 'update' }], 0);
    expect(store.oldestId).toBe(16);
    expect(store.stats.events).toBe(10);
    for (let i = 0; i < 20; i++) store.append([{ event_type: 'update', properties: { pad: KIB64 + KIB64 + KIB64 } }], 0);
    expect(store.stats.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(store.readPage(0, store.headId, 100).events.map((e) => e.id)).toEqual(
      Array.from({ length: store.stats.events }, (_, i) => store.oldestId + i),
    );
  });
});

describe('memory log byte budget (server)', () => {
  it('400 events of 64 KiB into a 2 MiB log: /metrics shows it within budget, a replay from 0 gets a 409 gap then the retained events in order', async () => {
    const srv = await server({ mode: 'isolated', logBytes: 2 * 1024 * 1024 });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    for (let k = 0; k < 400; k += 8) {
      expect((await pub.publish(Array.from({ length: 8 }, () => ({ event_type: 'update', properties: { pad: KIB64 } })))).status).toBe(200);
    }
    const logBytes = await metric(srv.metricsUrl, 'evbench_log_bytes');
    const logEvents = await metric(srv.metricsUrl, 'evbench_log_events');
    expect(logBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(logEvents).toBeGreaterThan(20);
    expect(logEvents).toBeLessThan(40);
    expect(await metric(srv.metricsUrl, 'evbench_log_evicted_for_bytes_total')).toBe(400 - logEvents);
    expect(await metric(srv.metricsUrl, 'evbench_server_limit', { limit: 'log_bytes' })).toBe(2 * 1024 * 1024);

    const c = await TestClient.open(srv.url);
    expect((await c.subscribe({ last_log_id: 0 })).last_log_id).toBe(400);
    await waitUntil(() => c.events.length === logEvents, 'the retained events');
    const oldest = 400 - logEvents + 1;
    expect(c.statuses.find((s) => s.status === 409)!.gap).toEqual([1, oldest - 1]);
    expect(c.ids()).toEqual(Array.from({ length: logEvents }, (_, i) => oldest + i));
  });

  it('legacy mode charges the kept properties too', async () => {
    const srv = await server({ mode: 'legacy', logBytes: 1024 * 1024 });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    for (let k = 0; k < 64; k += 8) {
      expect((await pub.publish(Array.from({ length: 8 }, () => ({ event_type: 'update', properties: { pad: KIB64 } })))).status).toBe(200);
    }
    expect(await metric(srv.metricsUrl, 'evbench_log_bytes')).toBeLessThanOrEqual(1024 * 1024);
    expect(await metric(srv.metricsUrl, 'evbench_log_events')).toBeLessThanOrEqual(8); // each event counted twice: body and properties
  });

  it('legacy: while a stalled client holds the global loop, publishes get 503 once the queue is over --log-bytes', async () => {
    const srv = await server({ mode: 'legacy', logBytes: 1024 * 1024 });
    const stalled = await TestClient.open(srv.url);
    await stalled.subscribe();
    stalled.ws.pause();
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const pad = 'x'.repeat(16 * 1024);
    let published = 0;
    let refused: { status: number; message?: string } | undefined;
    while (published < 4000 && refused === undefined) {
      const reply = await pub.publish(Array.from({ length: 8 }, () => ({ event_type: 'update', properties: { pad } })));
      if (reply.status === 200) published += 8;
      else refused = reply;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.message).toMatch(/legacy dispatch queue holds \d+ bytes, over --log-bytes/);
    // kernel buffers fill first (a few MiB), then at most the budget and one batch queue up
    expect(published * pad.length).toBeLessThan(40 * 1024 * 1024);
  });
});
