// Errors a user can cause, as values with an exit code: the CLI prints `message` as one line and exits.

export const EXIT_OK = 0;
export const EXIT_FAILED = 1; // thresholds failed, or HOL verdict with --fail-on-hol
export const EXIT_USAGE = 2; // bad input: flag, scenario, URL, report file
export const EXIT_UNREACHABLE = 3; // target unreachable
export const EXIT_INVALID = 4; // the run is not a result: generator-bound or incomplete data (never a pass)
export const EXIT_INCONCLUSIVE = 5; // the run could not have seen blocking: slow clients never pushed back, too short (never a pass)
export const EXIT_SIGINT = 130; // interrupted by SIGINT (Ctrl-C): 128 + the signal's number, as a shell reports it
export const EXIT_SIGTERM = 143; // stopped by SIGTERM: 128 + 15

/** The exit code of a run ended by `signal`. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? EXIT_SIGTERM : EXIT_SIGINT;
}

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** The exit code of a finished run (or re-rendered record) from its status. */
export function exitCodeFor(status: 'passed' | 'failed' | 'not a result' | 'inconclusive'): number {
  return status === 'passed' ? EXIT_OK : status === 'failed' ? EXIT_FAILED : status === 'inconclusive' ? EXIT_INCONCLUSIVE : EXIT_INVALID;
}
