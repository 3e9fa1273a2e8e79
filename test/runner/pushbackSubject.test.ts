// What a slow client's pushback watch is told: only a close by the server after the client was open
// and subscribed is pushback. A refused connect or subscription held no backlog, so it is not.
import { NO_WINDOW } from '../../src/measurement/accounting.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { nowUs } from '../../src/clock.js';
import '../../src/runner/adapters/builtins.js';
import { ClientConnection } from '../../src/runner/clients/connection.js';
import { PushbackWatch } from '../../src/runner/pushback.js';
import { validateScenario } from '../../src/scenario/validate.js';
import { waitUntil } from '../support/referenceServer.js';
import { testConnection } from '../support/testConnection.js';

const { scenario, errors } = validateScenario(
  {
    name: 'pushback-subject',
    target: { url: 'ws://127.0.0.1:1/websocket', adapter: 'evbench' },
    publisher: { rate: 1, payloadBytes: 200 },
    groups: [
      { name: 'stalled', kind: 'slow', behaviour: 'stall', count: 1 },
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

/** A websocket server answering each subscribe with `answer`, then closing with `close` (if any). */
async function wsServer(answer: object, close?: [number, string]): Promise<{ url: string; server: Server }> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('message', () => {
      ws.send(JSON.stringify(answer));
      if (close) setTimeout(() => ws.close(close[0], close[1]), 20).unref();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/websocket`, server };
}

/** An HTTP server that refuses every upgrade with 429. */
async function refusingServer(): Promise<{ url: string; server: Server }> {
  const server = createServer();
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/websocket`, server };
}

describe('the pushback subject of a slow client', () => {
  const servers: Server[] = [];
  const clients: ClientConnection[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.leave(nowUs());
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  function open(url: string): ClientConnection {
    const c = testConnection(scenario!, url, 5_000);
    clients.push(c);
    c.open();
    return c;
  }

  it('closed by the server (4008) after its subscription stood: pushback, at the close', async () => {
    const { url, server } = await wsServer({ status: 200, last_log_id: 0 }, [4008, 'slow client']);
    servers.push(server);
    const c = open(url);
    const subject = c.pushbackSubject();
    await waitUntil(() => c.result().closedByServer !== undefined, 'the server closing the client');
    expect(c.result().closedByServer).toBe(4008);
    expect(subject.closedAtUs()).toBe(c.result().closedAtUs);
    expect(subject.closedAtUs()).toBeGreaterThan(0);
    expect(subject.settled!()).toBe(false);
  });

  it('refused at connect (HTTP 429): never pushback, and no socket to watch', async () => {
    const { url, server } = await refusingServer();
    servers.push(server);
    const c = open(url);
    const subject = c.pushbackSubject();
    await waitUntil(() => c.result().refused !== undefined, 'the refusal');
    expect(c.result().refused).toBe('connect');
    expect(c.endedByServerAtUs()).toBeDefined(); // the server did end it: a reference reader must drop it
    expect(subject.closedAtUs()).toBeUndefined();
    expect(subject.socket()).toBeUndefined();
    expect(subject.settled!()).toBe(true); // nothing left to sample for it
  });

  it('subscription refused (403), then closed by the server: never pushback', async () => {
    const { url, server } = await wsServer({ status: 403, message: 'not yours' }, [1000, 'bye']);
    servers.push(server);
    const c = open(url);
    const subject = c.pushbackSubject();
    await waitUntil(() => c.result().closedByServer !== undefined, 'the close after the refusal');
    expect(c.result().refused).toBe('subscribe');
    expect(subject.closedAtUs()).toBeUndefined();
    expect(subject.socket()).toBeUndefined();
  });

  it('a watch of a refused client alone stops sampling; of a subscribed one it goes on', async () => {
    const refused = await refusingServer();
    const open_ = await wsServer({ status: 200, last_log_id: 0 });
    servers.push(refused.server, open_.server);
    const a = open(refused.url);
    const b = open(open_.url);
    await waitUntil(() => a.result().refused !== undefined && b.account.windowStartId !== NO_WINDOW, 'the refusal and the ack');
    const alone = new PushbackWatch(0);
    alone.watch(a.pushbackSubject(), () => undefined, nowUs, Infinity);
    expect(alone.activeAt(nowUs())).toBe(false);
    alone.stop();
    const both = new PushbackWatch(0);
    both.watch(a.pushbackSubject(), () => undefined, nowUs, Infinity);
    both.watch(b.pushbackSubject(), () => undefined, nowUs, Infinity);
    expect(both.activeAt(nowUs())).toBe(true);
    both.stop();
  });
});
