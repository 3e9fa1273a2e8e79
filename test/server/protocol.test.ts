// The v0 protocol as implemented: event frames, msgID, filters, unsubscribe, and every error reply.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanup, PUBLISHER, server, TestClient, upgradeStatus, waitUntil } from '../support/referenceServer.js';

afterEach(cleanup);

describe.each(['isolated', 'legacy'] as const)('protocol (%s)', (mode) => {
  it('numbers event messages from msgID 1 with the exact field order', async () => {
    const srv = await server({ mode });
    const sub = await TestClient.open(srv.url);
    sub.keepRaw = true;
    const pub = await TestClient.open(srv.url, PUBLISHER);
    await sub.subscribe();
    const ack = await pub.publish([
      { event_type: 'update', object_uuid: 'o1', properties: { n: 1 } },
      { event_type: 'create', event_at: '2026-11-26T14:45:48.123456Z' },
      { event_type: 'delete' },
    ]);
    expect(ack).toEqual({ status: 200, first_id: 1, last_id: 3 });
    await waitUntil(() => sub.events.length === 3, '3 events');
    expect(sub.events.map((e) => e.msgID)).toEqual([1, 2, 3]);
    expect(sub.ids()).toEqual([1, 2, 3]);
    const first = JSON.parse(sub.raw.find((r) => r.includes('"msgID":1,'))!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual([
      'msgID',
      'id',
      'uuid',
      'object_uuid',
      'object_owner_uuid',
      'object_kind',
      'event_type',
      'event_at',
      'properties',
    ]);
    expect(first).toMatchObject({ object_uuid: 'o1', object_owner_uuid: 'group-all', event_type: 'update', properties: { n: 1 } });
    expect(first.event_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(sub.events[1]!.event_at).toBe('2026-11-26T14:45:48.123456Z');
  });

  it('applies filters (AND within, OR across subscriptions) and delivers each event once', async () => {
    const srv = await server({ mode });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const typed = await TestClient.open(srv.url);
    await typed.subscribe({
      filters: [
        ['event_type', 'in', ['update']],
        ['object_owner_uuid', '=', 'g1'],
      ],
    });
    const either = await TestClient.open(srv.url);
    await either.subscribe({ filters: [['object_uuid', '=', 'a']] });
    await either.subscribe({ filters: [['event_type', '=', 'create']] });
    const timed = await TestClient.open(srv.url);
    await timed.subscribe({ filters: [['event_at', '>=', '2030-01-01T00:00:00.000000Z']] });
    await pub.publish([
      { event_type: 'update', object_owner_uuid: 'g1', object_uuid: 'a' }, // 1: typed, either (once)
      { event_type: 'update', object_owner_uuid: 'g2' }, // 2: nobody
      { event_type: 'create', object_uuid: 'a', event_at: '2031-01-01T00:00:00.000000Z' }, // 3: either (once), timed
      { event_type: 'delete', object_owner_uuid: 'g1' }, // 4: nobody
      { event_type: 'update', object_owner_uuid: 'g1' }, // 5: typed
    ]);
    await pub.publish([{ event_type: 'marker', object_uuid: 'a', event_at: '2032-01-01T00:00:00.000000Z' }]); // 6
    await waitUntil(() => either.ids().includes(6) && timed.ids().includes(6), 'the marker event');
    await waitUntil(() => typed.ids().includes(5), 'event 5');
    expect(typed.ids()).toEqual([1, 5]);
    expect(either.ids()).toEqual([1, 3, 6]);
    expect(timed.ids()).toEqual([3, 6]);
  });

  it('unsubscribe removes the subscription with equal filters, or all of them', async () => {
    const srv = await server({ mode });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const sub = await TestClient.open(srv.url);
    const updates = [['event_type', '=', 'update']];
    await sub.subscribe({ filters: updates });
    await sub.subscribe({ filters: [['event_type', '=', 'create']] });
    expect(await sub.request({ method: 'unsubscribe', filters: updates })).toEqual({ status: 200 });
    expect((await sub.request({ method: 'unsubscribe', filters: [['event_type', '=', 'nope']] })).status).toBe(404);
    await pub.publish([{ event_type: 'update' }, { event_type: 'create' }]);
    await waitUntil(() => sub.events.length === 1, 'the create event');
    expect(sub.events[0]!.event_type).toBe('create');
    expect(await sub.request({ method: 'unsubscribe' })).toEqual({ status: 200 });
    await pub.publish([{ event_type: 'create' }]);
    // A fresh subscriber proves event 3 was fanned out; the unsubscribed client must not get it.
    const probe = await TestClient.open(srv.url);
    await probe.subscribe({ last_log_id: 2 });
    await waitUntil(() => probe.ids().includes(3), 'event 3 at the probe');
    expect(sub.ids()).toEqual([2]);
  });

  it('never sends a connection an id twice: unsubscribe all, then subscribe again with an old last_log_id', async () => {
    const srv = await server({ mode });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const c = await TestClient.open(srv.url);
    await c.subscribe();
    await pub.publish(Array.from({ length: 5 }, () => ({ event_type: 'update' })));
    await waitUntil(() => c.events.length === 5, 'ids 1-5');
    expect(await c.request({ method: 'unsubscribe' })).toEqual({ status: 200 });
    await pub.publish([{ event_type: 'update' }, { event_type: 'update' }]); // 6, 7: never sent to c
    // the ack still names the head; the replay starts after what the connection was already sent
    expect((await c.subscribe({ last_log_id: 0 })).last_log_id).toBe(7);
    await pub.publish([{ event_type: 'marker' }]);
    await waitUntil(() => c.ids().includes(8), 'the live marker');
    expect(c.ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(c.events.map((e) => e.msgID)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('never sends a connection an id twice: a removed filter subscribed again with last_log_id while another stays', async () => {
    const srv = await server({ mode });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const c = await TestClient.open(srv.url);
    const a = [['event_type', '=', 'a']];
    await c.subscribe({ filters: a });
    await c.subscribe({ filters: [['event_type', '=', 'b']] });
    await pub.publish([{ event_type: 'a' }, { event_type: 'b' }, { event_type: 'a' }]);
    await waitUntil(() => c.events.length === 3, 'ids 1-3');
    expect(await c.request({ method: 'unsubscribe', filters: a })).toEqual({ status: 200 });
    await c.subscribe({ filters: a, last_log_id: 0 });
    await pub.publish([{ event_type: 'a' }]);
    await waitUntil(() => c.ids().includes(4), 'the live a event');
    expect(c.ids()).toEqual([1, 2, 3, 4]);
  });

  it('a catch-up subscription next to one that stays still replays what the connection was never sent', async () => {
    const srv = await server({ mode });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const c = await TestClient.open(srv.url);
    await c.subscribe({ filters: [['event_type', '=', 'a']] });
    await pub.publish([{ event_type: 'a' }, { event_type: 'b' }, { event_type: 'a' }, { event_type: 'b' }]);
    await waitUntil(() => c.events.length === 2, 'the a events');
    await c.subscribe({ last_log_id: 0 });
    await waitUntil(() => c.events.length === 4, 'the b events, replayed');
    expect(c.ids()).toEqual([1, 3, 2, 4]);
  });

  it('answers 400 to malformed JSON, unknown methods, bad filters, bad last_log_id and binary frames', async () => {
    const srv = await server({ mode });
    const c = await TestClient.open(srv.url);
    const bad = async (message: unknown): Promise<string> => {
      const reply = await c.request(message);
      expect(reply.status).toBe(400);
      return reply.message!;
    };
    expect(await bad('{"method":')).toMatch(/invalid JSON/);
    expect(await bad('[1,2]')).toMatch(/object/);
    expect(await bad({ method: 'frobnicate' })).toMatch(/unknown method/);
    expect(await bad({ foo: 1 })).toMatch(/unknown method/);
    expect(await bad({ method: 'subscribe', filters: [['colour', '=', 'red']] })).toMatch(/unknown filter attribute "colour"/);
    expect(await bad({ method: 'subscribe', filters: [['event_type', 'like', 'x']] })).toMatch(/unknown operator/);
    expect(await bad({ method: 'subscribe', filters: [['event_type', 'in', 'x']] })).toMatch(/array of strings/);
    expect(await bad({ method: 'subscribe', filters: [['event_at', '>', 'yesterday']] })).toMatch(/timestamp/);
    expect(await bad({ method: 'subscribe', filters: 'all' })).toMatch(/array/);
    expect(await bad({ method: 'subscribe', last_log_id: -1 })).toMatch(/last_log_id/);
    expect(await bad({ method: 'subscribe', last_log_id: 'x' })).toMatch(/last_log_id/);
    const index = c.statuses.length;
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitUntil(() => c.statuses.length > index, 'a reply to a binary frame');
    expect(c.statuses[index]!.status).toBe(400);
    // still serving after all of that
    expect((await c.request({ method: 'subscribe' })).status).toBe(200);
  });

  it('refuses publish without the publisher token (403) and oversized batches (413)', async () => {
    const srv = await server({ mode });
    const c = await TestClient.open(srv.url);
    const refused = await c.publish([{ event_type: 'update' }]);
    expect(refused.status).toBe(403);
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const big = Array.from({ length: 10_001 }, () => ({ event_type: 'x' }));
    expect((await pub.publish(big)).status).toBe(413);
    expect((await pub.publish([])).status).toBe(400);
    expect((await pub.publish([{ event_type: 1 }])).status).toBe(400);
    expect(await pub.publish([{ event_type: 'ok' }])).toEqual({ status: 200, first_id: 1, last_id: 1 });
  });

  it('refuses publishing when no publisher token is configured, saying how to enable it', async () => {
    const srv = await server({ mode, publisherToken: undefined });
    const c = await TestClient.open(srv.url);
    const reply = await c.publish([{ event_type: 'update' }]);
    expect(reply.status).toBe(403);
    expect(reply.message).toMatch(/--publisher-token/);
  });

  it('answers 401 before the upgrade to an unknown token when tokens are configured', async () => {
    const srv = await server({ mode, tokens: ['alpha', 'beta'] });
    expect(await upgradeStatus(srv.url)).toBe(401);
    expect(await upgradeStatus(`${srv.url}?api_token=gamma`)).toBe(401);
    expect(await upgradeStatus(`${srv.url}?api_token=beta`)).toBe(101);
    expect(await upgradeStatus(`${srv.url}?api_token=${PUBLISHER}`)).toBe(101);
    const bearer = await TestClient.open(srv.url, undefined, { Authorization: 'Bearer alpha' });
    expect((await bearer.subscribe()).status).toBe(200);
    expect(await upgradeStatus(srv.url.replace('/websocket', '/elsewhere'))).toBe(404);
  });

  it('serves /healthz and 404 elsewhere', async () => {
    const srv = await server({ mode });
    const base = srv.metricsUrl.replace('/metrics', '');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

it('closes sessions with 1001 on server close', async () => {
  const srv = await server();
  const c = await TestClient.open(srv.url);
  await srv.close();
  await waitUntil(() => c.closeCode !== undefined, 'the close');
  expect(c.closeCode).toBe(1001);
  expect(c.ws.readyState).toBe(WebSocket.CLOSED);
});
