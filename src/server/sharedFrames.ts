// A live fan-out chunk framed once for all the sessions that take every event of it. Their frames
// differ only in the msgID digits, so a session whose msgIDs over the chunk all have one digit count
// is given the same bytes with its own digits written in, and the kernel copies them from there: no
// body is copied per session. That holds only while no write still holds the bytes: a socket that
// did not hand a whole write to the kernel keeps the buffer (pinned), and the next session gets a
// buffer of its own, framed afresh.
import type { StoredEvent } from './eventLog.js';
import { digits, eventFrameLength, writeEventFrame, writeMsgIdDigits } from './frame.js';

/** The least a buffer for a chunk's frames is allocated with (a batch of 100 events of 400 bytes is 43 KB framed). */
const INITIAL_BYTES = 64 * 1024;

export class SharedFrames {
  private events: readonly StoredEvent[] = [];
  private from = 0;
  private to = 0;
  /** Digit count the current frames were laid out for; 0 = not laid out for this chunk. */
  private laidOutDigits = 0;
  /** Where each frame's msgID digits start. */
  private readonly digitsAt: number[] = [];
  private store: Buffer | undefined;
  private frames: Buffer | undefined;

  /** How many events the chunk has. */
  get count(): number {
    return this.to - this.from;
  }

  /** A new chunk: `events[from, to)`, framed only once a session asks for them. */
  reset(events: readonly StoredEvent[], from: number, to: number): void {
    this.events = events;
    this.from = from;
    this.to = to;
    this.laidOutDigits = 0;
  }

  /**
   * The chunk's frames with msgIDs `firstMsgId`, `firstMsgId + 1`, …: the same buffer for every
   * session until pinned() (so write it before asking for another session's), or undefined when
   * those msgIDs do not all have one digit count.
   */
  framesFor(firstMsgId: number): Buffer | undefined {
    const idDigits = digits(firstMsgId);
    const count = this.count;
    if (count === 0 || digits(firstMsgId + count - 1) !== idDigits) return undefined;
    if (idDigits !== this.laidOutDigits) return this.layOut(firstMsgId, idDigits);
    const frames = this.frames!;
    const at = this.digitsAt;
    let prev = at[0]!;
    writeMsgIdDigits(frames, prev, idDigits, firstMsgId);
    for (let i = 1; i < count; i++) {
      // the previous frame's msgID + 1, by carrying its digits rather than dividing: the digit count
      // does not change within the chunk, so the carry stops at the first digit at the latest
      const next = at[i]!;
      let j = idDigits - 1;
      for (; frames[prev + j] === 0x39; j--) frames[next + j] = 0x30;
      frames[next + j] = frames[prev + j]! + 1;
      for (let k = 0; k < j; k++) frames[next + k] = frames[prev + k]!;
      prev = next;
    }
    return frames;
  }

  /** The last frames given were not all handed to the kernel: a write holds them, so they are never written to again. */
  pinned(): void {
    this.store = undefined;
    this.frames = undefined;
    this.laidOutDigits = 0;
  }

  private layOut(firstMsgId: number, idDigits: number): Buffer {
    const { events, from, to } = this;
    let bytes = 0;
    for (let i = from; i < to; i++) bytes += eventFrameLength(firstMsgId + i - from, events[i]!.body.length);
    if (this.store === undefined || this.store.length < bytes) this.store = Buffer.allocUnsafe(Math.max(bytes, INITIAL_BYTES));
    const frames = this.store.subarray(0, bytes);
    const at = this.digitsAt;
    at.length = 0;
    let end = 0;
    for (let i = from; i < to; i++) {
      const body = events[i]!.body;
      end = writeEventFrame(frames, end, firstMsgId + i - from, body);
      at.push(end - body.length - 1 - idDigits);
    }
    this.frames = frames;
    this.laidOutDigits = idDigits;
    return frames;
  }
}
