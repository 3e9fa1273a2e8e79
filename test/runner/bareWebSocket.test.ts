// The fast path's websocket on a bare socket: its handshake against real and broken servers (each
// failure in ws's words, a good answer opens), frames that arrive with the 101, client frames a ws
// server reads, and which URLs take the bare path at all.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { BareWebSocket, bareApplies, READ_BUFFER_BYTES, SLOW_READ_BUFFER_BYTES } from '../../src/runner/clients/bareWebSocket.js';
import { FrameReader } from '../../src/runner/clients/frameReader.js';

const servers: (Server | WebSocketServer)[] = [];
const clients: BareWebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A TCP server that answers the upgrade request with `answer(key)` (raw bytes), then leaves the socket open. */
async function rawServer(answer: (key: string) => string): Promise<string> {
  const server = createServer((s: Socket) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      const key = /sec-websocket-key: (.+)\r\n/i.exec(got)?.[1] ?? '';
      s.write(answer(key), 'latin1');
    });
    s.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}/websocket?api_token=t`;
}

const accept = (key: string): string => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const ok = (key: string, extra = ''): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n${extra}\r\n`;

interface Outcome {
  opened: boolean;
  error?: string;
  messages: string[];
}

function open(url: string, protocols?: string[]): Promise<Outcome> {
  const out: Outcome = { opened: false, messages: [] };
  const reader = new FrameReader({
    onMessage: (p) => out.messages.push(p.toString()),
    onPing: () => {},
    onClose: () => {},
    onProtocolError: () => {},
  });
  const ws = new BareWebSocket(url, protocols, undefined, { onBytes: (c) => reader.push(c, true) });
  clients.push(ws);
  return new Promise((resolve) => {
    ws.on('open', () => {
      out.opened = true;
      setTimeout(() => resolve(out), 100);
    });
    ws.on('error', (err: Error) => {
      out.error = err.message;
      resolve(out);
    });
  });
}

/** An unmasked server text frame. */
const textFrame = (s: string): string => `\x81${String.fromCharCode(s.length)}${s}`;

describe('BareWebSocket handshake', () => {
  it('opens on a correct 101, and reads the frames that came in the same packet as it', async () => {
    const url = await rawServer((key) => ok(key) + textFrame('{"status":200}') + textFrame('second'));
    expect(await open(url)).toEqual({ opened: true, messages: ['{"status":200}', 'second'] });
  });

  it.each([
    ['a refusal', () => 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n', 'Unexpected server response: 401'],
    [
      'a wrong accept key',
      () => 'HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: nope\r\n\r\n',
      'Invalid Sec-WebSocket-Accept header',
    ],
    ['no Upgrade header', (key: string) => `HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`, 'Invalid Upgrade header'],
    [
      'a subprotocol nobody asked for',
      (key: string) => ok(key, 'Sec-WebSocket-Protocol: mqtt\r\n'),
      'Server sent a subprotocol but none was requested',
    ],
    [
      'an extension',
      (key: string) => ok(key, 'Sec-WebSocket-Extensions: permessage-deflate\r\n'),
      'Server sent a Sec-WebSocket-Extensions header but no extension was requested',
    ],
    ['not HTTP', () => 'SSH-2.0-OpenSSH\r\n\r\n', 'Unexpected server response: not HTTP'],
  ])('fails on %s, in ws words', async (_what, answer, message) => {
    const url = await rawServer(answer);
    expect(await open(url)).toEqual({ opened: false, error: message, messages: [] });
  });

  it('checks the subprotocol both ways: the one asked for opens, another or none fails', async () => {
    expect((await open(await rawServer((key) => ok(key, 'Sec-WebSocket-Protocol: mqtt\r\n')), ['mqtt'])).opened).toBe(true);
    expect((await open(await rawServer((key) => ok(key, 'Sec-WebSocket-Protocol: other\r\n')), ['mqtt'])).error).toBe(
      'Server sent an invalid subprotocol',
    );
    expect((await open(await rawServer((key) => ok(key)), ['mqtt'])).error).toBe('Server sent no subprotocol');
  });

  it('a refused connection is an error with the socket error message', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    expect((await open(`ws://127.0.0.1:${port}/`)).error).toMatch(/ECONNREFUSED/);
  });
});

describe('BareWebSocket frames', () => {
  it('sends masked text and binary messages a ws server reads, with the subprotocol, headers and path it was given', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, handleProtocols: (p) => [...p][0] ?? false });
    servers.push(wss);
    await new Promise<void>((r) => wss.on('listening', () => r()));
    const got: { data: string; binary: boolean }[] = [];
    let seen: { url?: string; auth?: string; protocol?: string } = {};
    wss.on('connection', (ws: WebSocket, req) => {
      seen = { url: req.url, auth: req.headers.authorization, protocol: ws.protocol };
      ws.on('message', (data: Buffer, binary: boolean) => got.push({ data: binary ? data.toString('hex') : data.toString(), binary }));
    });
    const big = 'z'.repeat(70_000);
    const ws = new BareWebSocket(
      `ws://127.0.0.1:${(wss.address() as { port: number }).port}/websocket?api_token=t`,
      ['graphql-transport-ws'],
      { Authorization: 'Bearer x' },
      { onBytes: () => {} },
    );
    clients.push(ws);
    await new Promise<void>((r) => ws.on('open', () => r()));
    ws.send('{"method":"subscribe"}');
    ws.send(Buffer.from([0x10, 0x02]));
    ws.send(big);
    await new Promise<void>((r) => {
      const t = setInterval(() => got.length === 3 && (clearInterval(t), r()), 10);
    });
    expect(seen).toEqual({ url: '/websocket?api_token=t', auth: 'Bearer x', protocol: 'graphql-transport-ws' });
    expect(got).toEqual([
      { data: '{"method":"subscribe"}', binary: false },
      { data: '1002', binary: true },
      { data: big, binary: false },
    ]);
  });
});

describe('BareWebSocket reads', () => {
  /** The largest read a bare socket gets when 1 MiB waits for it at once (the server wrote it while the socket was paused). */
  async function largestRead(slowReads: boolean): Promise<number> {
    const url = await rawServer((key) => ok(key) + '\x82\x7f' + '\0'.repeat(4) + '\x00\x10\x00\x00' + 'b'.repeat(1024 * 1024));
    let largest = 0;
    const ws = new BareWebSocket(url, undefined, undefined, { onBytes: () => {} }, slowReads);
    clients.push(ws);
    await new Promise<void>((r) => ws.on('open', () => r()));
    ws.pause();
    await new Promise((r) => setTimeout(r, 200)); // the kernel's receive buffer fills
    ws.onChunk = (chunk) => (largest = Math.max(largest, chunk.length));
    ws.resume();
    await new Promise((r) => setTimeout(r, 200));
    return largest;
  }

  it("a slow client's reads are at most SLOW_READ_BUFFER_BYTES; a fast client's may be larger, up to READ_BUFFER_BYTES", async () => {
    const slow = await largestRead(true);
    expect(slow).toBeGreaterThan(0);
    expect(slow).toBeLessThanOrEqual(SLOW_READ_BUFFER_BYTES);
    const fast = await largestRead(false);
    expect(fast).toBeGreaterThan(SLOW_READ_BUFFER_BYTES);
    expect(fast).toBeLessThanOrEqual(READ_BUFFER_BYTES);
  });
});

describe('bareApplies', () => {
  it('takes ws:// URLs with plain headers; not wss://, credentials, headers it would not write as given, or a bad URL', () => {
    expect(bareApplies('ws://127.0.0.1:8080/websocket?api_token=x', { Authorization: 'Bearer t' })).toBe(true);
    expect(bareApplies('wss://example.org/websocket')).toBe(false);
    expect(bareApplies('ws://user:pass@127.0.0.1/')).toBe(false);
    expect(bareApplies('ws://127.0.0.1/', { 'X-Bad': 'a\r\nInjected: 1' })).toBe(false);
    expect(bareApplies('ws://127.0.0.1/', { 'bad name': 'v' })).toBe(false);
    expect(bareApplies('not a url')).toBe(false);
  });
});
