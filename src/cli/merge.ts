// `evbench merge A.json B.json … -o merged.json`: the shards of a distributed run as one record,
// with the HOL verdict and thresholds evaluated again on the whole; shards that did not start together
// are refused, and a shard that is not a result makes the merged record not a result (exit 4); the
// exit code is the one `evbench report` gives the same record.
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { readRunRecord } from '../record/loadRecord.js';
import { DEFAULT_MAX_T0_SKEW_US, mergeShards, startedTogether } from '../verdict/mergeShards.js';
import { parseReportFormats } from '../reports/formats.js';
import { runStatus } from '../reports/outcomes.js';
import { renderSummary, renderVerdictLines } from '../reports/summary.js';
import { refuseInputOverwrite, writeFileAtomic } from '../util/atomicWrite.js';
import { parseDurationUs } from '../util/units.js';
import { exitCodeFor, UserError } from '../util/errors.js';
import { useColor } from './run.js';
import { writeReports } from './writeReports.js';
import { jsonText, terminalSafe } from '../util/untrusted.js';
import { addVerbosityOptions, sparklineView, verbosityOf, type VerbosityFlags } from './verbosity.js';

interface MergeFlags extends VerbosityFlags {
  output: string;
  report?: string;
  failOnHol?: boolean;
  json?: boolean;
  color?: boolean;
  maxT0Skew: string;
}

export function registerMerge(program: Command): void {
  addVerbosityOptions(program.command('merge'), {
    quiet: 'print only the merged verdict line (and failed thresholds) and errors',
    verbose: "also each client's fate across the shards, connect and ack times and the noise floor",
  })
    .description('merge the shard records of a distributed run (evbench run --shard i/N) into one, and judge it')
    .argument('<records...>', 'shard records, one per shard')
    .requiredOption('-o, --output <file>', 'merged run record to write')
    .option('--report <formats>', 'reports of the merged record, next to it: md, html, hgrm, hlog, junit')
    .option('--fail-on-hol', 'exit 1 when the merged verdict is hol')
    .option(
      '--max-t0-skew <time>',
      "largest spread of the shards' start times (t0, schedule offsets removed) to accept",
      `${DEFAULT_MAX_T0_SKEW_US / 1e6}s`,
    )
    .option('--json', 'print the merged record as JSON on stdout')
    .option('--no-color', 'no colors on stderr (also NO_COLOR)')
    .addHelpText(
      'after',
      `
Examples:
  evbench merge reports/slow-client.isolated.shard-*.json -o reports/slow-client.isolated.json --report md,junit

Histograms are added and counters summed (max for stalls); thresholds and the HOL verdict are
evaluated again on the merged record. Records from different scenarios, a set with a shard missing
or given twice, or shards whose t0 differ by more than --max-t0-skew (default 1 s, the record's
time resolution; shard i's own offset of i/rate is allowed for) are refused: start the shards with
evbench run --start-at TIME (one instant for all) and their t0 is that instant. A shard that is not a
result (verdict invalid, a failed worker, a bound generator) makes the merged verdict invalid.

Exit codes: 0 ok, 1 a threshold failed (or hol with --fail-on-hol), 2 bad input, 4 the merged
record is not a result, 5 the merged run could not have seen blocking (inconclusive).`,
    )
    .action((files: string[], flags: MergeFlags) => {
      const reports = flags.report === undefined ? [] : parseReportFormats(flags.report, '--report').filter((f) => f !== 'json');
      const maxT0SkewUs = /^\s*0\s*$/.test(flags.maxT0Skew) ? 0 : parseDurationUs(flags.maxT0Skew);
      if (!Number.isFinite(maxT0SkewUs) || maxT0SkewUs < 0)
        throw new UserError(`--max-t0-skew: expected a duration such as 1s or 250ms, got "${flags.maxT0Skew}"`);
      const inputs = files.map((source) => ({ source, record: readRunRecord(source) }));
      const merged = mergeShards(inputs, { maxT0SkewUs });
      refuseInputOverwrite(flags.output, files);
      writeFileAtomic(flags.output, `${jsonText(merged, 2)}\n`);
      const written = reports.length
        ? writeReports(merged, reports, dirname(flags.output), { failOnHol: !!flags.failOnHol }, [...files, flags.output])
        : [];
      const verbosity = verbosityOf(flags);
      const color = useColor(flags.color);
      if (verbosity === 'quiet') process.stderr.write(`${renderVerdictLines(merged, color, !!flags.failOnHol)}\n`);
      else {
        const summary = renderSummary(merged, color, { sparkline: sparklineView(verbosity), verbose: verbosity === 'verbose' });
        process.stderr.write(`${summary}\n`);
        process.stderr.write(
          `merged ${files.length} shards, ${terminalSafe(startedTogether(inputs, maxT0SkewUs))}: ${terminalSafe(flags.output)}${written.length ? `; reports: ${written.map((f) => terminalSafe(f.path)).join(', ')}` : ''}\n`,
        );
      }
      if (flags.json) process.stdout.write(`${jsonText(merged)}\n`);
      process.exitCode = exitCodeFor(runStatus(merged, !!flags.failOnHol));
    });
}
