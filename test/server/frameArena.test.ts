// FrameArena: live writes' buffers are pieces of reused arenas; a piece is never handed out again
// until the kernel has its bytes (its write completed, or its socket's queue was empty after the turn),
// and a session that did not drain within a turn pins no arena beyond that turn's pieces.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/server/eventLog.js';
import { FrameArena, type PieceHolder } from '../../src/server/frameArena.js';
import { SessionWriter, type IsolatedSession } from '../../src/server/isolatedSession.js';
import type { ServerContext } from '../../src/server/session.js';

const holder = (): PieceHolder => ({ pieces: [], pieceTurn: 0, piecesThisTurn: 0 });
const overlaps = (a: Buffer, b: Buffer): boolean =>
  a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;

describe('FrameArena', () => {
  it('hands out pieces that never overlap while their writes are in flight, across arenas', () => {
    const arena = new FrameArena();
    const live: Buffer[] = [];
    const releases: (() => void)[] = [];
    // 40 holders × 4 pieces of 30,000 bytes: several arenas' worth
    for (let h = 0; h < 40; h++) {
      const who = holder();
      for (let i = 0; i < 4; i++) {
        const { buf, release } = arena.take(who, 30_000);
        expect(buf.length).toBe(30_000);
        expect(release).toBeDefined();
        for (const other of live) expect(overlaps(buf, other)).toBe(false);
        live.push(buf);
        releases.push(release!);
      }
    }
    for (const r of releases) r();
  });

  it('reuses an arena once every piece of it is released', () => {
    const arena = new FrameArena();
    const who = holder();
    const first = arena.take(who, 1000);
    first.release!();
    const again = arena.take(who, 1000);
    expect(again.buf.buffer).toBe(first.buf.buffer);
    expect(again.buf.byteOffset).toBe(first.buf.byteOffset);
  });

  it('does not start an arena over while a piece of it is in flight', () => {
    const arena = new FrameArena();
    const who = holder();
    const held = arena.take(who, 1000);
    const done = arena.take(who, 1000);
    done.release!();
    const next = arena.take(who, 1000);
    expect(overlaps(next.buf, held.buf)).toBe(false);
    held.release!();
  });

  it('gives a session holding a piece of an earlier turn, or a large write, a buffer of its own', () => {
    const arena = new FrameArena();
    const slow = holder();
    const pieces = Array.from({ length: 2 }, () => arena.take(slow, 100));
    expect(pieces.every((p) => p.release !== undefined)).toBe(true);
    arena.endTurn(); // its socket still queues them: not handed off
    const own = arena.take(slow, 100);
    expect(own.release).toBeUndefined();
    expect(own.buf.length).toBe(100);
    expect(pieces.some((p) => p.buf.buffer === own.buf.buffer)).toBe(false);
    // one of its writes completes: still one piece of an earlier turn held
    pieces[0]!.release!();
    expect(arena.take(slow, 100).release).toBeUndefined();
    // the last completes: it takes pieces again
    pieces[1]!.release!();
    expect(slow.pieces.length).toBe(0);
    expect(arena.take(slow, 100).release).toBeDefined();
    expect(arena.take(holder(), 1024 * 1024).release).toBeUndefined();
  });

  it('lets a session take any number of pieces within one turn', () => {
    const arena = new FrameArena();
    const fast = holder();
    arena.take(fast, 100).release!(); // a piece of an earlier turn, released: does not count
    arena.endTurn();
    const pieces = Array.from({ length: 12 }, () => arena.take(fast, 100));
    expect(pieces.every((p) => p.release !== undefined)).toBe(true);
    arena.endTurn();
    expect(arena.take(fast, 100).release).toBeUndefined();
  });

  it('frees every piece of a session handed off, and ignores their completions afterwards', () => {
    const arena = new FrameArena();
    const fast = holder();
    const other = holder();
    const fastPieces = Array.from({ length: 6 }, () => arena.take(fast, 1000));
    const held = arena.take(other, 1000);
    arena.handedOff(fast);
    arena.endTurn();
    expect(fast.pieces).toEqual([]);
    expect(other.pieces.length).toBe(1);
    // the late completions of the handed-off writes release nothing more: the other's piece stays taken
    for (const p of fastPieces) p.release!();
    expect(arena.take(fast, 1000).release).toBeDefined();
    for (let i = 0; i < 300; i++) {
      const next = arena.take(fast, 1000);
      expect(overlaps(next.buf, held.buf)).toBe(false);
      arena.handedOff(fast);
      arena.endTurn();
    }
    held.release!();
  });

  it('keeps the arenas bounded while many sessions never drain and others take arenas full', () => {
    const arena = new FrameArena();
    const stalled = Array.from({ length: 200 }, holder);
    const fast = Array.from({ length: 100 }, holder);
    for (let turn = 0; turn < 10; turn++) {
      for (let i = 0; i < fast.length; i++) {
        // interleaved, so every arena carved in a turn holds stalled pieces among released ones
        arena.take(stalled[2 * i]!, 1024); // never released: its socket never drains
        arena.take(stalled[2 * i + 1]!, 1024);
        arena.take(fast[i]!, 8 * 1024).release!();
      }
      arena.endTurn();
    }
    // one turn's pieces (200 KiB stalled + 800 KiB released) span 4 arenas; later turns reuse one
    expect(arena.arenasAllocated).toBeLessThanOrEqual(8);
    // and a session still holding a piece of an earlier turn gets no piece of an arena
    expect(stalled.every((h) => h.pieces.length === 1)).toBe(true);
  });

  it('reuses the arena of a handed-off session at once', () => {
    const arena = new FrameArena();
    const fast = holder();
    const first = arena.take(fast, 1000);
    arena.handedOff(fast);
    arena.endTurn();
    const again = arena.take(fast, 1000);
    expect(again.buf.buffer).toBe(first.buf.buffer);
    expect(again.buf.byteOffset).toBe(first.buf.byteOffset);
  });
});

// What handedOff relies on: a net.Socket whose write leaves nothing queued (writableLength 0) has
// handed every byte to the kernel, so the buffer may be overwritten at once; one whose write queues
// reports it, and its buffer stays untouched until the write completes.
describe('a net.Socket write, as FrameArena.handedOff reads it', () => {
  const pair = async (): Promise<{ client: Socket; server: Socket; close: () => void }> => {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
    const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const server = await accepted;
    return { client, server, close: () => (client.destroy(), server.destroy(), listener.close()) };
  };

  it('has the bytes once writableLength is 0 after the write, though the buffer is overwritten at once', async () => {
    const { client, server, close } = await pair();
    try {
      const received: Buffer[] = [];
      let bytes = 0;
      const all = new Promise<void>((resolve) =>
        server.on('data', (d: Buffer) => {
          received.push(d);
          if ((bytes += d.length) === 40 * 1000) resolve();
        }),
      );
      const buf = Buffer.alloc(1000);
      for (let i = 0; i < 40; i++) {
        buf.fill(i);
        client.write(buf);
        expect(client.writableLength).toBe(0);
      }
      buf.fill(255); // reused after the last write too
      await all;
      const got = Buffer.concat(received);
      for (let i = 0; i < 40; i++) expect(got.subarray(i * 1000, (i + 1) * 1000).every((b) => b === i)).toBe(true);
    } finally {
      close();
    }
  });

  it('counts a write the kernel did not take whole in writableLength until it completes', async () => {
    const { client, server, close } = await pair();
    try {
      server.pause(); // a reader that does not read: the kernel's buffers fill
      const big = Buffer.alloc(32 * 1024 * 1024, 7);
      let completed = false;
      client.write(big, () => (completed = true));
      expect(client.writableLength).toBeGreaterThan(0);
      expect(completed).toBe(false);
    } finally {
      close();
    }
  });
});

describe('SessionWriter.deliverFrames and the arena', () => {
  /** A session whose socket never takes a write whole (a slow reader): every write stays queued. */
  const slowSession = (): IsolatedSession & { writes: number } => {
    const socket = { writableLength: 1, write: () => true, cork: () => {}, uncork: () => {} };
    return {
      open: true,
      socket,
      msgId: 0,
      corked: false,
      writes: 0,
      pieces: [],
      pieceTurn: 0,
      piecesThisTurn: 0,
      pending: { beginMany: () => {} },
      framesWritten: () => () => {},
    } as unknown as IsolatedSession & { writes: number };
  };
  const ctx = { metrics: { eventsOut: 0 }, options: {} } as unknown as ServerContext;
  const events = [{ id: 1, body: Buffer.from('"x":1}') }] as unknown as StoredEvent[];
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('gives a slow session no more arena pieces once it holds one of an earlier turn', async () => {
    const writer = new SessionWriter(ctx);
    const s = slowSession();
    for (let turn = 0; turn < 10; turn++) {
      writer.deliverFrames(s, events, 64, 0);
      await nextTurn();
    }
    expect(s.pieces.length).toBe(1);
  });

  it('lets a slow session take a piece per write within one turn', () => {
    const writer = new SessionWriter(ctx);
    const s = slowSession();
    for (let i = 0; i < 10; i++) writer.deliverFrames(s, events, 64, 0);
    expect(s.pieces.length).toBe(10);
  });
});
