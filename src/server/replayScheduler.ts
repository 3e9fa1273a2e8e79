// When catch-up replay may run, in isolated mode: never in the I/O phase where publishes and live
// fan-out run, never while live fan-out still has a batch to finish, and at most a budgeted share of
// each event-loop turn (bytes and time), shared round robin by every replaying session. A live
// publish therefore waits behind at most one turn's replay budget, however large the backlog.
// (Under live load that never lets up, replay still takes one turn in MAX_TURNS_GIVEN_WAY + 1.)
// The policy is kept apart from sockets so a test can step it turn by turn.

/** Replay bytes all sessions together may write in one loop turn. */
export const REPLAY_TURN_BYTES = 64 * 1024;
/** ...and the longest one turn's replay may run (a step scanning non-matching events writes little). */
export const REPLAY_TURN_MS = 2;
/**
 * Turns in a row replay gives way to unfinished live fan-out before it takes one anyway, so a
 * server whose live load never lets up still moves every catch-up forward (at 1 turn in 9).
 */
export const MAX_TURNS_GIVEN_WAY = 8;

export interface ReplaySchedulerOptions<T> {
  /**
   * One replay step of `session`, writing at most about `budgetBytes` (always at least one event);
   * returns the bytes it wrote. A session that wants another step asks again with `request`.
   */
  step: (session: T, budgetBytes: number) => number;
  /** True while live fan-out has work left: replay waits for the next turn. */
  liveBusy: () => boolean;
  /** Runs `fn` on a later loop turn, after that turn's I/O (setImmediate). */
  defer?: (fn: () => void) => void;
  /** Milliseconds, monotonic. */
  now?: () => number;
  turnBytes?: number;
  turnMs?: number;
}

export class ReplayScheduler<T> {
  /** Sessions waiting for a step, oldest request first. */
  private readonly queue: T[] = [];
  private readonly queued = new Set<T>();
  private scheduled = false;
  private readonly step: (session: T, budgetBytes: number) => number;
  private readonly liveBusy: () => boolean;
  private readonly defer: (fn: () => void) => void;
  private readonly now: () => number;
  readonly turnBytes: number;
  readonly turnMs: number;
  /** Turns run, and turns passed over because live fan-out had work (for tests and metrics). */
  turns = 0;
  yieldedToLive = 0;
  private givenWayInARow = 0;

  constructor(options: ReplaySchedulerOptions<T>) {
    this.step = options.step;
    this.liveBusy = options.liveBusy;
    this.defer = options.defer ?? ((fn) => setImmediate(fn));
    this.now = options.now ?? (() => performance.now());
    this.turnBytes = options.turnBytes ?? REPLAY_TURN_BYTES;
    this.turnMs = options.turnMs ?? REPLAY_TURN_MS;
  }

  /** Sessions waiting for a step. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Asks for a step of `session` on a later turn (once, however often it is asked before that). */
  request(session: T): void {
    if (this.queued.has(session)) return;
    this.queued.add(session);
    this.queue.push(session);
    this.schedule();
  }

  /** Forgets a session's pending step (it closed, or left replay). */
  cancel(session: T): void {
    if (!this.queued.delete(session)) return;
    const i = this.queue.indexOf(session);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(this.runTurn);
  }

  /** One loop turn's replay: steps round robin until the turn's bytes or time are spent. */
  readonly runTurn = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    if (this.liveBusy() && this.givenWayInARow < MAX_TURNS_GIVEN_WAY) {
      this.givenWayInARow++;
      this.yieldedToLive++;
      this.schedule();
      return;
    }
    this.givenWayInARow = 0;
    this.turns++;
    const started = this.now();
    let budget = this.turnBytes;
    // Steps requested during this turn (a session asking again) wait for the next one.
    let n = this.queue.length;
    while (n-- > 0 && budget > 0) {
      const session = this.queue.shift()!;
      this.queued.delete(session);
      budget -= this.step(session, budget);
      if (this.now() - started >= this.turnMs) break;
    }
    if (this.queue.length > 0) this.schedule();
  };
}
