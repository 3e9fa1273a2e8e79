// What can end a run early, and what each way of ending means — the one place that decides it:
//   abort(reason)   the run stops now and its record is `partial` (Ctrl-C, the server died, a
//                   thread failed); what was measured is kept;
//   fail(reason)    a runner thread failed: the numbers may be incomplete, the record is `invalid`
//                   (and partial); its verdict is then `invalid` and the exit code 4;
//   refuse(reason)  the target refused the run before accepting a single event: nothing was
//                   measured, so no record — a user error with exit code 3;
//   diagnose(text)  the target's messages are not events the adapter can read: a user error, exit 2.
import { EXIT_UNREACHABLE, UserError } from '../util/errors.js';
import type { RunRecord } from '../record/schema.js';

export class RunState {
  abortReason?: string;
  invalidReason?: string;
  private refusal?: string;
  private diagnosis?: string;
  private readonly listeners: (() => void)[] = [];
  private rejectAborted: (e: Error) => void = () => {};
  /** Rejects the moment the run is aborted (race it against anything that might never finish). */
  readonly aborted = new Promise<never>((_, reject) => (this.rejectAborted = reject));

  constructor() {
    this.aborted.catch(() => {});
  }

  get isAborted(): boolean {
    return this.abortReason !== undefined;
  }

  /** Calls `fn` on abort (at once if already aborted). */
  onAbort(fn: () => void): void {
    this.listeners.push(fn);
    if (this.isAborted) fn();
  }

  abort(reason: string): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.rejectAborted(new Error(reason));
    for (const fn of this.listeners) fn();
  }

  fail(reason: string, abortWith = reason): void {
    this.invalidReason ??= reason;
    this.abort(abortWith);
  }

  refuse(reason: string): void {
    this.refusal ??= reason;
    this.abort(reason);
  }

  diagnose(text: string): void {
    this.diagnosis ??= text;
    this.abort(text);
  }

  /** A refused or misdiagnosed run ends in a user error, not a record. */
  throwIfNoResult(url: string): void {
    if (this.refusal) throw new UserError(`target ${url} refused the run: ${this.refusal}`, EXIT_UNREACHABLE);
    if (this.diagnosis) throw new UserError(this.diagnosis);
  }

  /** The record's marks. */
  marks(): Pick<RunRecord, 'partial' | 'partialReason' | 'invalid' | 'invalidReason'> {
    return {
      partial: this.isAborted,
      partialReason: this.abortReason,
      invalid: this.invalidReason !== undefined,
      invalidReason: this.invalidReason,
    };
  }
}
