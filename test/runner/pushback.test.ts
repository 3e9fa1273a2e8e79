// Backpressure: /proc/net/tcp read right, and owed bytes held by the server seen from a real stalled reader.
import { describe, expect, it } from 'vitest';
import { createServer, connect as connectTcp, type Socket, type AddressInfo } from 'node:net';
import { parseProcNetTcp, procAddress, procPort, PushbackWatch, socketKey, type PushbackSubject } from '../../src/runner/pushback.js';
import { ReferenceReaders, type ReferenceCandidate } from '../../src/runner/referenceReaders.js';
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

const key = (la: string, lp: number, ra: string, rp: number): string => socketKey({ address: la, port: lp }, { address: ra, port: rp })!;

describe('parseProcNetTcp', () => {
  it('keys each socket by local and remote address and port, queues in bytes (hex in the file)', () => {
    const q = parseProcNetTcp(SAMPLE);
    expect(q.get(key('127.0.0.1', 0x8e3d, '127.0.0.1', 0xaeca))).toEqual({ tx: 0x3f0000, rx: 0, state: 1 });
    expect(q.get(key('127.0.0.1', 0xaeca, '127.0.0.1', 0x8e3d))).toEqual({ tx: 0, rx: 0x200000, state: 1 });
    expect(q.get(key('127.0.0.1', 0x9b71, '0.0.0.0', 0))).toEqual({ tx: 0, rx: 0, state: 10 });
    expect(q.size).toBe(3);
  });

  it('reads IPv6 lines and skips the header and garbage', () => {
    const q = parseProcNetTcp(SAMPLE6 + 'garbage line\n\n   7: zz\n');
    expect(q.get(key('::1', 0x1f90, '::1', 0xc350))).toEqual({ tx: 16, rx: 32, state: 1 });
    expect(q.size).toBe(1);
  });

  it('sockets with the same ports on different addresses (a remote peer, another source IP) are not confused', () => {
    const text = `${SAMPLE}   5: 0100007F:8E3D 0200000A:AECA 01 00000005:00000000 00:00000000 00000000     0        0 0 3 0\n`;
    const q = parseProcNetTcp(text);
    expect(q.size).toBe(4);
    expect(q.get(key('127.0.0.1', 0x8e3d, '127.0.0.1', 0xaeca))!.tx).toBe(0x3f0000);
    expect(q.get(key('127.0.0.1', 0x8e3d, '10.0.0.2', 0xaeca))!.tx).toBe(5);
  });

  it('with wanted ports, parses only the lines whose local or remote port is one of them', () => {
    const q = parseProcNetTcp(SAMPLE, new Set([procPort(0xaeca)]));
    expect([...q.keys()].sort()).toEqual(
      [key('127.0.0.1', 0x8e3d, '127.0.0.1', 0xaeca), key('127.0.0.1', 0xaeca, '127.0.0.1', 0x8e3d)].sort(),
    );
    expect(parseProcNetTcp(SAMPLE, new Set([procPort(1)])).size).toBe(0);
    expect(parseProcNetTcp(SAMPLE6, new Set([procPort(0x1f90)])).size).toBe(1);
  });

  it('writes addresses as the kernel does: IPv4 (also mapped into IPv6) as one word, IPv6 as four, each in host order', () => {
    expect(procAddress('127.0.0.1')).toBe('0100007F');
    expect(procAddress('::ffff:127.0.0.1')).toBe('0100007F');
    expect(procAddress('::1')).toBe('00000000000000000000000001000000');
    expect(procAddress('fe80::1%lo')).toBe('000080FE000000000000000001000000');
    expect(procAddress('not an address')).toBeUndefined();
    // a v4-mapped line of /proc/net/tcp6 (a dual-stack server's end of an IPv4 connection) keys like IPv4
    const mapped =
      '   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C350 01 00000010:00000020 00:00000000 00000000     0        0 1 1 0\n';
    expect(parseProcNetTcp(mapped).get(key('127.0.0.1', 0x1f90, '127.0.0.1', 0xc350))).toEqual({ tx: 16, rx: 32, state: 1 });
  });
});

describe('PushbackWatch, the bookkeeping', () => {
  const closedAt = (us: number | undefined): PushbackSubject => ({ socket: () => undefined, closedAtUs: () => us });

  it("a close after the watch's end (stress is over) no longer counts, and sampling stops", () => {
    const watch = new PushbackWatch(0);
    const late = watch.watch(
      closedAt(5_000_000),
      () => 0,
      () => 6_000_000,
      4_000_000,
    );
    watch.sample(6_000_000);
    expect(late.reachedAtUs).toBeNull();
    expect(watch.activeAt(6_000_000)).toBe(false);
    watch.stop();
  });

  it("a close before the watch's end counts", () => {
    const watch = new PushbackWatch(0);
    const early = watch.watch(
      closedAt(3_000_000),
      () => 0,
      () => 3_500_000,
      4_000_000,
    );
    expect(watch.activeAt(3_500_000)).toBe(false); // settled: closed
    watch.sample(3_500_000);
    expect(early).toMatchObject({ reachedAtUs: 3_000_000, how: 'closed' });
    watch.stop();
  });

  it('a slow client still open before the end keeps the sampling on', () => {
    const watch = new PushbackWatch(0);
    watch.watch(
      closedAt(undefined),
      () => 0,
      () => 0,
      4_000_000,
    );
    expect(watch.activeAt(3_999_999)).toBe(true);
    expect(watch.activeAt(4_000_001)).toBe(false);
    watch.stop();
  });
});

describe('ReferenceReaders: each slow client is measured against a reader of its own stream', () => {
  const groups = [
    { kind: 'fast', eventTypes: ['update'] },
    { kind: 'fast', eventTypes: ['create', 'delete'] },
    { kind: 'slow', eventTypes: ['update'] },
    { kind: 'slow', eventTypes: ['delete', 'create'] },
  ];
  const plan = (group: number, user = -1) => ({ clientId: 0, group, user });
  function fast(group: number, bytes: number, user = -1) {
    const c = { plan: plan(group, user), open: true, bytes, reads: 0 };
    const candidate: ReferenceCandidate = { plan: c.plan, usable: () => c.open, bytesRead: () => (c.reads++, c.bytes) };
    return { c, candidate };
  }

  it('slow groups of different event types get different readers (the same types in any order, the same one)', () => {
    const a = fast(0, 100);
    const b = fast(1, 7);
    const refs = new ReferenceReaders(groups, false, () => [a.candidate, b.candidate]);
    expect(refs.of(plan(2))()).toBe(100);
    expect(refs.of(plan(3))()).toBe(7);
    expect(refs.of(plan(3))).toBe(refs.of(plan(3)));
  });

  it('a reader the server closed is dropped for another of the same stream, or none', () => {
    const a = fast(0, 100);
    const a2 = fast(0, 250);
    const refs = new ReferenceReaders(groups, false, () => [a.candidate, a2.candidate]);
    const ref = refs.of(plan(2));
    expect(ref()).toBe(100);
    a.c.open = false;
    expect(ref()).toBe(250);
    a2.c.open = false;
    expect(ref()).toBeUndefined();
  });

  it('with private events, only a reader of the same user counts; without, any user does', () => {
    const u0 = fast(0, 100, 0);
    const u1 = fast(0, 40, 1);
    expect(new ReferenceReaders(groups, true, () => [u0.candidate, u1.candidate]).of(plan(2, 1))()).toBe(40);
    expect(new ReferenceReaders(groups, true, () => [u0.candidate]).of(plan(2, 1))()).toBeUndefined();
    expect(new ReferenceReaders(groups, false, () => [u0.candidate, u1.candidate]).of(plan(2, 1))()).toBe(100);
  });

  it('the watch asks each reference once per sample, however many slow clients share it', () => {
    let calls = 0;
    const ref = () => (calls++, 0);
    const watch = new PushbackWatch(0);
    const socket = {
      localPort: 1,
      remotePort: 2,
      bytesRead: 0,
      destroyed: false,
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.1',
    } as unknown as Socket;
    for (let i = 0; i < 5; i++) watch.watch({ socket: () => socket, closedAtUs: () => undefined }, ref, () => 0);
    watch.sample(1);
    expect(calls).toBe(1);
    watch.stop();
  });
});

describe('PushbackWatch on real loopback sockets', () => {
  /** A server that writes `chunk` bytes to every connection each `everyMs`, never waiting for a reader (Node buffers what the kernel refuses). */
  async function streamServer(chunk: number, everyMs: number, listenHost = '127.0.0.1', connectHost = '127.0.0.1') {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      s.on('error', () => {});
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, listenHost, r));
    const payload = Buffer.alloc(chunk, 120);
    const timer = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write(payload);
    }, everyMs);
    const port = (server.address() as AddressInfo).port;
    const connect = async (): Promise<Socket> => {
      const s = connectTcp(port, connectHost);
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

  async function watchFor(chunk: number, everyMs: number, forMs: number, listenHost?: string, connectHost?: string) {
    const srv = await streamServer(chunk, everyMs, listenHost, connectHost);
    const reference = await srv.connect();
    reference.on('data', () => {}); // reads as fast as it can
    const stalled = await srv.connect();
    stalled.pause(); // never reads
    const t0 = nowUs();
    const watch = new PushbackWatch(t0);
    const result = watch.watch({ socket: () => stalled, closedAtUs: () => undefined }, () => reference.bytesRead, nowUs);
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
    const watch = new PushbackWatch(nowUs());
    const result = watch.watch({ socket: () => stalled, closedAtUs: () => undefined }, () => 0, nowUs);
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

  it.each([
    ['a dual-stack server (its end is IPv4-mapped in /proc/net/tcp6)', '::', '127.0.0.1'],
    ['IPv6 loopback', '::1', '::1'],
  ])(
    '%s: both ends are found by address and port, and an open connection is never taken for a closed one',
    async (_name, listen, host) => {
      const r = await watchFor(1024, 50, 1_000, listen, host).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT') return undefined; // no IPv6 on this host
        throw err;
      });
      if (!r) return;
      expect(r.reachedAtUs).toBeNull();
      expect(r.how).toBe('server-queue');
      expect(r.serverTxMaxBytes).not.toBeNull();
    },
    10_000,
  );

  it('a stalled reader owed a trickle (20 KiB/s for 1.5 s) never pushes back: the kernels hold it all', async () => {
    const r = await watchFor(1024, 50, 1_500);
    expect(r.reachedAtUs).toBeNull();
    expect(r.owedBytes).toBeGreaterThan(0);
    expect(r.heldMaxBytes).toBeLessThan(PUSHBACK_HELD_SLACK_BYTES);
  }, 10_000);
});
