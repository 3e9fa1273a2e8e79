// An adversarial websocket event server for the runner's tests, written on raw sockets (nothing
// shared with ws or evbench serve): it emits `{"id","ts"}` events to every connection like a healthy
// server (generic adapter, publish server), then, `faultAfterMs` after each connection opened, does
// one hostile thing on it. A handshake it never answers starts at once.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export const FAULTS = [
  'max-size-frame', // a frame header announcing 255 MiB, then its payload as fast as the socket takes it
  'endless-fragments', // a text message that never ends: 64 KiB continuation frames forever
  'invalid-utf8', // an event whose text is not UTF-8
  'compressed', // a frame with RSV1 set (permessage-deflate) that was never negotiated
  'ping-flood', // pings as fast as the socket takes them, never reading the pongs
  'close-never-completed', // a close frame, then the TCP connection held open and never read
  'bad-close-code', // a close frame with code 2000, which no endpoint may send (ws throws when asked to echo it)
  'no-handshake', // the upgrade request is never answered (but for the first: the runner's probe)
  'reset-mid-frame', // half a frame, then a TCP RST
  'silence', // the connection stays open and nothing more is sent (30 s by default)
] as const;
export type Fault = (typeof FAULTS)[number];

export interface HostileServer {
  url: string;
  /** Connections that reached the fault. */
  faulted(): number;
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
  opts: { rate?: number; faultAfterMs?: number; silenceMs?: number } = {},
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
    close: async () => {
      clearInterval(ticker);
      for (const t of timers) clearTimeout(t);
      for (const s of all) s.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
