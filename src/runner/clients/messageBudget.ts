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

/** The fault of a client whose unfinished message did not fit this budget: the runner's limit, not the server's doing. */
export const BUDGET_FAULT = 'worker_budget_exceeded';

/**
 * Why a run is not a result when the runner's message budget failed some of its clients (they were
 * owed events the runner itself stopped reading), or undefined when it failed none.
 */
export function budgetLimitedReason(clients: readonly { frameFaults?: Record<string, number> }[]): string | undefined {
  const failed = clients.filter((c) => (c.frameFaults?.[BUDGET_FAULT] ?? 0) > 0).length;
  if (failed === 0) return undefined;
  return `the runner's message budget limited the run: it failed ${failed} client(s) itself (${BUDGET_FAULT}, ${WORKER_MESSAGE_BUDGET_BYTES / (1024 * 1024)} MiB per worker for unfinished messages), not the server — use more workers or smaller events`;
}
