// The bytes a worker thread's clients hold for messages that have not finished arriving (a frame
// still coming in, the fragments of a message, an SSE line): one budget across all of them, so many
// clients of a hostile target cannot each take their full per-message limit at once.

/** What one worker thread may hold for unfinished messages, all its clients together. */
export const WORKER_MESSAGE_BUDGET_BYTES = 64 * 1024 * 1024;

export class MessageBudget {
  /** Bytes taken and not yet given back. */
  held = 0;

  constructor(readonly limit: number) {}

  /** Moves one holder's charge from `before` to `after` bytes; false (nothing taken) when the growth would go over the limit. */
  recharge(before: number, after: number): boolean {
    if (after > before && this.held + (after - before) > this.limit) return false;
    this.held += after - before;
    return true;
  }
}

/** This thread's budget: each worker thread loads its own copy of this module, so each has its own. */
export const threadBudget = new MessageBudget(WORKER_MESSAGE_BUDGET_BYTES);
