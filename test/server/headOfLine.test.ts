// The reason evbench exists: one client that stops reading. On the legacy server every other client
// stalls behind it; on the isolated server the fast clients get everything and the stalled one is
// closed (4008) or told what it missed (409 gap).
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_SLOW_CLIENT } from '../../src/protocol/v0.js';
import type { ServerOptions } from '../../src/server/index.js';
import { cleanup, PUBLISHER, server, settle, TestClient, waitUntil } from '../support/referenceServer.js';

afterEach(cleanup);

const PAYLOAD = 'x'.repeat(64 * 1024);
/** 400 × 64 KiB ≈ 25 MiB per client: far more than loopback kernel buffers hold for a paused reader. */
const EVENTS = 400;
/** Small publish batches: one batch must fit a fast client's byte budget with room to spare. */
const BATCH = 4;
/** Byte budget per session in the isolated runs: 64 events of lag, far below what the stalled client piles up. */
const QUEUE_BYTES = 4 * 1024 * 1024;
const FAST_CLIENTS = 4;

async function stalledScenario(options: Partial<ServerOptions>) {
  const srv = await server(options);
  const pub = await TestClient.open(srv.url, PUBLISHER);
  const stalled = await TestClient.open(srv.url);
  await stalled.subscribe();
  stalled.ws.pause(); // stops reading: its socket buffers fill up and stay full
  const fast: TestClient[] = [];
  for (let i = 0; i < FAST_CLIENTS; i++) {
    const c = await TestClient.open(srv.url);
    await c.subscribe();
    fast.push(c);
  }
  for (let first = 0; first < EVENTS; first += BATCH) {
    const events = Array.from({ length: BATCH }, () => ({ event_type: 'update', properties: { pad: PAYLOAD } }));
    expect((await pub.publish(events)).status).toBe(200);
  }
  return { srv, pub, stalled, fast };
}

const delivered = (clients: TestClient[]) => () => clients.reduce((n, c) => n + c.events.length, 0);

describe('one stalled client', () => {
  it('legacy: stalls every fast client (most events published in the window never arrive)', async () => {
    const { fast } = await stalledScenario({ mode: 'legacy' });
    const total = await settle(delivered(fast), 1000);
    const perClient = fast.map((c) => c.events.length);
    expect(total).toBeLessThan((FAST_CLIENTS * EVENTS) / 2);
    for (const n of perClient) expect(n).toBeLessThan(EVENTS / 2);
  });

  it('legacy: a new subscriber waits behind the stalled client, and everyone resumes once it disconnects', async () => {
    const { srv, stalled, fast } = await stalledScenario({ mode: 'legacy' });
    await settle(delivered(fast), 500);
    const late = await TestClient.open(srv.url);
    late.send({ method: 'subscribe' });
    expect(await settle(() => late.statuses.length, 500)).toBe(0); // its ack is queued behind the stall
    stalled.ws.terminate(); // the pending send's callback fails, and the global loop moves on
    await waitUntil(() => fast.every((c) => c.events.length === EVENTS), 'every event at every fast client');
    await waitUntil(() => late.statuses.length === 1, "the late subscriber's ack");
    expect(late.statuses[0]).toEqual({ status: 200, last_log_id: EVENTS });
  });

  it('isolated (overflow close): fast clients get every event; the stalled client is closed with 4008', async () => {
    const { stalled, fast } = await stalledScenario({ mode: 'isolated', overflow: 'close', queueBytes: QUEUE_BYTES });
    await waitUntil(
      () => fast.every((c) => c.events.length === EVENTS),
      `every event at every fast client (${fast.map((c) => `${c.events.length}/${c.closeCode}`)})`,
    );
    for (const c of fast) expect(c.ids()).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    stalled.ws.resume();
    await waitUntil(() => stalled.closeCode !== undefined, 'the stalled client to be closed');
    expect(stalled.closeCode).toBe(CLOSE_SLOW_CLIENT);
    expect(stalled.closeReason).toBe('slow client');
    expect(stalled.events.length).toBeLessThan(EVENTS);
  });

  it('isolated (overflow drop): fast clients get every event; the stalled client gets a 409 gap notice for what it missed', async () => {
    const { stalled, fast } = await stalledScenario({ mode: 'isolated', overflow: 'drop', queueBytes: QUEUE_BYTES });
    await waitUntil(
      () => fast.every((c) => c.events.length === EVENTS),
      `every event at every fast client (${fast.map((c) => `${c.events.length}/${c.closeCode}`)})`,
    );
    stalled.ws.resume();
    await waitUntil(() => stalled.statuses.some((s) => s.status === 409), 'a gap notice');
    const gaps = stalled.statuses.filter((s) => s.status === 409).map((s) => s.gap!);
    // Never silently: every id is either delivered or inside an announced gap.
    await settle(() => stalled.events.length + stalled.statuses.length, 300);
    const received = new Set(stalled.ids());
    for (let id = 1; id <= EVENTS; id++) {
      const announced = gaps.some(([from, to]) => id >= from && id <= to);
      expect(received.has(id) || announced, `id ${id} delivered or announced`).toBe(true);
    }
    expect(stalled.closeCode).toBeUndefined();
  });
});
