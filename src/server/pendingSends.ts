// The event frames one session was handed but that are not yet written to the kernel: its sends in
// flight, oldest first. Every send is observed once, when it ends however it ends (written, failed,
// abandoned at close), and /metrics reads the ones still in flight without waiting for them to end:
// the send that never finishes is the one that blocks a legacy server.

/** How a send ended: its bytes reached the kernel, its socket failed, or its session was given up. */
export type SendOutcome = 'written' | 'failed' | 'abandoned';
export const SEND_OUTCOMES: readonly SendOutcome[] = ['written', 'failed', 'abandoned'];

/** Receives `count` sends' elapsed time (µs from enqueue to end) and how they ended. */
export type ObserveSend = (us: number, outcome: SendOutcome, count: number) => void;

export class PendingSends {
  /** Enqueue times (µs), ascending; entries before `head` have ended. */
  private times: number[] = [];
  private head = 0;
  /** Completions still to come for sends already observed as abandoned; they are ignored. */
  private abandonedPending = 0;

  constructor(private readonly observe: ObserveSend) {}

  /** Sends in flight. */
  get size(): number {
    return this.times.length - this.head;
  }

  /** Enqueue time (µs) of the oldest send in flight; undefined when none is. */
  get oldestUs(): number | undefined {
    return this.head < this.times.length ? this.times[this.head] : undefined;
  }

  /** A send starts: its frame was handed to the socket at `enqueuedUs`. */
  begin(enqueuedUs: number): void {
    this.times.push(enqueuedUs);
  }

  /** `count` sends start together (frames written in one buffer) at `enqueuedUs`. */
  beginMany(enqueuedUs: number, count: number): void {
    for (let i = 0; i < count; i++) this.times.push(enqueuedUs);
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
      const enqueuedUs = this.times[this.head]!;
      let n = 1;
      while (n < left && this.times[this.head + n] === enqueuedUs) n++;
      this.head += n;
      left -= n;
      this.observe(nowUs - enqueuedUs, outcome, n);
    }
    this.release();
  }

  /**
   * The oldest send ended at `nowUs`. Sockets complete writes in the order they were made, so the
   * completion always belongs to the oldest send in flight.
   */
  end(nowUs: number, outcome: 'written' | 'failed'): void {
    if (this.abandonedPending > 0) {
      this.abandonedPending--;
      return;
    }
    if (this.head >= this.times.length) return;
    const enqueuedUs = this.times[this.head++]!;
    this.release();
    this.observe(nowUs - enqueuedUs, outcome, 1);
  }

  /** Gives back the room of ended sends. */
  private release(): void {
    if (this.head === this.times.length) {
      // Nothing in flight: an idle subscriber keeps no array of past sends (V8 frees the backing
      // store at length 0; before, it grew 8 bytes an event up to 1,024 of them per session).
      this.times.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * The session is being given up (closed as slow, or gone): every send still in flight ends now, as
   * abandoned, with its elapsed time so far. Their completions, if the socket still reports them, are ignored.
   */
  abandon(nowUs: number): void {
    for (let i = this.head; i < this.times.length; i++) this.observe(nowUs - this.times[i]!, 'abandoned', 1);
    this.abandonedPending += this.size;
    this.times = [];
    this.head = 0;
  }

  /** Sends in flight enqueued before `cutoffUs` (i.e. older than now − cutoff). */
  countEnqueuedBefore(cutoffUs: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < cutoffUs) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }
}
