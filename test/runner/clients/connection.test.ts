// A client connection against servers that end the opening handshake badly: each way counts once, and
// the bare-socket path counts it as ws does for the same server; and a frame cut over three reads.
import { createHash } from 'node:crypto';
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

/** A websocket server on a bare TCP socket that answers the upgrade, then hands the socket to `serve`. */
async function rawWsServer(serve: (s: Socket) => void): Promise<number> {
  const server = createServer((s: Socket) => {
    let got = '';
    const onHead = (d: Buffer): void => {
      got += d.toString('latin1');
      const key = /sec-websocket-key: *(\S+)/i.exec(got)?.[1];
      if (!got.includes('\r\n\r\n') || !key) return;
      s.off('data', onHead);
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      serve(s);
    };
    s.on('data', onHead);
    s.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

/** An unmasked text frame of a v0 event `id`: its fields first, then a few KiB of padding. */
function eventFrame(id: number): Buffer {
  const body = Buffer.from(
    JSON.stringify({ msgID: id, id, event_type: 'update', event_at: new Date().toISOString(), properties: { pad: 'x'.repeat(3000) } }),
  );
  const head = Buffer.from([0x81, 126, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([head, body]);
}

describe('a frame that arrives over several reads (the bare socket reads into one reused buffer)', () => {
  it('is read whole: the middle piece is kept as a copy, not a view the next read overwrites', async () => {
    const gapMs = 40; // loopback: each piece its own read
    let served: Socket | undefined;
    let allWritten = false;
    const port = await rawWsServer((s) => {
      served = s;
      s.once('data', () => {
        // the subscribe request: acknowledge it, then one event in three pieces, then one whole
        s.write(Buffer.from([0x81, 15, ...Buffer.from('{"status":200}\n')]));
        const first = eventFrame(1);
        // the middle piece holds the id and event_at, the last only padding: read into the middle's
        // memory, it would leave a frame of padding where they were
        const cuts = [0, 20, 1000, first.length];
        cuts.slice(1).forEach((end, i) => setTimeout(() => s.write(first.subarray(cuts[i], end)), gapMs * (i + 1)));
        setTimeout(() => s.write(eventFrame(2), () => (allWritten = true)), gapMs * 5);
      });
    });
    const target = `ws://127.0.0.1:${port}/websocket`;
    expect(bareApplies(target)).toBe(true);
    const c = testConnection(scenario!, target, 5_000);
    clients.push(c);
    c.open();
    const { rec } = (c as unknown as { ctx: ConnectionContext }).ctx;
    await waitUntil(() => allWritten && c.bytesRead() === served!.bytesWritten, 'every byte the server wrote, read');
    expect(c.result().closeReason).toBeUndefined();
    expect(rec.phases[0]!.counters.delivered).toBe(2);
  });
});
