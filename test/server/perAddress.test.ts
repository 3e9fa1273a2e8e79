// Fair shares per peer address: one address cannot hold every connection slot (--max-connections-per-
// address, 429 before the upgrade) nor the anonymous filter budget. Linux routes all of 127.0.0.0/8 to
// lo, so clients bound to 127.0.0.2, 127.0.0.3… are distinct peers on loopback.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, server, TestClient, upgradeStatus, waitUntil, waitUntilAsync } from '../support/referenceServer.js';
import { peerKey } from '../../src/server/addressShares.js';
import { metric, refusals } from '../support/serverMetric.js';

const idle: Socket[] = [];
afterEach(async () => {
  for (const s of idle.splice(0)) s.destroy();
  await cleanup();
});

const from = (localAddress: string) => ({ localAddress });

/** A TCP socket from `localAddress` that connects and never says anything. */
async function idleSocket(port: number, localAddress: string): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  idle.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

describe.each(['isolated', 'legacy'] as const)('per peer address (%s)', (mode) => {
  it('--max-connections-per-address: the excess of one address gets 429 before the upgrade; another address still connects', async () => {
    const srv = await server({ mode, maxConnections: 20, maxConnectionsPerAddress: 4 });
    const held: TestClient[] = [];
    for (let i = 0; i < 4; i++) held.push(await TestClient.open(srv.url, undefined, {}, from('127.0.0.2')));
    expect(await upgradeStatus(srv.url, from('127.0.0.2'))).toBe(429);
    expect(await upgradeStatus(srv.url, from('127.0.0.3'))).toBe(101);
    // a freed slot of that address is usable again
    held[0]!.ws.close();
    await waitUntilAsync(async () => (await metric(srv.metricsUrl, 'evbench_connections')) === 3, 'one of its connections gone');
    expect(await upgradeStatus(srv.url, from('127.0.0.2'))).toBe(101);
    expect(await refusals(srv.metricsUrl, 'max_connections_per_address')).toBe(1);
    expect(await metric(srv.metricsUrl, 'evbench_server_limit', { limit: 'max_connections_per_address' })).toBe(4);
  });

  it('idle sockets of one address cannot hold every slot of --max-connections', async () => {
    const { port, url, metricsUrl } = await server({ mode, maxConnections: 10, maxConnectionsPerAddress: 3, handshakeTimeoutMs: 30_000 });
    // An attacker opens as many idle sockets as the whole server takes, from one address.
    const attacker = await Promise.all(Array.from({ length: 10 }, () => idleSocket(port, '127.0.0.4')));
    // Past twice its share the address's sockets are dropped at once; the rest cannot take more than its share.
    await waitUntil(() => attacker.filter((s) => s.destroyed || s.readableEnded).length >= 4, 'the sockets beyond twice the share dropped');
    expect(await upgradeStatus(url, from('127.0.0.4')).catch((err: Error) => err.message)).toBe('socket hang up');
    for (const address of ['127.0.0.5', '127.0.0.6']) expect(await upgradeStatus(url, from(address))).toBe(101);
    expect(await refusals(metricsUrl, 'max_connections_per_address')).toBeGreaterThanOrEqual(5);
    expect(await refusals(metricsUrl, 'max_connections')).toBe(0);
  });

  it('without the flag, loopback peers share only --max-connections (the runner and local proxies are on loopback)', async () => {
    const srv = await server({ mode, maxConnections: 8 });
    for (let i = 0; i < 8; i++) await TestClient.open(srv.url, undefined, {}, from('127.0.0.2'));
    expect(await upgradeStatus(srv.url, from('127.0.0.3'))).toBe(503);
    // the share beyond loopback: a quarter of --max-connections
    expect(await metric(srv.metricsUrl, 'evbench_server_limit', { limit: 'max_connections_per_address' })).toBe(2);
  });

  const terms = (n: number, tag: string) => [['event_type', 'in', Array.from({ length: n }, (_, i) => `${tag}${i}`)]];

  it('anonymous sessions of one address cannot take the anonymous filter budget from another address', async () => {
    const srv = await server({ mode, maxFilters: 50, maxFiltersPerToken: 100, maxFiltersTotal: 1000 });
    const a1 = await TestClient.open(srv.url, undefined, {}, from('127.0.0.2'));
    const a2 = await TestClient.open(srv.url, undefined, {}, from('127.0.0.2'));
    await a1.subscribe({ filters: terms(50, 'a') });
    await a2.subscribe({ filters: terms(50, 'b') });
    const a3 = await TestClient.open(srv.url, undefined, {}, from('127.0.0.2'));
    const more = await a3.request({ method: 'subscribe', filters: terms(1, 'c') });
    expect(more.status).toBe(413);
    expect(more.message).toMatch(/--max-filters-per-token/);
    // another peer still subscribes with filters
    const b = await TestClient.open(srv.url, undefined, {}, from('127.0.0.3'));
    await b.subscribe({ filters: terms(50, 'd') });
    expect(await refusals(srv.metricsUrl, 'too_many_filters_token')).toBe(1);
    // and the address's terms come back when its sessions go
    a1.ws.close();
    await waitUntilAsync(async () => (await metric(srv.metricsUrl, 'evbench_connections')) === 3, 'a1 gone');
    await a3.subscribe({ filters: terms(1, 'c') });
  });

  it('--max-filters-per-address: the sessions of one address share it whatever their tokens; another address is not affected', async () => {
    const srv = await server({
      mode,
      tokens: ['t1', 't2', 't3'],
      maxFilters: 50,
      maxFiltersPerToken: 100,
      maxFiltersPerAddress: 60,
      maxFiltersTotal: 1000,
    });
    const t1 = await TestClient.open(srv.url, 't1', {}, from('127.0.0.2'));
    const t2 = await TestClient.open(srv.url, 't2', {}, from('127.0.0.2'));
    await t1.subscribe({ filters: terms(50, 'a') });
    await t2.subscribe({ filters: terms(10, 'b') });
    const over = await t2.request({ method: 'subscribe', filters: terms(1, 'c') });
    expect(over.status).toBe(413);
    expect(over.message).toMatch(/one address may hold at most 60 filter terms together \(--max-filters-per-address\)/);
    const other = await TestClient.open(srv.url, 't2', {}, from('127.0.0.3'));
    await other.subscribe({ filters: terms(50, 'd') });
    expect(await refusals(srv.metricsUrl, 'too_many_filters_address')).toBe(1);
    expect(await metric(srv.metricsUrl, 'evbench_server_limit', { limit: 'max_filters_per_address' })).toBe(60);
  });
});

describe('peer keys', () => {
  it('an IPv4 peer is its address; an IPv6 peer is its /64 however it is written', () => {
    expect(peerKey('203.0.113.7')).toBe('203.0.113.7');
    expect(peerKey('::ffff:203.0.113.7')).toBe('::ffff:203.0.113.7');
    expect(peerKey('::1')).toBe('::1');
    expect(peerKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(peerKey('2001:0db8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(peerKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(peerKey('2001:db8:0:2::5')).not.toBe(peerKey('2001:db8:0:1::5'));
  });
});
