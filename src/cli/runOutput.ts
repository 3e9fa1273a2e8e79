// What `run` and `demo` print on stderr as each run ends and after the last one, at each verbosity:
// quiet (the verdict line, and a failed threshold's line), normal (the summary, with the sparkline on
// a terminal or in CI), verbose (each client's fate and the verdict's working besides).
import type { RunRecord } from '../record/schema.js';
import type { ReportFile } from '../reports/formats.js';
import { renderSideBySide } from '../reports/sideBySide.js';
import { renderFastSparklines, type SparklineOptions } from '../reports/sparkline.js';
import { renderSummary, renderVerdictLines } from '../reports/summary.js';
import type { Verbosity } from './verbosity.js';
import { terminalSafe } from '../util/untrusted.js';

export interface RunOutputOptions {
  verbosity: Verbosity;
  color: boolean;
  failOnHol: boolean;
  sparkline: SparklineOptions | false;
}

const say = (text: string): void => void process.stderr.write(`${text}\n`);

/**
 * The runner's progress lines: none when quiet; the embedded server's own lines only when verbose.
 * A line may quote a target (a close reason, a first message it could not read): printed inert.
 */
export function runLog(verbosity: Verbosity): ((line: string) => void) | undefined {
  if (verbosity === 'quiet') return undefined;
  return (line) => (verbosity !== 'verbose' && line.startsWith('server: ') ? undefined : say(terminalSafe(line)));
}

/** One run has ended and its files are written. `name` is set when it is one of several (variants). */
export function printRunEnd(record: RunRecord, files: ReportFile[], o: RunOutputOptions, name?: string): void {
  if (o.verbosity === 'quiet') {
    say(renderVerdictLines(record, o.color, o.failOnHol, name));
    return;
  }
  say('');
  say(renderSummary(record, o.color, { sparkline: o.sparkline, verbose: o.verbosity === 'verbose' }));
  say(`run record: ${terminalSafe(files[0]!.path)}`);
  if (files.length > 1)
    say(
      `reports: ${files
        .slice(1)
        .map((f) => terminalSafe(f.path))
        .join(', ')}`,
    );
}

/** After several runs (the demo's variants): the fast groups side by side, and their latency over time on one scale. */
export function printRunsEnd(runs: { name: string; record: RunRecord }[], o: RunOutputOptions): void {
  if (runs.length < 2 || o.verbosity === 'quiet') return;
  say('');
  say(renderSideBySide(runs, o.color));
  if (o.sparkline) {
    const spark = renderFastSparklines(runs, o.sparkline);
    if (spark) say(`\n${spark}`);
  }
}
