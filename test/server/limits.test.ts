// Server limits: each refusal has its status or close code, is counted per reason in /metrics, and
// the configured limits are visible there as gauges. Sessions refused or closed are not leaked.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, server, TestClient, upgradeStatus, waitUntil, waitUntilAsync } from '../support/referenceServer.js';
import { metric, refusals } from '../support/serverMetric.js';

afterEach(cleanup);

const connections = (metricsUrl: string) => metric(metricsUrl, 'evbench_connections');

describe.each(['isolated', 'legacy'] as const)('limits (%s)', (mode) => {
  it('a frame over --max-subscriber-frame-bytes closes the connection with 1009 (counted as frame_too_large)', async () => {
    const srv = await server({ mode, maxSubscriberFrameBytes: 1024 });
    const c = await TestClient.open(srv.url);
    expect((await c.request({ method: 'subscribe', filters: [['event_type', '=', 'x'.repeat(900)]] })).status).toBe(200);
    c.send({ method: 'subscribe', filters: [['event_type', '=', 'x'.repeat(2000)]] });
    await waitUntil(() => c.closeCode !== undefined, 'the close');
    expect(c.closeCode).toBe(1009);
    expect(await refusals(srv.metricsUrl, 'frame_too_large')).toBe(1);
    await waitUntilAsync(async () => (await connections(srv.metricsUrl)) === 0, 'the connections gauge back to 0');
  });

  it('one subscription over --max-subscriptions is a 413 naming the limit; unsubscribing makes room', async () => {
    const srv = await server({ mode, maxSubscriptions: 2 });
    const c = await TestClient.open(srv.url);
    await c.subscribe({ filters: [['event_type', '=', 'a']] });
    await c.subscribe({ filters: [['event_type', '=', 'b']] });
    const refused = await c.request({ method: 'subscribe', filters: [['event_type', '=', 'c']] });
    expect(refused.status).toBe(413);
    expect(refused.message).toMatch(/at most 2 subscriptions \(--max-subscriptions\)/);
    expect((await c.request({ method: 'unsubscribe', filters: [['event_type', '=', 'a']] })).status).toBe(200);
    await c.subscribe({ filters: [['event_type', '=', 'c']] });
    expect(await refusals(srv.metricsUrl, 'too_many_subscriptions')).toBe(1);
  });

  it('filter terms over --max-filters (an `in` list counts its length) are a 413 naming the limit', async () => {
    const srv = await server({ mode, maxFilters: 5 });
    const c = await TestClient.open(srv.url);
    const six = await c.request({ method: 'subscribe', filters: [['event_type', 'in', ['a', 'b', 'c', 'd', 'e', 'f']]] });
    expect(six.status).toBe(413);
    expect(six.message).toMatch(/at most 5 filter terms \(--max-filters\)/);
    await c.subscribe({
      filters: [
        ['event_type', 'in', ['a', 'b']],
        ['object_uuid', '=', 'o'],
      ],
    });
    const more = await c.request({ method: 'subscribe', filters: [['event_type', 'in', ['x', 'y', 'z']]] });
    expect(more.status).toBe(413);
    expect(more.message).toMatch(/holds 3 and this subscription adds 3/);
    await c.subscribe({ filters: [['event_type', 'in', ['x', 'y']]] });
    expect(await refusals(srv.metricsUrl, 'too_many_filters')).toBe(2);
  });

  it('an upgrade over --max-connections is refused with HTTP 503; a freed slot is usable again', async () => {
    const srv = await server({ mode, maxConnections: 2 });
    const a = await TestClient.open(srv.url);
    await TestClient.open(srv.url);
    expect(await upgradeStatus(srv.url)).toBe(503);
    a.ws.close();
    await waitUntilAsync(async () => (await connections(srv.metricsUrl)) === 1, 'one connection left');
    expect(await upgradeStatus(srv.url)).toBe(101);
    expect(await refusals(srv.metricsUrl, 'max_connections')).toBe(1);
  });

  it('frames over --max-message-rate get 429; --message-burst refusals in a row close with 1008', async () => {
    const srv = await server({ mode, maxMessageRate: 10, messageBurst: 20 });
    const c = await TestClient.open(srv.url);
    for (let i = 0; i < 60; i++) c.send({ method: 'unsubscribe' });
    await waitUntil(() => c.closeCode !== undefined, 'the close');
    expect(c.closeCode).toBe(1008);
    expect(c.closeReason).toBe('message rate limit');
    const codes = c.statuses.map((s) => s.status);
    expect(codes.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(codes.slice(20).every((s) => s === 429)).toBe(true);
    expect(codes.length).toBeLessThan(41); // nothing handled after the 20th refusal in a row
    expect(c.statuses[20]!.message).toMatch(/--max-message-rate/);
    expect(await refusals(srv.metricsUrl, 'rate_abuse')).toBe(1);
    expect(await refusals(srv.metricsUrl, 'rate_limited')).toBe(19);
    await waitUntilAsync(async () => (await connections(srv.metricsUrl)) === 0, 'the connections gauge back to 0');
  });

  it('the token bucket refills: a client that slows down to the rate is served again', async () => {
    const srv = await server({ mode, maxMessageRate: 50, messageBurst: 5 });
    const c = await TestClient.open(srv.url);
    for (let i = 0; i < 7; i++) c.send({ method: 'unsubscribe' });
    await waitUntil(() => c.statuses.length === 7, '7 replies');
    expect(c.statuses.map((s) => s.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    await new Promise((r) => setTimeout(r, 100)); // 5 tokens back
    expect((await c.request({ method: 'unsubscribe' })).status).toBe(200);
    expect(c.closeCode).toBeUndefined();
  });

  it('--keepalive-interval: a peer that stops answering pings is terminated; a live one stays', async () => {
    const srv = await server({ mode, keepaliveMs: 100 });
    const live = await TestClient.open(srv.url);
    const dead = await TestClient.open(srv.url);
    dead.ws.pause(); // reads nothing, so never answers a ping
    await waitUntilAsync(async () => (await refusals(srv.metricsUrl, 'keepalive_timeout')) === 1, 'the dead peer terminated', 3000);
    expect(await connections(srv.metricsUrl)).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(live.closeCode).toBeUndefined();
    expect((await live.request({ method: 'subscribe' })).status).toBe(200);
  });

  it('--handshake-timeout: a socket that connects but never completes the upgrade is destroyed', async () => {
    const srv = await server({ mode, handshakeTimeoutMs: 200 });
    const closedWithin = (write: (s: Socket) => void): Promise<number> =>
      new Promise((resolve) => {
        const started = Date.now();
        const socket = connect(srv.port, '127.0.0.1', () => write(socket));
        socket.on('error', () => {});
        socket.on('close', () => resolve(Date.now() - started));
        socket.resume();
      });
    const [silent, partial] = await Promise.all([
      closedWithin(() => {}),
      closedWithin((s) => s.write('GET /websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n')),
    ]);
    expect(silent).toBeGreaterThanOrEqual(150);
    expect(silent).toBeLessThan(3000);
    expect(partial).toBeLessThan(3000);
    expect(await refusals(srv.metricsUrl, 'handshake_timeout')).toBe(2);
    // A complete upgrade is not affected by the timer, even long after it would have fired.
    const c = await TestClient.open(srv.url);
    await new Promise((r) => setTimeout(r, 400));
    expect((await c.request({ method: 'subscribe' })).status).toBe(200);
  });
});

it('/metrics shows every configured limit as a gauge and every refusal reason as a counter', async () => {
  const srv = await server({
    maxFrameBytes: 65536,
    maxSubscriberFrameBytes: 4096,
    maxByteRate: 8192,
    messageTimeoutMs: 3000,
    maxFiltersPerToken: 700,
    maxFiltersTotal: 7000,
    maxSubscriptions: 7,
    maxFilters: 70,
    maxConnections: 700,
    maxMessageRate: 77,
    messageBurst: 777,
    keepaliveMs: 15_000,
    handshakeTimeoutMs: 2500,
  });
  const limit = (name: string) => metric(srv.metricsUrl, 'evbench_server_limit', { limit: name });
  expect(await limit('max_frame_bytes')).toBe(65536);
  expect(await limit('max_subscriber_frame_bytes')).toBe(4096);
  expect(await limit('max_byte_rate')).toBe(8192);
  expect(await limit('message_timeout_seconds')).toBe(3);
  expect(await limit('max_filters_per_token')).toBe(700);
  expect(await limit('max_filters_total')).toBe(7000);
  expect(await limit('max_publish_batch_bytes')).toBe(4 * 1024 * 1024);
  expect(await limit('max_subscriptions')).toBe(7);
  expect(await limit('max_filters')).toBe(70);
  expect(await limit('max_connections')).toBe(700);
  expect(await limit('max_message_rate')).toBe(77);
  expect(await limit('message_burst')).toBe(777);
  expect(await limit('keepalive_interval_seconds')).toBe(15);
  expect(await limit('handshake_timeout_seconds')).toBe(2.5);
  expect(await limit('queue_bytes')).toBe(1024 * 1024);
  expect(await limit('max_publish_batch')).toBe(10_000);
  for (const reason of [
    'unauthorized',
    'origin',
    'max_connections',
    'frame_too_large',
    'invalid_utf8',
    'rate_limited',
    'rate_abuse',
    'message_timeout',
    'too_many_filters_token',
    'too_many_filters_server',
  ]) {
    expect(await refusals(srv.metricsUrl, reason)).toBe(0);
  }
});
