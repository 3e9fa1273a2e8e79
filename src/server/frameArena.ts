// Where live fan-out's writes are framed: consecutive pieces of a large reused buffer (an arena), so
// a session's frames of a chunk cost no allocation of their own. An arena is reused once every write
// holding a piece of it has completed; a session holds pieces of at most PIECES_PER_SESSION writes
// not yet completed (a slow reader then gets fresh exact-size buffers, so it never pins more than
// that many arenas however long its queue grows).

/** Bytes of one arena. */
const ARENA_BYTES = 256 * 1024;
/** A write larger than this gets a buffer of its own. */
const MAX_PIECE_BYTES = 64 * 1024;
/** Arenas kept for reuse once all their pieces are written. */
const SPARE_ARENAS = 4;

interface Arena {
  buf: Buffer;
  /** Next free byte. */
  used: number;
  /** Pieces handed out and not yet released. */
  pieces: number;
}

/** Something that holds pieces: a session, counting its pieces in writes not yet completed. */
export interface PieceHolder {
  piecesInFlight: number;
}

export const PIECES_PER_SESSION = 4;

export class FrameArena {
  private current: Arena | undefined;
  private readonly spare: Arena[] = [];

  /**
   * A buffer of `bytes` for `holder`'s next write, and the release to call once that write has
   * completed (undefined when the buffer is its own, and the collector frees it).
   */
  take(holder: PieceHolder, bytes: number): { buf: Buffer; release: (() => void) | undefined } {
    if (bytes > MAX_PIECE_BYTES || holder.piecesInFlight >= PIECES_PER_SESSION)
      return { buf: Buffer.allocUnsafe(bytes), release: undefined };
    let arena = this.current;
    if (!arena || arena.used + bytes > ARENA_BYTES) {
      if (arena) this.retire(arena);
      arena = this.spare.pop() ?? { buf: Buffer.allocUnsafeSlow(ARENA_BYTES), used: 0, pieces: 0 };
      this.current = arena;
    }
    const buf = arena.buf.subarray(arena.used, arena.used + bytes);
    arena.used += bytes;
    arena.pieces++;
    holder.piecesInFlight++;
    const a = arena;
    return {
      buf,
      release: () => {
        holder.piecesInFlight--;
        if (--a.pieces > 0) return;
        if (a === this.current)
          a.used = 0; // nothing of it is in flight: start it over
        else this.retire(a);
      },
    };
  }

  /** An arena no longer carved: reused once its last piece is released. */
  private retire(a: Arena): void {
    if (a === this.current) this.current = undefined;
    if (a.pieces > 0) return;
    a.used = 0;
    if (this.spare.length < SPARE_ARENAS) this.spare.push(a);
  }
}
