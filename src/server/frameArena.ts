// Where live fan-out's writes are framed: consecutive pieces of a large reused buffer (an arena), so
// a session's frames of a chunk cost no allocation of their own. A piece is released once the kernel
// has its bytes: when the socket's queue is empty after the writes of a turn were handed over
// (handedOff), or else when its write completes (completed: completions come in write order, so a
// session keeps its pieces' arenas in a queue, and nothing is allocated per piece but the Buffer
// view itself). An arena is reused once every piece of it is
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

/** A reused buffer carved into pieces. */
export interface Arena {
  buf: Buffer;
  /** Next free byte. */
  used: number;
  /** Pieces handed out and not yet released. */
  pieces: number;
}

/**
 * A first-in first-out queue that, once grown, allocates nothing per push: an array emptied to
 * length 0 gives up its backing store, and the next push allocates another (once per write, for a
 * session that takes one piece a chunk). A queue grown past KEPT_SLOTS is given back when it empties.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private end = 0;

  get size(): number {
    return this.end - this.head;
  }

  push(item: T): void {
    if (this.end < this.items.length) this.items[this.end] = item;
    else this.items.push(item);
    this.end++;
  }

  /** The oldest item, taken out; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.end) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.end) {
      this.head = this.end = 0;
      if (this.items.length > KEPT_SLOTS) this.items = [];
    }
    return item;
  }
}

const KEPT_SLOTS = 64;

/** Something that holds pieces: a session. */
export interface PieceHolder {
  /** The arenas of its pieces not yet released, oldest first, one entry per piece. */
  readonly pieces: Fifo<Arena>;
  /** How many of its oldest writes still to complete had their pieces released early (handedOff). */
  piecesReleasedAhead: number;
  /** The turn it last took a piece in, and how many of its pieces were taken in that turn. */
  pieceTurn: number;
  piecesThisTurn: number;
}

export class FrameArena {
  private current: Arena | undefined;
  private readonly spare: Arena[] = [];
  /** Bumped when a turn's writes have been handed to the sockets (endTurn). */
  private turn = 1;
  /** Arenas allocated so far: what the frames of sessions that do not drain could make grow. */
  arenasAllocated = 0;
  /**
   * Whether the last take() gave a piece of an arena: its write must then call completed() once it
   * completes. False for a buffer of its own, which the collector frees.
   */
  tookPiece = false;

  /** A buffer of `bytes` for `holder`'s next write (no closure or result object: take runs per session per chunk). */
  take(holder: PieceHolder, bytes: number): Buffer {
    if (holder.pieceTurn !== this.turn) {
      holder.pieceTurn = this.turn;
      holder.piecesThisTurn = 0;
    }
    if (bytes > MAX_PIECE_BYTES || holder.pieces.size > holder.piecesThisTurn) {
      this.tookPiece = false;
      return Buffer.allocUnsafe(bytes);
    }
    let arena = this.current;
    if (!arena || arena.used + bytes > ARENA_BYTES) {
      if (arena) this.retire(arena);
      arena = this.spare.pop() ?? this.allocate();
      this.current = arena;
    }
    const buf = arena.buf.subarray(arena.used, arena.used + bytes);
    arena.used += bytes;
    arena.pieces++;
    holder.pieces.push(arena);
    holder.piecesThisTurn++;
    this.tookPiece = true;
    return buf;
  }

  /**
   * The oldest of `holder`'s writes that took a piece completed (completions come in write order):
   * its piece is free, unless handedOff freed it already.
   */
  completed(holder: PieceHolder): void {
    if (holder.piecesReleasedAhead > 0) {
      holder.piecesReleasedAhead--;
      return;
    }
    const a = holder.pieces.shift();
    if (a) this.release(a);
  }

  /**
   * `holder`'s socket has nothing queued: every write it was given reached the kernel, which copied
   * the bytes, so all its pieces are free now rather than when their completions run.
   */
  handedOff(holder: PieceHolder): void {
    for (let a = holder.pieces.shift(); a; a = holder.pieces.shift()) {
      holder.piecesReleasedAhead++;
      this.release(a);
    }
  }

  /** The turn's writes were handed to the sockets: pieces taken from now on are of the next turn. */
  endTurn(): void {
    this.turn++;
  }

  private release(a: Arena): void {
    if (--a.pieces > 0) return;
    if (a === this.current)
      a.used = 0; // nothing of it is in flight: start it over
    else this.retire(a);
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
