// The PostgreSQL store when the database goes away and when history expires: publishing is refused
// with 503 and subscribers are told, the connection comes back with backoff and what was inserted
// meanwhile is delivered, so no subscriber misses an event; --retain deletes old rows and a catch-up
// past retention gets the 409 gap notice. Flag errors need no database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnServe } from '../../../src/util/spawnServe.js';
import { cleanup, PUBLISHER, server, TestClient, waitUntil, waitUntilAsync } from '../../support/referenceServer.js';
import {
  databaseOutage,
  noDatabase,
  PG_URL,
  range,
  resetDatabase,
  serveOnDatabase,
  stopServes,
  storedIds,
} from '../../support/postgres.js';

const body = { event_type: 'update', properties: { n: 1 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(noDatabase)('postgres store: lost database connection', () => {
  beforeEach(resetDatabase);
  afterEach(async () => {
    await cleanup();
    await stopServes();
  });

  it('pg_terminate_backend while publishing: 503 while down, subscribers told, and no subscriber misses an event', async () => {
    const [a, b] = await Promise.all([serveOnDatabase(), serveOnDatabase()]);
    const pub = await TestClient.open(a.url, PUBLISHER);
    for (let i = 0; i < 20; i++) expect((await pub.publish([body, body, body])).status).toBe(200);
    const onA = await TestClient.open(a.url);
    const onB = await TestClient.open(b.url);
    const fromA = (await onA.subscribe()).last_log_id!;
    const fromB = (await onB.subscribe()).last_log_id!;
    const catcher = await TestClient.open(b.url);
    await catcher.subscribe({ last_log_id: 0 });

    // Publish without pause through A, and through B, retrying what the server refuses.
    const refused: string[] = [];
    let publishing = true;
    const publishLoop = async (client: TestClient) => {
      while (publishing) {
        const ack = await client.publish([body, body]);
        if (ack.status === 503) {
          refused.push(ack.message ?? '');
          await sleep(20);
        } else expect(ack.status).toBe(200);
      }
    };
    const pubB = await TestClient.open(b.url, PUBLISHER);
    const probe = await TestClient.open(a.url, PUBLISHER); // its own connection: replies pair with requests
    const loops = Promise.all([publishLoop(pub), publishLoop(pubB)]);
    await sleep(300);
    const { terminated } = await databaseOutage(async () => {
      await waitUntil(() => onA.statuses.some((s) => s.status === 503) && onB.statuses.some((s) => s.status === 503), 'subscribers told');
      // While the database is away a publish is refused at once; the database's own error text
      // (host, port, user) stays in the server log.
      const ack = await probe.publish([body]);
      expect(ack.status).toBe(503);
      expect(ack.message).toMatch(/^event store unavailable; publish it again later$/);
      await sleep(500);
    });
    expect(terminated).toBeGreaterThanOrEqual(4); // two listeners, and pooled connections
    await waitUntil(
      () => onA.statuses.some((s) => s.status === 200 && /available again/.test(s.message ?? '')),
      'the all-clear on A',
      20_000,
    );
    await sleep(300); // publishing resumes
    publishing = false;
    await loops;
    let last = 0;
    await waitUntilAsync(async () => {
      const ack = await pub.publish([body]);
      if (ack.status === 200) last = ack.last_id!;
      return ack.status === 200;
    }, 'publishing to work again');

    await waitUntil(() => [onA, onB, catcher].every((c) => c.ids().at(-1) === last), 'the last event at every subscriber', 20_000);
    const stored = await storedIds();
    expect(stored.at(-1)).toBe(last);
    expect(refused.length).toBeGreaterThan(0);
    expect(onA.ids()).toEqual(stored.filter((id) => id > fromA)); // every stored event once, in order
    expect(onB.ids()).toEqual(stored.filter((id) => id > fromB));
    expect(catcher.ids()).toEqual(stored);
    const notice = onB.statuses.find((s) => s.status === 503)!;
    expect(notice.message).toMatch(/live delivery paused, it resumes without loss once reconnected/);
  });
});

describe.skipIf(noDatabase)('postgres store: --retain', () => {
  beforeEach(resetDatabase);
  afterEach(cleanup);

  it('count: old rows are deleted and a catch-up past retention gets a 409 gap, then the rest in order', async () => {
    const srv = await server({ store: PG_URL, retain: { kind: 'count', events: 100 }, retainEveryMs: 50 });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    for (let i = 0; i < 5; i++) await pub.publish(Array.from({ length: 50 }, () => body));
    await waitUntilAsync(async () => (await storedIds())[0] === 151, 'retention to keep the newest 100');
    expect(await storedIds()).toEqual(range(150, 250));
    const c = await TestClient.open(srv.url);
    expect((await c.subscribe({ last_log_id: 10 })).last_log_id).toBe(250);
    await waitUntil(() => c.events.length === 100, '100 stored events');
    expect(c.statuses.find((s) => s.status === 409)!.gap).toEqual([11, 150]);
    expect(c.ids()).toEqual(range(150, 250));
  });

  it('age: rows older than the window go; a catch-up from 0 is told which ids are gone', async () => {
    const srv = await server({ store: PG_URL, retain: { kind: 'age', ms: 400 }, retainEveryMs: 50 });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    await pub.publish(Array.from({ length: 30 }, () => body));
    await sleep(600);
    await pub.publish(Array.from({ length: 5 }, () => body));
    await waitUntilAsync(async () => (await storedIds())[0] === 31, 'the first 30 to expire');
    const c = await TestClient.open(srv.url);
    await c.subscribe({ last_log_id: 0 });
    await waitUntil(() => c.events.length === 5, 'the 5 recent events');
    expect(c.statuses.find((s) => s.status === 409)!.gap).toEqual([1, 30]);
    expect(c.ids()).toEqual(range(30, 35));
  });
});

describe('evbench serve --store / --retain flags', () => {
  it.each([
    [['--store', 'mysql://x'], /^evbench: --store: expected memory or a postgres:\/\/user@host\/db URL, got "mysql:\/\/x"$/],
    [
      ['--store', 'postgres://nobody:secret@127.0.0.1:1/none'],
      /^evbench: --store: cannot use postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
    ],
    [['--retain', '1h'], /^evbench: --retain: only with --store postgres:\/\/…/],
    [['--store', 'postgres://x@127.0.0.1:1/y', '--retain', 'soon'], /^evbench: --retain: expected an age such as 90s/],
  ])('%j exits 2 with one line naming the flag (no password shown)', async (args, line) => {
    const stderr: string[] = [];
    const error = await spawnServe({ args, onStderr: (l) => stderr.push(l) }).then(
      async (p) => {
        await p.stop(0);
        return new Error('started');
      },
      (err: Error) => err,
    );
    expect(error.message).toMatch(/exited \(2\)/);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(line);
  });
});
