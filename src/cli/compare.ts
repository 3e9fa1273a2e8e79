// `evbench compare BASE.json NEW.json`: what changed per group, phase and percentile, and whether
// anything got worse beyond the tolerance (exit 1).
import type { Command } from 'commander';
import { compareRecords } from '../records/compare.js';
import { readRunRecord } from '../records/load.js';
import { renderCompareMarkdown, renderCompareTable } from '../reports/compare.js';
import { parseDurationUs } from '../scenario/units.js';
import { EXIT_FAILED, EXIT_OK, UserError } from '../util/errors.js';
import { useColor } from './run.js';

interface CompareFlags {
  tolerance: string;
  minDelta: string;
  md?: boolean;
  color?: boolean;
}

/** "10%" or "10" (percent) → 0.1. */
export function parseTolerance(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new UserError(`--tolerance: expected a percentage such as 10%, got "${text}"`);
  return Number(m[1]) / 100;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two run records: per group, phase and percentile change; exit 1 on a regression')
    .argument('<base>', 'the baseline run record')
    .argument('<new>', 'the run record to judge')
    .option('--tolerance <pct>', 'allowed worsening before a change counts as a regression', '10%')
    .option('--min-delta <time>', 'latency changes smaller than this are noise, whatever their ratio', '1ms')
    .option('--md', 'print the comparison as Markdown on stdout')
    .option('--no-color', 'no colors on stderr (also NO_COLOR)')
    .addHelpText(
      'after',
      `
Examples:
  evbench compare main.json pr.json
  evbench compare main.json pr.json --tolerance 20% --md >> "$GITHUB_STEP_SUMMARY"

Latency percentiles (p50, p90, p99, p99.9, max) and missing events regress when they rise, the
delivery rate when it falls, by more than the tolerance; a hol verdict that was not there before is
a regression too.

Exit codes: 0 no regression, 1 regression, 2 bad input.`,
    )
    .action((baseFile: string, newFile: string, flags: CompareFlags) => {
      const tolerance = parseTolerance(flags.tolerance);
      const minDeltaUs = /^\s*0\s*$/.test(flags.minDelta) ? 0 : parseDurationUs(flags.minDelta);
      if (!Number.isFinite(minDeltaUs)) throw new UserError(`--min-delta: expected a duration such as 1ms, got "${flags.minDelta}"`);
      const base = readRunRecord(baseFile);
      const next = readRunRecord(newFile);
      const c = compareRecords(base, next, { tolerance, minDeltaUs });
      const labels = { base: baseFile, next: newFile, tolerance };
      process.stderr.write(`${renderCompareTable(c, labels, useColor(flags.color))}\n`);
      if (flags.md) process.stdout.write(renderCompareMarkdown(c, labels));
      process.exitCode = c.regressions.length > 0 ? EXIT_FAILED : EXIT_OK;
    });
}
