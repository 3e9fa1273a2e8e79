// Catch-up: a client subscribing with last_log_id replays the log through its own cursor and joins
// live delivery at the head: every id once, in order, while other clients keep receiving.
import { afterEach, describe, expect, it } from 'vitest';
import { nowUs } from '../../src/clock.js';
import { cleanup, PUBLISHER, server, TestClient, waitUntil } from '../support/referenceServer.js';

afterEach(cleanup);

const STORED = 50_000;
const body = { event_type: 'update', properties: { note: 'y'.repeat(200) } };

async function fill(pub: TestClient, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    expect((await pub.publish(Array.from({ length: Math.min(1000, count - done) }, () => body))).status).toBe(200);
  }
}

describe('catch-up (isolated)', () => {
  it('replays 50,000 stored events then live: every id exactly once, in order, while a live client keeps receiving', async () => {
    const srv = await server({ mode: 'isolated' });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    await fill(pub, STORED);
    const live = await TestClient.open(srv.url);
    const liveFrom = (await live.subscribe()).last_log_id!;
    const liveArrivals: number[] = [];
    live.ws.on('message', () => liveArrivals.push(nowUs()));

    // Keep publishing small batches while the catch-up runs.
    let publishing = true;
    const publisher = (async () => {
      while (publishing) await pub.publish([body, body]);
    })();

    const catcher = await TestClient.open(srv.url);
    const subscribedAt = nowUs();
    const head = (await catcher.subscribe({ last_log_id: 0 })).last_log_id!;
    expect(head).toBeGreaterThanOrEqual(STORED);
    let caughtUpAt = 0;
    await waitUntil(
      () => {
        if (!caughtUpAt && catcher.ids().at(-1)! >= head) caughtUpAt = nowUs();
        return catcher.ids().at(-1)! >= head + 100; // well into live delivery
      },
      'the catch-up client to reach live delivery',
      30_000,
    );
    publishing = false;
    await publisher;
    const last = (await pub.publish([body])).last_id!;
    await waitUntil(() => catcher.ids().at(-1) === last && live.ids().at(-1) === last, 'the final event at both clients');

    const expected = (from: number) => Array.from({ length: last - from }, (_, i) => from + 1 + i);
    expect(catcher.ids()).toEqual(expected(0)); // each id once, in order, no gap
    expect(catcher.events.map((e) => e.msgID)).toEqual(expected(0));
    expect(catcher.statuses.filter((s) => s.status !== 200)).toEqual([]);
    expect(live.ids()).toEqual(expected(liveFrom));
    const duringReplay = liveArrivals.filter((t) => t > subscribedAt && t < caughtUpAt).length;
    expect(duringReplay, 'live events delivered while the replay ran').toBeGreaterThan(0);
  });

  it('a cursor older than the bounded log gets a 409 gap notice, then the rest in order', async () => {
    const srv = await server({ mode: 'isolated', logSize: 100 });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    await fill(pub, 250);
    const c = await TestClient.open(srv.url);
    expect((await c.subscribe({ last_log_id: 10 })).last_log_id).toBe(250);
    await waitUntil(() => c.events.length === 100, '100 stored events');
    expect(c.statuses.find((s) => s.status === 409)!.gap).toEqual([11, 150]);
    expect(c.ids()).toEqual(Array.from({ length: 100 }, (_, i) => 151 + i));
  });

  it('a second catch-up subscription does not repeat events the first already delivered', async () => {
    const srv = await server({ mode: 'isolated' });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    await pub.publish([{ event_type: 'a' }, { event_type: 'b' }, { event_type: 'a' }, { event_type: 'b' }]);
    const c = await TestClient.open(srv.url);
    await c.subscribe({ filters: [['event_type', '=', 'a']], last_log_id: 0 });
    await waitUntil(() => c.events.length === 2, 'the two a events');
    await c.subscribe({ last_log_id: 0 });
    await waitUntil(() => c.events.length === 4, 'the b events');
    expect(c.ids()).toEqual([1, 3, 2, 4]);
  });
});

describe('catch-up (legacy)', () => {
  it('replays inside the global loop, then continues live, in order', async () => {
    const srv = await server({ mode: 'legacy' });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    await fill(pub, 2000);
    const c = await TestClient.open(srv.url);
    expect((await c.subscribe({ last_log_id: 500 })).last_log_id).toBe(2000);
    await pub.publish([body]);
    await waitUntil(() => c.ids().at(-1) === 2001, 'the live event after the replay');
    expect(c.ids()).toEqual(Array.from({ length: 1501 }, (_, i) => 501 + i));
  });
});
