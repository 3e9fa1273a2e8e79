// FrameArena: live writes' buffers are pieces of reused arenas; a piece is never handed out again
// until the kernel has its bytes (its write completed, or its socket's queue was empty after the turn),
// and a session that did not drain within a turn pins no arena beyond that turn's pieces.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/server/eventLog.js';
import { Fifo, FrameArena, type PieceHolder } from '../../src/server/frameArena.js';
import type { WebSocket } from 'ws';
import { IsolatedSession } from '../../src/server/isolatedSession.js';
import { SessionWriter } from '../../src/server/sessionWriter.js';
import { resolveServerOptions } from '../../src/server/options.js';
import type { ServerContext } from '../../src/server/session.js';

const holder = (): PieceHolder => ({ pieces: new Fifo(), piecesReleasedAhead: 0, pieceTurn: 0, piecesThisTurn: 0 });
const overlaps = (a: Buffer, b: Buffer): boolean =>
  a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
/** take(), and whether the buffer is a piece of an arena (its write must then call completed()). */
const take = (arena: FrameArena, who: PieceHolder, bytes: number): { buf: Buffer; piece: boolean } => {
  const buf = arena.take(who, bytes);
  return { buf, piece: arena.tookPiece };
};

describe('FrameArena', () => {
  it('hands out pieces that never overlap while their writes are in flight, across arenas', () => {
    const arena = new FrameArena();
    const live: Buffer[] = [];
    const holders: PieceHolder[] = [];
    // 40 holders × 4 pieces of 30,000 bytes: several arenas' worth
    for (let h = 0; h < 40; h++) {
      const who = holder();
      holders.push(who);
      for (let i = 0; i < 4; i++) {
        const { buf, piece } = take(arena, who, 30_000);
        expect(buf.length).toBe(30_000);
        expect(piece).toBe(true);
        for (const other of live) expect(overlaps(buf, other)).toBe(false);
        live.push(buf);
      }
    }
    for (const who of holders) for (let i = 0; i < 4; i++) arena.completed(who);
    expect(holders.every((h) => h.pieces.size === 0)).toBe(true);
  });

  it('reuses an arena once every piece of it is released', () => {
    const arena = new FrameArena();
    const who = holder();
    const first = take(arena, who, 1000);
    arena.completed(who);
    const again = take(arena, who, 1000);
    expect(again.buf.buffer).toBe(first.buf.buffer);
    expect(again.buf.byteOffset).toBe(first.buf.byteOffset);
  });

  it('does not start an arena over while a piece of it is in flight', () => {
    const arena = new FrameArena();
    const a = holder();
    const b = holder();
    const held = take(arena, a, 1000);
    take(arena, b, 1000);
    arena.completed(b);
    const next = take(arena, b, 1000);
    expect(overlaps(next.buf, held.buf)).toBe(false);
    arena.completed(a);
  });

  it('gives a session holding a piece of an earlier turn, or a large write, a buffer of its own', () => {
    const arena = new FrameArena();
    const slow = holder();
    const pieces = [take(arena, slow, 100), take(arena, slow, 100)];
    expect(pieces.every((p) => p.piece)).toBe(true);
    arena.endTurn(); // its socket still queues them: not handed off
    const own = take(arena, slow, 100);
    expect(own.piece).toBe(false);
    expect(own.buf.length).toBe(100);
    expect(pieces.some((p) => p.buf.buffer === own.buf.buffer)).toBe(false);
    // one of its writes completes: still one piece of an earlier turn held
    arena.completed(slow);
    expect(take(arena, slow, 100).piece).toBe(false);
    // the last completes: it takes pieces again
    arena.completed(slow);
    expect(slow.pieces.size).toBe(0);
    expect(take(arena, slow, 100).piece).toBe(true);
    expect(take(arena, holder(), 1024 * 1024).piece).toBe(false);
  });

  it('lets a session take any number of pieces within one turn', () => {
    const arena = new FrameArena();
    const fast = holder();
    take(arena, fast, 100);
    arena.completed(fast); // a piece of an earlier turn, released: does not count
    arena.endTurn();
    const pieces = Array.from({ length: 12 }, () => take(arena, fast, 100));
    expect(pieces.every((p) => p.piece)).toBe(true);
    arena.endTurn();
    expect(take(arena, fast, 100).piece).toBe(false);
  });

  it('frees every piece of a session handed off, and counts their completions against those, not later pieces', () => {
    const arena = new FrameArena();
    const fast = holder();
    const other = holder();
    for (let i = 0; i < 6; i++) take(arena, fast, 1000);
    const held = take(arena, other, 1000);
    arena.handedOff(fast);
    arena.endTurn();
    expect(fast.pieces.size).toBe(0);
    expect(fast.piecesReleasedAhead).toBe(6);
    expect(other.pieces.size).toBe(1);
    // a piece taken after the handoff stays held through the six late completions, and is freed by the seventh
    expect(take(arena, fast, 1000).piece).toBe(true);
    for (let i = 0; i < 6; i++) arena.completed(fast);
    expect(fast.pieces.size).toBe(1);
    arena.completed(fast);
    expect(fast.pieces.size).toBe(0);
    for (let i = 0; i < 300; i++) {
      const next = take(arena, fast, 1000);
      expect(overlaps(next.buf, held.buf)).toBe(false);
      arena.handedOff(fast);
      arena.endTurn();
    }
    arena.completed(other);
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
        expect(take(arena, fast[i]!, 8 * 1024).piece).toBe(true);
        arena.completed(fast[i]!);
      }
      arena.endTurn();
    }
    // one turn's pieces (200 KiB stalled + 800 KiB released) span 4 arenas; later turns reuse one
    expect(arena.arenasAllocated).toBeLessThanOrEqual(8);
    // and a session still holding a piece of an earlier turn gets no piece of an arena
    expect(stalled.every((h) => h.pieces.size === 1)).toBe(true);
  });

  it('reuses the arena of a handed-off session at once', () => {
    const arena = new FrameArena();
    const fast = holder();
    const first = take(arena, fast, 1000);
    arena.handedOff(fast);
    arena.endTurn();
    const again = take(arena, fast, 1000);
    expect(again.buf.buffer).toBe(first.buf.buffer);
    expect(again.buf.byteOffset).toBe(first.buf.byteOffset);
  });
});

describe('Fifo', () => {
  it('gives items back oldest first, across emptying and growing', () => {
    const q = new Fifo<number>();
    expect(q.shift()).toBeUndefined();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) q.push(i);
      for (let i = 0; i < 50; i++) expect(q.shift()).toBe(i);
      for (let i = 100; i < 120; i++) q.push(i);
      expect(q.size).toBe(70);
      for (let i = 50; i < 120; i++) expect(q.shift()).toBe(i);
      expect(q.size).toBe(0);
      expect(q.shift()).toBeUndefined();
    }
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
      pieces: new Fifo(),
      piecesReleasedAhead: 0,
      pieceTurn: 0,
      piecesThisTurn: 0,
      pending: { beginMany: () => {} },
      framesWriting: () => {},
      onFramesWritten: () => {},
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
    expect(s.pieces.size).toBe(1);
  });

  it('ends the sends of each write and frees its piece when it completes, in write order', () => {
    const completions: ((err?: Error | null) => void)[] = [];
    const socket = {
      writableLength: 1, // queued: never handed off, so only completions free pieces
      writableNeedDrain: false,
      write: (_buf: Buffer, cb?: (err?: Error | null) => void) => (cb && completions.push(cb), true),
      cork: () => {},
      uncork: () => {},
    };
    const observed: number[] = [];
    const options = resolveServerOptions({});
    const sctx = { options, metrics: { eventsOut: 0 }, filterBudget: {} } as unknown as ServerContext;
    const ws = { OPEN: 1, readyState: 1, _socket: socket } as unknown as WebSocket;
    const s = new IsolatedSession(
      ws,
      socket as unknown as Socket,
      { name: '*', mayPublish: false },
      16384,
      (_us, _o, n) => observed.push(n),
      sctx,
    );
    const writer = new SessionWriter(sctx);
    const two = [...events, ...events];
    writer.deliverFrames(s, events, 64, 0);
    writer.deliverFrames(s, two, 128, 0);
    expect(s.pieces.size).toBe(2);
    expect(s.pending.size).toBe(3);
    completions[0]!();
    expect(s.pieces.size).toBe(1);
    expect(s.pending.size).toBe(2);
    completions[1]!(new Error('gone'));
    expect(s.pieces.size).toBe(0);
    expect(s.pending.size).toBe(0);
    expect(observed).toEqual([1, 2]);
  });

  it('lets a slow session take a piece per write within one turn', () => {
    const writer = new SessionWriter(ctx);
    const s = slowSession();
    for (let i = 0; i < 10; i++) writer.deliverFrames(s, events, 64, 0);
    expect(s.pieces.size).toBe(10);
  });
});
