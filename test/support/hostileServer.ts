// An adversarial websocket event server for the runner's tests, written on raw sockets (nothing
// shared with ws or evbench serve): it emits `{"id","ts"}` events to every connection like a healthy
// server (generic adapter, publish server), then, `faultAfterMs` after each connection opened, does
// one hostile thing on it. A handshake it never answers starts at once, and so do the handshake
// faults (HANDSHAKE_FAULTS), which spare the first handshake (the runner's probe) only when asked.
// `hostileHttpServer` does the same for what the runner reads over plain HTTP: /metrics and SSE.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

export const FAULTS = [
  'max-size-frame', // a frame header announcing 255 MiB, then its payload as fast as the socket takes it
  'endless-fragments', // a text message that never ends: 64 KiB continuation frames forever
  'invalid-utf8', // an event whose text is not UTF-8
  'compressed', // a frame with RSV1 set (permessage-deflate) that was never negotiated
  'ping-flood', // pings as fast as the socket takes them, never reading the pongs
  'close-never-completed', // a close frame, then the TCP connection held open and never read
  'bad-close-code', // a close frame with code 2000, which no endpoint may send: a protocol error (1002), as ws reads it
  'no-handshake', // the upgrade request is never answered (but for the first: the runner's probe)
  'reset-mid-frame', // half a frame, then a TCP RST
  'silence', // the connection stays open and nothing more is sent (30 s by default)
] as const;

/** Faults of the opening handshake itself, one byte every 500 ms (`dribble`), for as long as the runner listens. */
export const HANDSHAKE_FAULTS = [
  'endless-401-body', // HTTP 401 before the upgrade, then a body that never ends
  'endless-101-headers', // "101 Switching Protocols", then headers that never end
] as const;
export type HandshakeFault = (typeof HANDSHAKE_FAULTS)[number];
export type Fault = (typeof FAULTS)[number] | HandshakeFault;

export interface HostileServer {
  url: string;
  /** Connections that reached the fault. */
  faulted(): number;
  /** The Sec-WebSocket-Extensions each upgrade request offered, in order (undefined: none). */
  offeredExtensions(): (string | undefined)[];
  close(): Promise<void>;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

function header(opcodeByte: number, size: number): Buffer {
  if (size < 126) return Buffer.from([opcodeByte, size]);
  if (size < 65536) {
    const h = Buffer.alloc(4);
    h[0] = opcodeByte;
    h[1] = 126;
    h.writeUInt16BE(size, 2);
    return h;
  }
  const h = Buffer.alloc(10);
  h[0] = opcodeByte;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(size / 2 ** 32), 2);
  h.writeUInt32BE(size >>> 0, 6);
  return h;
}
const frame = (opcodeByte: number, payload: Buffer): Buffer => Buffer.concat([header(opcodeByte, payload.length), payload]);
const text = (s: string): Buffer => frame(0x81, Buffer.from(s));

/** Writes `chunk` whenever the socket drains, until it closes: a peer that sends as fast as it may. */
function flood(socket: Socket, chunk: () => Buffer): void {
  const pump = (): void => {
    while (!socket.destroyed && socket.write(chunk()));
    if (!socket.destroyed) socket.once('drain', pump);
  };
  pump();
}

export async function hostileServer(
  fault: Fault,
  opts: { rate?: number; faultAfterMs?: number; silenceMs?: number; spareFirst?: boolean; dribbleMs?: number } = {},
): Promise<HostileServer> {
  const rate = opts.rate ?? 200;
  const faultAfterMs = opts.faultAfterMs ?? 2000;
  const silenceMs = opts.silenceMs ?? 30_000;
  const http = createServer();
  const healthy = new Set<Socket>();
  const all = new Set<Socket>();
  const timers: NodeJS.Timeout[] = [];
  let faulted = 0;
  let upgrades = 0;
  const offered: (string | undefined)[] = [];
  const dribbleMs = opts.dribbleMs ?? 500;

  /** The handshake faults: `head` at once, then one byte of `tail` (repeated) every dribbleMs. */
  const dribble = (socket: Socket, head: string, tail: string): void => {
    faulted++;
    socket.write(head);
    let i = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(tail[i++ % tail.length]!);
    }, dribbleMs);
    timers.push(timer);
    socket.once('close', () => clearInterval(timer));
  };

  const misbehave = (socket: Socket): void => {
    if (socket.destroyed) return;
    healthy.delete(socket);
    faulted++;
    switch (fault) {
      case 'max-size-frame': {
        socket.write(header(0x81, 255 * 1024 * 1024));
        const block = Buffer.alloc(1024 * 1024, 0x78);
        return flood(socket, () => block);
      }
      case 'endless-fragments': {
        const block = Buffer.alloc(64 * 1024, 0x78);
        socket.write(frame(0x01, block)); // text, not final
        const continuation = frame(0x00, block);
        return flood(socket, () => continuation);
      }
      case 'invalid-utf8':
        socket.write(
          frame(0x81, Buffer.concat([Buffer.from('{"id":999999,"ts":1,"x":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')])),
        );
        return;
      case 'compressed':
        // RSV1 + text: a deflated '{"id":1}' the client never agreed to
        socket.write(frame(0xc1, Buffer.from([0xab, 0x56, 0xca, 0x4c, 0x51, 0xb2, 0x32, 0xac, 0x05, 0x00])));
        return;
      case 'ping-flood': {
        socket.pause(); // never read the pongs
        const ping = frame(0x89, Buffer.alloc(125, 0x70));
        const many = Buffer.concat(Array.from({ length: 512 }, () => ping));
        return flood(socket, () => many);
      }
      case 'close-never-completed': {
        const payload = Buffer.alloc(2 + 3);
        payload.writeUInt16BE(1001, 0);
        payload.write('bye', 2);
        socket.write(frame(0x88, payload));
        socket.pause(); // never read the answer, never close
        return;
      }
      case 'bad-close-code': {
        const payload = Buffer.alloc(2 + 4);
        payload.writeUInt16BE(2000, 0);
        payload.write('odd!', 2);
        socket.write(frame(0x88, payload));
        return;
      }
      case 'reset-mid-frame': {
        const body = Buffer.from(`{"id":999999,"ts":${epochMs()},"pad":"${'x'.repeat(4000)}"}`);
        socket.write(header(0x81, body.length));
        socket.write(body.subarray(0, 1000), () => socket.resetAndDestroy());
        return;
      }
      case 'silence':
        timers.push(setTimeout(() => socket.destroy(), silenceMs));
        return;
      case 'no-handshake':
      case 'endless-401-body':
      case 'endless-101-headers':
        return;
    }
  };

  http.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    all.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      all.delete(socket);
      healthy.delete(socket);
    });
    socket.on('data', () => {}); // whatever the client sends (pongs, close) is read and ignored
    offered.push(req.headers['sec-websocket-extensions']);
    const handshakeFault = (HANDSHAKE_FAULTS as readonly string[]).includes(fault);
    if (handshakeFault && !(opts.spareFirst && upgrades++ === 0)) {
      if (fault === 'endless-401-body')
        return dribble(socket, 'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nno ', 'token ');
      return dribble(socket, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n', 'X-Never-Ending: yes\r\n');
    }
    timers.push(setTimeout(() => misbehave(socket), faultAfterMs));
    if (fault === 'no-handshake' && ++upgrades > 1) {
      // the first handshake (the runner's reachability probe) is answered, no other one is
      faulted++;
      return;
    }
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    healthy.add(socket);
  });

  // The healthy part: events at `rate`, each due at start + id/rate, stamped with that time.
  let id = 0;
  const start = epochMs();
  const ticker = setInterval(() => {
    const now = epochMs();
    const batch: Buffer[] = [];
    while (start + (id * 1000) / rate <= now) {
      const due = start + (id * 1000) / rate;
      id++;
      batch.push(text(`{"id":${id},"ts":${due},"kind":"update"}`));
    }
    if (batch.length === 0) return;
    const bytes = Buffer.concat(batch);
    for (const s of healthy) if (s.writableLength < 1 << 20) s.write(bytes);
  }, 5);

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    faulted: () => faulted,
    offeredExtensions: () => offered,
    close: async () => {
      clearInterval(ticker);
      for (const t of timers) clearTimeout(t);
      for (const s of all) s.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** What the runner reads over plain HTTP, made hostile: */
export const HTTP_FAULTS = [
  'endless-metrics', // /metrics: a valid start, then samples as fast as the socket takes them, forever
  'gzip-bomb-metrics', // /metrics: Content-Encoding gzip whatever was asked, 64 KiB that inflate to 64 MiB
  'trickled-metrics', // /metrics: one byte every 100 ms, never finished
  'endless-sse-line', // an event stream whose one `data:` line never ends
  'endless-sse-data', // an event stream of short `data:` lines with no blank line to end the message
] as const;
export type HttpFault = (typeof HTTP_FAULTS)[number];

export interface HostileHttpServer {
  url: string;
  /** The request headers of every request, in order. */
  requests(): IncomingMessage['headers'][];
  /** Bytes written to responses so far. */
  sent(): number;
  close(): Promise<void>;
}

const BOMB_BYTES = 64 * 1024 * 1024;
let bomb: Buffer | undefined;

export async function hostileHttpServer(fault: HttpFault): Promise<HostileHttpServer> {
  const seen: IncomingMessage['headers'][] = [];
  const sockets = new Set<Socket>();
  let sent = 0;
  const pump = (res: ServerResponse, chunk: Buffer): void => {
    const more = (): void => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) res.once('drain', more);
    };
    more();
  };
  const http = createServer((req, res) => {
    seen.push(req.headers);
    switch (fault) {
      case 'endless-metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.write('# TYPE evbench_events_in_total counter\nevbench_events_in_total 1\n');
        return pump(res, Buffer.from('evbench_padding{k="v"} 1\n'.repeat(2048)));
      case 'gzip-bomb-metrics':
        bomb ??= gzipSync(Buffer.alloc(BOMB_BYTES, 0x20), { level: 9 });
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip', 'content-length': bomb.length });
        sent += bomb.length;
        return void res.end(bomb);
      case 'trickled-metrics': {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        const timer = setInterval(() => res.write('#'), 100);
        return void res.once('close', () => clearInterval(timer));
      }
      case 'endless-sse-line':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: ');
        return pump(res, Buffer.alloc(64 * 1024, 0x78));
      case 'endless-sse-data':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return pump(res, Buffer.from('data: x\n'.repeat(8192)));
    }
  });
  http.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${fault.endsWith('metrics') ? '/metrics' : '/events'}`,
    requests: () => seen,
    sent: () => sent,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
