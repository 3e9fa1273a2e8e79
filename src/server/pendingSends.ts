// The event frames one session was handed but that are not yet written to the kernel: its sends in
// flight, oldest first. Every send is observed once, when it ends however it ends (written, failed,
// abandoned at close), and /metrics reads the ones still in flight without waiting for them to end:
// the send that never finishes is the one that blocks a legacy server.

/** How a send ended: its bytes reached the kernel, its socket failed, or its session was given up. */
export type SendOutcome = 'written' | 'failed' | 'abandoned';
export const SEND_OUTCOMES: readonly SendOutcome[] = ['written', 'failed', 'abandoned'];

/** Receives `count` sends' elapsed time (µs from enqueue to end) and how they ended. */
export type ObserveSend = (us: number, outcome: SendOutcome, count: number) => void;

/** Slots (two per run) a queue keeps once empty; a larger one is given back (an idle subscriber keeps no big array). */
const KEPT_SLOTS = 64;

export class PendingSends {
  /**
   * Runs of sends enqueued at the same instant, oldest first, two slots each: the enqueue time (µs)
   * and the number of sends begun up to and including the run. Runs before `head` have ended; slots
   * from `tail` on are free. The array is not emptied to length 0 (V8 would free its backing store
   * and the next write allocate one: once per write for a session that takes one write a chunk).
   */
  private runs: number[] = [];
  private head = 0;
  private tail = 0;
  /** Sends begun and ended so far. */
  private begun = 0;
  private ended = 0;
  /** Completions still to come for sends already observed as abandoned; they are ignored. */
  private abandonedPending = 0;

  constructor(private readonly observe: ObserveSend) {}

  /** Sends in flight. */
  get size(): number {
    return this.begun - this.ended;
  }

  /** Enqueue time (µs) of the oldest send in flight; undefined when none is. */
  get oldestUs(): number | undefined {
    return this.head < this.tail ? this.runs[this.head] : undefined;
  }

  /** A send starts: its frame was handed to the socket at `enqueuedUs`. */
  begin(enqueuedUs: number): void {
    this.beginMany(enqueuedUs, 1);
  }

  /** `count` sends start together (frames written in one buffer) at `enqueuedUs`. */
  beginMany(enqueuedUs: number, count: number): void {
    if (count <= 0) return;
    this.begun += count;
    if (this.tail > this.head && this.runs[this.tail - 2] === enqueuedUs) {
      this.runs[this.tail - 1] = this.begun;
      return;
    }
    if (this.tail < this.runs.length) {
      this.runs[this.tail] = enqueuedUs;
      this.runs[this.tail + 1] = this.begun;
    } else this.runs.push(enqueuedUs, this.begun);
    this.tail += 2;
  }

  /**
   * The oldest `count` sends ended together at `nowUs` (one write holding `count` frames); sends
   * enqueued at the same instant are observed together, once.
   */
  endMany(nowUs: number, outcome: 'written' | 'failed', count: number): void {
    const ignored = Math.min(count, this.abandonedPending);
    this.abandonedPending -= ignored;
    let left = Math.min(count - ignored, this.size);
    while (left > 0) {
      const n = Math.min(left, this.runs[this.head + 1]! - this.ended);
      this.ended += n;
      left -= n;
      this.observe(nowUs - this.runs[this.head]!, outcome, n);
      if (this.ended === this.runs[this.head + 1]) this.head += 2;
    }
    this.release();
  }

  /**
   * The oldest send ended at `nowUs`. Sockets complete writes in the order they were made, so the
   * completion always belongs to the oldest send in flight.
   */
  end(nowUs: number, outcome: 'written' | 'failed'): void {
    this.endMany(nowUs, outcome, 1);
  }

  /** Gives back the room of ended runs. */
  private release(): void {
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      if (this.runs.length > KEPT_SLOTS) this.runs = [];
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      this.runs.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
  }

  /**
   * The session is being given up (closed as slow, or gone): every send still in flight ends now, as
   * abandoned, with its elapsed time so far. Their completions, if the socket still reports them, are ignored.
   */
  abandon(nowUs: number): void {
    let from = this.ended;
    for (let i = this.head; i < this.tail; i += 2) {
      const through = this.runs[i + 1]!;
      for (let n = through - from; n > 0; n--) this.observe(nowUs - this.runs[i]!, 'abandoned', 1);
      from = through;
    }
    this.abandonedPending += this.size;
    this.ended = this.begun;
    this.runs = [];
    this.head = this.tail = 0;
  }

  /** Sends in flight enqueued before `cutoffUs` (i.e. older than now − cutoff). */
  countEnqueuedBefore(cutoffUs: number): number {
    let lo = this.head >> 1;
    let hi = this.tail >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.runs[2 * mid]! < cutoffUs) lo = mid + 1;
      else hi = mid;
    }
    // runs before `lo` began before the cutoff: the sends of them still in flight
    return lo > this.head >> 1 ? this.runs[2 * lo - 1]! - this.ended : 0;
  }
}
