// A slow `rate` client reads no faster than its rate, within one read window, even when the server
// writes a burst at once: its reads are a slow client's window (64 KiB), not a fast client's.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { nowUs } from '../../../src/clock.js';
import { SLOW_READ_BUFFER_BYTES } from '../../../src/runner/clients/bareWebSocket.js';
import { SLOW_CLIENTS } from '../../../src/runner/clients/behaviours.js';
import type { ClientConnection } from '../../../src/runner/clients/connection.js';
import { validateScenario } from '../../../src/scenario/validate.js';
import type { Scenario } from '../../../src/scenario/types.js';
import { waitUntil } from '../../support/referenceServer.js';
import { testConnection } from '../../support/testConnection.js';

const RATE = 64 * 1024; // bytes per second
const BURST = 1024 * 1024;
const BURST_AFTER_MS = 100;

function slowScenario(behaviour: Record<string, unknown>): Scenario {
  const { scenario, errors } = validateScenario(
    {
      name: 'slow-reads',
      target: { url: 'ws://127.0.0.1:1/websocket', adapter: 'evbench' },
      publisher: { rate: 1, payloadBytes: 200 },
      groups: [
        { name: 'slow', kind: 'slow', count: 1, ...behaviour },
        { name: 'fast', kind: 'fast', count: 1 },
      ],
      phases: [
        { name: 'baseline', duration: '10s' },
        { name: 'stress', duration: '10s' },
      ],
    },
    'test',
  );
  if (!scenario) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return scenario;
}

/** The group's slow client against `url`, made as a client worker makes it (not opened). */
function slowClient(s: Scenario, url: string): ClientConnection {
  return testConnection(s, url, 5_000, SLOW_CLIENTS[s.groups[0]!.behaviour!]);
}

/** A websocket server that acknowledges the subscription, then writes `BURST` bytes at once. */
async function burstServer(): Promise<{ url: string; server: Server }> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.once('message', () => {
      ws.send(JSON.stringify({ status: 200, last_log_id: 0 }));
      setTimeout(() => {
        for (let i = 0; i < BURST / 16_384; i++) ws.send(Buffer.alloc(16_384 - 4, 0x62), { binary: true });
      }, BURST_AFTER_MS).unref();
    });
    ws.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/websocket`, server };
}

describe('a slow client reads through a slow client’s read window', () => {
  const servers: Server[] = [];
  const clients: ClientConnection[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.leave(nowUs());
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('rate: bytes read track rate × t within one read window, under a burst the server wrote at once', async () => {
    const { url, server } = await burstServer();
    servers.push(server);
    const c = slowClient(slowScenario({ behaviour: 'rate', bytesPerSecond: RATE }), url);
    clients.push(c);
    const startUs = nowUs();
    c.open();
    await waitUntil(() => c.bytesRead() > 0, 'the handshake');
    const beforeBurst = c.bytesRead(); // the 101 and (usually) the ack
    expect(beforeBurst).toBeLessThan(1024);
    const excess: number[] = [];
    const endUs = startUs + 1_500_000;
    while (nowUs() < endUs) {
      await new Promise((r) => setTimeout(r, 10));
      const allowed = ((nowUs() - startUs) * RATE) / 1e6;
      excess.push(c.bytesRead() - beforeBurst - allowed);
    }
    const read = c.bytesRead() - beforeBurst;
    // ahead of its rate by at most one slow read window (and the ack, if it came with the burst)
    expect(Math.max(...excess)).toBeLessThanOrEqual(SLOW_READ_BUFFER_BYTES + 1024);
    // and it does keep reading: about rate × t, not stuck
    expect(read).toBeGreaterThan(RATE * (1.5 - BURST_AFTER_MS / 1000) - SLOW_READ_BUFFER_BYTES);
  });
});
