// The PostgreSQL event store shared by several `evbench serve` processes: events published through
// one process reach subscribers of another once each, in id order; catch-up reads the table in pages
// and joins live delivery without gap or duplicate while another process keeps inserting.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, PUBLISHER, server, TestClient, waitUntil } from '../../support/referenceServer.js';
import { noDatabase, PG_URL, range, resetDatabase, serveOnDatabase, sql, stopServes, storedIds } from '../../support/postgres.js';

const body = { event_type: 'update', properties: { note: 'y'.repeat(200) } };

async function fill(pub: TestClient, count: number, batch = 1000): Promise<void> {
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done);
    const ack = await pub.publish(Array.from({ length: n }, () => body));
    expect(ack.status).toBe(200);
    expect(ack.last_id! - ack.first_id!).toBe(n - 1);
  }
}

describe.skipIf(noDatabase)('postgres store: several serve processes, one stream', () => {
  beforeEach(resetDatabase);
  afterEach(async () => {
    await cleanup();
    await stopServes();
  });

  it('migrates on start, idempotently, even when two processes start at once', async () => {
    const [a, b] = await Promise.all([serveOnDatabase(), serveOnDatabase()]);
    const again = await serveOnDatabase();
    expect([a.url, b.url, again.url].every((u) => u.startsWith('ws://'))).toBe(true);
    expect(await sql('SELECT version FROM evbench_migrations ORDER BY version')).toEqual([{ version: 1 }]);
    const columns = await sql<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'logs' ORDER BY ordinal_position",
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'id',
      'event_type',
      'object_uuid',
      'object_owner_uuid',
      'object_kind',
      'event_at',
      'created_at',
      'properties',
    ]);
  });

  it('a client on B receives, in order and exactly once, every event published through A (and through B at once)', async () => {
    const [a, b] = await Promise.all([serveOnDatabase(), serveOnDatabase()]);
    const onB = await TestClient.open(b.url);
    expect((await onB.subscribe()).last_log_id).toBe(0);
    const onA = await TestClient.open(a.url);
    await onA.subscribe();
    const pubA = await TestClient.open(a.url, PUBLISHER);
    const pubB = await TestClient.open(b.url, PUBLISHER);
    const acks: [number, number][] = [];
    const publishMany = async (pub: TestClient, batches: number) => {
      for (let i = 0; i < batches; i++) {
        const ack = await pub.publish(Array.from({ length: 1 + (i % 7) }, () => body));
        expect(ack.status).toBe(200);
        acks.push([ack.first_id!, ack.last_id!]);
      }
    };
    await Promise.all([publishMany(pubA, 200), publishMany(pubB, 100)]);
    const total = acks.reduce((n, [f, l]) => n + l - f + 1, 0);
    await waitUntil(() => onB.events.length >= total && onA.events.length >= total, `${total} events at both subscribers`);
    expect(onB.ids()).toEqual(range(0, total));
    expect(onA.ids()).toEqual(range(0, total));
    expect(onB.events.map((e) => e.msgID)).toEqual(range(0, total));
    expect(await storedIds()).toEqual(range(0, total));
    // acks are contiguous per batch and tile the id space
    acks.sort((x, y) => x[0] - y[0]);
    acks.forEach(([f], i) => expect(f).toBe(i === 0 ? 1 : acks[i - 1]![1] + 1));
    // the same bytes from either process: event_at and properties survive the table
    expect(onB.events[0]).toEqual({ ...onA.events[0]! });
    expect(onB.events[0]!.event_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(onB.events[0]!.properties).toEqual(body.properties);
  });

  it('a catch-up client on B replays 100,000 stored events, then continues live without gap or duplicate', async () => {
    const [a, b] = await Promise.all([serveOnDatabase(), serveOnDatabase()]);
    const pub = await TestClient.open(a.url, PUBLISHER);
    await fill(pub, 100_000, 5000);
    const live = await TestClient.open(b.url);
    // B's head is what B's listener has fetched so far: at most what A stored.
    const liveFrom = (await live.subscribe()).last_log_id!;
    expect(liveFrom).toBeLessThanOrEqual(100_000);

    // A keeps inserting while B replays.
    let publishing = true;
    const publisher = (async () => {
      while (publishing) expect((await pub.publish([body, body, body])).status).toBe(200);
    })();
    const catcher = await TestClient.open(b.url);
    const head = (await catcher.subscribe({ last_log_id: 0 })).last_log_id!;
    expect(head).toBeGreaterThanOrEqual(liveFrom);
    await waitUntil(
      () => (catcher.ids().at(-1) ?? 0) >= Math.max(head, 100_000) + 300,
      'the catch-up client well into live delivery',
      60_000,
    );
    publishing = false;
    await publisher;
    const last = (await pub.publish([body])).last_id!;
    // the catcher may still be replaying what A stored while it caught up (thousands of events on a
    // loaded CI machine): bounded like the wait above, this asks for order and completeness, not speed
    await waitUntil(() => catcher.ids().at(-1) === last && live.ids().at(-1) === last, 'the final event at both clients', 60_000);

    expect(catcher.ids()).toEqual(range(0, last)); // each id once, in order, no gap
    expect(catcher.events.map((e) => e.msgID)).toEqual(range(0, last));
    expect(catcher.statuses.filter((s) => s.status !== 200)).toEqual([]);
    expect(live.ids()).toEqual(range(liveFrom, last));
  }, 150_000);

  it('legacy mode on the shared store: catch-up in the global loop, then live from the other process', async () => {
    const a = await serveOnDatabase();
    const b = await serveOnDatabase(['--mode', 'legacy']);
    const pub = await TestClient.open(a.url, PUBLISHER);
    await fill(pub, 3000);
    const c = await TestClient.open(b.url);
    expect((await c.subscribe({ last_log_id: 500 })).last_log_id).toBeLessThanOrEqual(3000);
    await pub.publish([body, body]);
    await waitUntil(() => c.ids().at(-1) === 3002, 'the live events after the replay');
    expect(c.ids()).toEqual(range(500, 3002));
    expect(c.events[0]!.properties).toEqual(body.properties);
  });

  it('filters and permissions apply to events from the table as to memory ones', async () => {
    const a = await server({ store: PG_URL, users: 2, groupsPerUser: 2 });
    const b = await server({ store: PG_URL, users: 2, groupsPerUser: 2 });
    const user0 = await TestClient.open(b.url, 'user-0');
    await user0.subscribe({ filters: [['event_type', 'in', ['a', 'b']]] });
    const pub = await TestClient.open(a.url, PUBLISHER);
    await pub.publish([
      { event_type: 'a', object_owner_uuid: 'group-0-0' },
      { event_type: 'a', object_owner_uuid: 'group-1-0' },
      { event_type: 'c' },
      { event_type: 'b', event_at: '2026-01-02T03:04:05.123456Z' },
    ]);
    await waitUntil(() => user0.events.length === 2, 'the two events user-0 may read');
    expect(user0.ids()).toEqual([1, 4]);
    expect(user0.events[1]!.event_at).toBe('2026-01-02T03:04:05.123456Z');
    const late = await TestClient.open(a.url, 'user-0');
    await late.subscribe({ filters: [['event_at', '<=', '2026-01-02T03:04:05.123456Z']], last_log_id: 0 });
    await waitUntil(() => late.events.length === 1, 'the catch-up of the one matching event');
    expect(late.ids()).toEqual([4]);
  });
});
