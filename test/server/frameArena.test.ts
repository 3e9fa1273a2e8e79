// FrameArena: live writes' buffers are pieces of reused arenas; a piece is never handed out again
// until the kernel has its bytes (its write completed, or its socket's queue was empty after the turn),
// and a slow session pins at most a few of them beyond one turn's.
import { describe, expect, it } from 'vitest';
import { FrameArena, PIECES_PER_SESSION, type PieceHolder } from '../../src/server/frameArena.js';

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
      for (let i = 0; i < PIECES_PER_SESSION; i++) {
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

  it('gives a session holding pieces of earlier turns, or a large write, a buffer of its own', () => {
    const arena = new FrameArena();
    const slow = holder();
    const pieces = Array.from({ length: PIECES_PER_SESSION }, () => arena.take(slow, 100));
    expect(pieces.every((p) => p.release !== undefined)).toBe(true);
    expect(slow.pieces.length).toBe(PIECES_PER_SESSION);
    arena.endTurn(); // its socket still queues them: not handed off
    const own = arena.take(slow, 100);
    expect(own.release).toBeUndefined();
    expect(pieces.some((p) => p.buf.buffer === own.buf.buffer)).toBe(false);
    // once one of its writes completes, it takes pieces again
    pieces[0]!.release!();
    expect(slow.pieces.length).toBe(PIECES_PER_SESSION - 1);
    expect(arena.take(slow, 100).release).toBeDefined();
    expect(arena.take(holder(), 1024 * 1024).release).toBeUndefined();
  });

  it('lets a session take any number of pieces within one turn', () => {
    const arena = new FrameArena();
    const fast = holder();
    arena.take(fast, 100).release!(); // a piece of an earlier turn, released: does not count
    arena.endTurn();
    const pieces = Array.from({ length: 3 * PIECES_PER_SESSION }, () => arena.take(fast, 100));
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
