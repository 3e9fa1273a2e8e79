// `evbench compare BASE.json NEW.json`: for CI, whether NEW is worse than BASE beyond the noise two
// runs of one commit show (exit 1), with the rule printed beside each row; a record that is not a
// result (invalid, generator-bound) is refused (exit 4), never ranked.
import type { Command } from 'commander';
import { compareRecords, DEFAULT_COMPARE, notAResult, type CompareOptions } from '../verdict/compareRuns.js';
import { readRunRecord } from '../record/loadRecord.js';
import { renderCompareMarkdown, renderCompareTable, renderCompareVerdict } from '../reports/compare.js';
import { renderFastSparklines } from '../reports/sparkline.js';
import { parseDurationUs } from '../util/units.js';
import { EXIT_FAILED, EXIT_INVALID, EXIT_OK, UserError } from '../util/errors.js';
import { useColor } from './run.js';
import { addVerbosityOptions, sparklineView, verbosityOf, type VerbosityFlags } from './verbosity.js';

interface CompareFlags extends VerbosityFlags {
  tolerance: string;
  minDelta: string;
  alpha: string;
  all?: boolean;
  md?: boolean;
  color?: boolean;
}

/** "10%" or "10" (percent) → 0.1. */
export function parseTolerance(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new UserError(`--tolerance: expected a percentage such as 10%, got "${text}"`);
  return Number(m[1]) / 100;
}

function parseAlpha(text: string): number {
  const a = Number(text);
  if (!/^\s*0?\.\d+\s*$/.test(text) || !(a > 0 && a < 1))
    throw new UserError(`--alpha: expected a probability between 0 and 1 such as 0.01, got "${text}"`);
  return a;
}

/** Refuses, with one line and exit 4, to rank a record that is not a result. */
export function refuseNonResults(records: { file: string; label: string; record: Parameters<typeof notAResult>[0] }[]): void {
  const why = records.map((r) => ({ ...r, reason: notAResult(r.record) })).filter((r) => r.reason !== null);
  if (why.length === 0) return;
  throw new UserError(`compare: NOT A RESULT, not ranked: ${why.map((r) => `${r.label} ${r.file}: ${r.reason}`).join('; ')}`, EXIT_INVALID);
}

export function registerCompare(program: Command): void {
  const pct = `${DEFAULT_COMPARE.tolerance * 100}%`;
  addVerbosityOptions(program.command('compare'), {
    quiet: 'print only the verdict line and each regression, and errors',
    verbose: "also both runs' fast-group latency over time on one scale, even off a terminal",
  })
    .description('compare two run records for CI: exit 1 when NEW is worse than BASE beyond noise and tolerance')
    .argument('<base>', 'the baseline run record')
    .argument('<new>', 'the run record to judge')
    .option('--tolerance <pct>', 'relative worsening a change must exceed to count', pct)
    .option(
      '--min-delta <time>',
      'latency rises smaller than this are noise, whatever their ratio',
      `${DEFAULT_COMPARE.minDeltaUs / 1000}ms`,
    )
    .option('--alpha <p>', 'significance of the per-second distribution test (one-sided Mann–Whitney U)', String(DEFAULT_COMPARE.alpha))
    .option('--all', 'every group and phase (default: fast groups in the baseline and stress phases)')
    .option('--md', 'print the comparison as Markdown on stdout')
    .option('--no-color', 'no colors on stderr (also NO_COLOR)')
    .addHelpText(
      'after',
      `
Examples:
  evbench compare main.json pr.json
  evbench compare main.json pr.json --md >> "$GITHUB_STEP_SUMMARY"

By default only the fast groups in the measured phases (roles baseline and stress) are judged.
Latency p50/p90/p99 regress when the rise exceeds the tolerance, an absolute floor (the largest of
--min-delta, the generator's event-loop delay p99 and the interquartile range of BASE's own
per-second values) and is sustained
(one-sided Mann–Whitney U test over the per-second interval histograms, p < --alpha); p99.9 and max
are shown, not judged. Missing events and the delivery rate regress beyond the tolerance and an
absolute floor. A hol or disconnect verdict where BASE had none is a regression. Each row prints
the rule it was judged by. See docs/compare.md.

Exit codes: 0 no regression, 1 regression, 2 bad input, 4 a record is not a result (invalid or
generator-bound): nothing is ranked.`,
    )
    .action((baseFile: string, newFile: string, flags: CompareFlags) => {
      const tolerance = parseTolerance(flags.tolerance);
      const minDeltaUs = /^\s*0\s*$/.test(flags.minDelta) ? 0 : parseDurationUs(flags.minDelta);
      if (!Number.isFinite(minDeltaUs)) throw new UserError(`--min-delta: expected a duration such as 1ms, got "${flags.minDelta}"`);
      const options: CompareOptions = { tolerance, minDeltaUs, alpha: parseAlpha(flags.alpha), all: !!flags.all };
      const base = readRunRecord(baseFile);
      const next = readRunRecord(newFile);
      refuseNonResults([
        { file: baseFile, label: 'BASE', record: base },
        { file: newFile, label: 'NEW', record: next },
      ]);
      const c = compareRecords(base, next, options);
      const labels = { base: baseFile, next: newFile, options };
      const verbosity = verbosityOf(flags);
      const color = useColor(flags.color);
      if (verbosity === 'quiet') process.stderr.write(`${renderCompareVerdict(c, color)}\n`);
      else {
        process.stderr.write(`${renderCompareTable(c, labels, color)}\n`);
        const view = sparklineView(verbosity);
        const picture = view
          ? renderFastSparklines(
              [
                { name: 'BASE', record: base },
                { name: 'NEW', record: next },
              ],
              view,
            )
          : '';
        if (picture) process.stderr.write(`\n${picture}\n`);
      }
      if (flags.md) process.stdout.write(renderCompareMarkdown(c, labels));
      process.exitCode = c.regressions.length > 0 ? EXIT_FAILED : EXIT_OK;
    });
}
