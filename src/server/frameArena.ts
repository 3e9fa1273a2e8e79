// Where live fan-out's writes are framed: consecutive pieces of a large reused buffer (an arena), so
// a session's frames of a chunk cost no allocation of their own. A piece is released once the kernel
// has its bytes: when the socket's queue is empty after the writes of a turn were handed over
// (handedOff), or else when its write completes. An arena is reused once every piece of it is
// released. A session may take any number of pieces within one turn, but none while it still holds a
// piece of an earlier turn: a reader that did not drain within a turn gets fresh exact-size buffers,
// which its queue (and so the byte budget) counts whole, rather than pinning a 256 KiB arena per
// small piece, turn after turn, outside any budget.

/** Bytes of one arena. */
const ARENA_BYTES = 256 * 1024;
/** A write larger than this gets a buffer of its own. */
const MAX_PIECE_BYTES = 128 * 1024;
/**
 * Arenas kept for reuse once all their pieces are released: when sockets do not take writes at once
 * (readers behind, or writes corked for a tick), a 10 ms fan-out slice at saturation frames several
 * MiB, released together once the kernel has them, and the next slice frames as much.
 */
const SPARE_ARENAS = 32;

interface Arena {
  buf: Buffer;
  /** Next free byte. */
  used: number;
  /** Pieces handed out and not yet released. */
  pieces: number;
}

/** Something that holds pieces: a session, with the releases of its pieces not yet released, oldest first. */
export interface PieceHolder {
  pieces: (() => void)[];
  /** The turn it last took a piece in, and how many of its pieces were taken in that turn. */
  pieceTurn: number;
  piecesThisTurn: number;
}

/** Where a write's frames are framed: a buffer of `bytes`, and the release to call once the write completed. */
export interface FramePool {
  take(holder: PieceHolder, bytes: number): { buf: Buffer; release: (() => void) | undefined };
}

export class FrameArena implements FramePool {
  private current: Arena | undefined;
  private readonly spare: Arena[] = [];
  /** Bumped when a turn's writes have been handed to the sockets (endTurn). */
  private turn = 1;
  /** Arenas allocated so far: what the frames of sessions that do not drain could make grow. */
  arenasAllocated = 0;

  /**
   * A buffer of `bytes` for `holder`'s next write, and the release to call once that write has
   * completed (undefined when the buffer is its own, and the collector frees it). Calling a release
   * again, after handedOff released it, does nothing.
   */
  take(holder: PieceHolder, bytes: number): { buf: Buffer; release: (() => void) | undefined } {
    if (holder.pieceTurn !== this.turn) {
      holder.pieceTurn = this.turn;
      holder.piecesThisTurn = 0;
    }
    if (bytes > MAX_PIECE_BYTES || holder.pieces.length > holder.piecesThisTurn)
      return { buf: Buffer.allocUnsafe(bytes), release: undefined };
    let arena = this.current;
    if (!arena || arena.used + bytes > ARENA_BYTES) {
      if (arena) this.retire(arena);
      arena = this.spare.pop() ?? this.allocate();
      this.current = arena;
    }
    const buf = arena.buf.subarray(arena.used, arena.used + bytes);
    arena.used += bytes;
    arena.pieces++;
    const a = arena;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const pieces = holder.pieces;
      // completions come in write order, so this is practically always the oldest
      const i = pieces[0] === release ? 0 : pieces.indexOf(release);
      if (i === 0) pieces.shift();
      else pieces.splice(i, 1);
      if (--a.pieces > 0) return;
      if (a === this.current)
        a.used = 0; // nothing of it is in flight: start it over
      else this.retire(a);
    };
    holder.pieces.push(release);
    holder.piecesThisTurn++;
    return { buf, release };
  }

  /**
   * `holder`'s socket has nothing queued: every write it was given reached the kernel, which copied
   * the bytes, so all its pieces are free now rather than when their completions run.
   */
  handedOff(holder: PieceHolder): void {
    const pieces = holder.pieces;
    while (pieces.length > 0) pieces[0]!();
  }

  /** The turn's writes were handed to the sockets: pieces taken from now on are of the next turn. */
  endTurn(): void {
    this.turn++;
  }

  private allocate(): Arena {
    this.arenasAllocated++;
    return { buf: Buffer.allocUnsafeSlow(ARENA_BYTES), used: 0, pieces: 0 };
  }

  /** An arena no longer carved: reused once its last piece is released. */
  private retire(a: Arena): void {
    if (a === this.current) this.current = undefined;
    if (a.pieces > 0) return;
    a.used = 0;
    if (this.spare.length < SPARE_ARENAS) this.spare.push(a);
  }
}
