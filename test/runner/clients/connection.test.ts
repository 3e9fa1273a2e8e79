// A client connection against servers that end the opening handshake badly: each way counts once, and
// the bare-socket path counts it as ws does for the same server.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nowUs } from '../../../src/clock.js';
import '../../../src/runner/adapters/builtins.js';
import { bareApplies } from '../../../src/runner/clients/bareWebSocket.js';
import type { ClientConnection, ConnectionContext } from '../../../src/runner/clients/connection.js';
import { validateScenario } from '../../../src/scenario/validate.js';
import { waitUntil } from '../../support/referenceServer.js';
import { testConnection } from '../../support/testConnection.js';

const { scenario, errors } = validateScenario(
  {
    name: 'handshake-end',
    target: { url: 'ws://127.0.0.1:1/websocket', adapter: 'evbench' },
    publisher: { rate: 1, payloadBytes: 200 },
    groups: [{ name: 'fast', kind: 'fast', count: 1 }],
    phases: [
      { name: 'baseline', duration: '10s' },
      { name: 'stress', duration: '10s' },
    ],
  },
  'test',
);
if (!scenario) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('; '));

const servers: Server[] = [];
const clients: ClientConnection[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.leave(nowUs());
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A TCP server that reads the upgrade request, then ends the connection after `partial` (a FIN, no whole 101). */
async function endingServer(partial = ''): Promise<number> {
  const server = createServer((s: Socket) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) s.end(partial, 'latin1');
    });
    s.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

function counters(c: ClientConnection): { connectErrors: number; serverCloses: number } {
  const { rec } = (c as unknown as { ctx: ConnectionContext }).ctx;
  const { connectErrors, serverCloses } = rec.phases[0]!.counters;
  return { connectErrors, serverCloses };
}

describe('a handshake the server ends with a plain TCP close', () => {
  it.each([
    ['the bare socket', (port: number) => `ws://127.0.0.1:${port}/websocket`, true, ''],
    ['the bare socket, after part of the 101', (port: number) => `ws://127.0.0.1:${port}/websocket`, true, 'HTTP/1.1 101 Switching'],
    ['ws (credentials in the URL)', (port: number) => `ws://u:p@127.0.0.1:${port}/websocket`, false, ''],
  ])('through %s: one refused connect, no server close, no longer connecting', async (_, url, bare, partial) => {
    const target = url(await endingServer(partial));
    expect(bareApplies(target)).toBe(bare);
    const c = testConnection(scenario!, target, 5_000);
    clients.push(c);
    c.open();
    await waitUntil(() => c.result().refused !== undefined || c.result().closedByServer !== undefined, 'the end of the handshake');
    await new Promise((r) => setTimeout(r, 50)); // a 'close' after the 'error' would count again
    expect(c.connecting).toBe(false);
    expect(c.result().refused).toBe('connect');
    expect(c.result().closedByServer).toBeUndefined();
    expect(c.result().closeReason).toBe('socket hang up'); // ws's words (from node:http) on both paths
    c.leave(nowUs());
    expect(counters(c)).toEqual({ connectErrors: 1, serverCloses: 0 });
  });
});
