// Backpressure: /proc/net/tcp read right, and owed bytes held by the server seen from a real stalled reader.
import { describe, expect, it } from 'vitest';
import { createServer, connect as connectTcp, type Socket, type AddressInfo } from 'node:net';
import { parseProcNetTcp, PushbackWatch } from '../../src/runner/pushback.js';
import { PUSHBACK_HELD_SLACK_BYTES } from '../../src/record/schema.js';
import { nowUs } from '../../src/clock.js';

const SAMPLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:9B71 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22148 1 000000005539ff52 100 0 0 10 0
   3: 0100007F:8E3D 0100007F:AECA 01 003F0000:00000000 03:0000097E 00000000     0        0 0 3 0000000012a65f68
   4: 0100007F:AECA 0100007F:8E3D 01 00000000:00200000 03:0000097E 00000000     0        0 0 3 0000000012a65f68
`;
const SAMPLE6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:C350 01 00000010:00000020 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
`;

describe('parseProcNetTcp', () => {
  it('keys each socket by local:remote port, queues in bytes (hex in the file)', () => {
    const q = parseProcNetTcp(SAMPLE);
    expect(q.get(`${0x8e3d}:${0xaeca}`)).toEqual({ tx: 0x3f0000, rx: 0, state: 1 });
    expect(q.get(`${0xaeca}:${0x8e3d}`)).toEqual({ tx: 0, rx: 0x200000, state: 1 });
    expect(q.get(`${0x9b71}:0`)).toEqual({ tx: 0, rx: 0, state: 10 });
    expect(q.size).toBe(3);
  });

  it('reads IPv6 lines and skips the header and garbage', () => {
    const q = parseProcNetTcp(SAMPLE6 + 'garbage line\n\n   7: zz\n');
    expect(q.get(`${0x1f90}:${0xc350}`)).toEqual({ tx: 16, rx: 32, state: 1 });
    expect(q.size).toBe(1);
  });
});

describe('PushbackWatch on real loopback sockets', () => {
  /** A server that writes `chunk` bytes to every connection each `everyMs`, never waiting for a reader (Node buffers what the kernel refuses). */
  async function streamServer(chunk: number, everyMs: number) {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      s.on('error', () => {});
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const payload = Buffer.alloc(chunk, 120);
    const timer = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write(payload);
    }, everyMs);
    const port = (server.address() as AddressInfo).port;
    const connect = async (): Promise<Socket> => {
      const s = connectTcp(port, '127.0.0.1');
      s.on('error', () => {});
      await new Promise<void>((r) => s.once('connect', () => r()));
      return s;
    };
    const close = async () => {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    };
    return { connect, close };
  }

  async function watchFor(chunk: number, everyMs: number, forMs: number) {
    const srv = await streamServer(chunk, everyMs);
    const reference = await srv.connect();
    reference.on('data', () => {}); // reads as fast as it can
    const stalled = await srv.connect();
    stalled.pause(); // never reads
    const t0 = nowUs();
    const watch = new PushbackWatch(t0, () => reference.bytesRead);
    const result = watch.watch({ socket: () => stalled, closedAtUs: () => undefined }, nowUs);
    const deadline = Date.now() + forMs;
    while (result.reachedAtUs === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    watch.stop();
    reference.destroy();
    stalled.destroy();
    await srv.close();
    return result;
  }

  it('a stalled reader owed more than the kernels hold: the server holds the rest, and the watch says when', async () => {
    const r = await watchFor(64 * 1024, 5, 8_000); // ~12 MiB/s
    expect(r.reachedAtUs).not.toBeNull();
    expect(r.how).toBe('server-queue'); // the server's end is on this host
    expect(r.heldMaxBytes).toBeGreaterThan(PUSHBACK_HELD_SLACK_BYTES);
    expect(r.serverTxMaxBytes).toBeGreaterThan(0);
  }, 15_000);

  it('a server that resets a stalled reader it could not write to: the connection is gone from the kernel, and that is pushback', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      s.on('error', () => {});
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const stalled = connectTcp(port, '127.0.0.1');
    stalled.on('error', () => {});
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    stalled.pause();
    const watch = new PushbackWatch(nowUs(), () => 0);
    const result = watch.watch({ socket: () => stalled, closedAtUs: () => undefined }, nowUs);
    for (let i = 0; i < 40 && sockets.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    // a backlog the paused reader never takes, then the server gives up on it
    sockets[0]!.write(Buffer.alloc(4 << 20, 120));
    await new Promise((r) => setTimeout(r, 300));
    sockets[0]!.resetAndDestroy();
    for (let i = 0; i < 80 && result.reachedAtUs === null; i++) await new Promise((r) => setTimeout(r, 50));
    watch.stop();
    stalled.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    expect(result.how).toBe('closed');
    expect(result.reachedAtUs).not.toBeNull();
  }, 10_000);

  it('a stalled reader owed a trickle (20 KiB/s for 1.5 s) never pushes back: the kernels hold it all', async () => {
    const r = await watchFor(1024, 50, 1_500);
    expect(r.reachedAtUs).toBeNull();
    expect(r.owedBytes).toBeGreaterThan(0);
    expect(r.heldMaxBytes).toBeLessThan(PUSHBACK_HELD_SLACK_BYTES);
  }, 10_000);
});
