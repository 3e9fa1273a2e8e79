// `evbench merge A.json B.json … -o merged.json`: the shards of a distributed run as one record,
// with the HOL verdict and thresholds evaluated again on the whole.
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { readRunRecord } from '../records/load.js';
import { mergeShards } from '../records/merge.js';
import { parseReportFormats } from '../reports/formats.js';
import { runPassed } from '../reports/outcomes.js';
import { renderSummary } from '../reports/summary.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { EXIT_FAILED, EXIT_OK } from '../util/errors.js';
import { useColor } from './run.js';
import { writeReports } from './writeReports.js';

interface MergeFlags {
  output: string;
  report?: string;
  failOnHol?: boolean;
  json?: boolean;
  color?: boolean;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('merge the shard records of a distributed run (evbench run --shard i/N) into one, and judge it')
    .argument('<records...>', 'shard records, one per shard')
    .requiredOption('-o, --output <file>', 'merged run record to write')
    .option('--report <formats>', 'reports of the merged record, next to it: md, html, hgrm, hlog, junit')
    .option('--fail-on-hol', 'exit 1 when the merged verdict is hol')
    .option('--json', 'print the merged record as JSON on stdout')
    .option('--no-color', 'no colors on stderr (also NO_COLOR)')
    .addHelpText(
      'after',
      `
Examples:
  evbench merge reports/slow-client.shard-*.json -o reports/slow-client.json --report md,junit

Histograms are added and counters summed (max for stalls); thresholds and the HOL verdict are
evaluated again on the merged record. Records from different scenarios, or a set with a shard
missing or given twice, are refused.

Exit codes: 0 ok, 1 a threshold failed (or hol with --fail-on-hol), 2 bad input.`,
    )
    .action((files: string[], flags: MergeFlags) => {
      const reports = flags.report === undefined ? [] : parseReportFormats(flags.report, '--report').filter((f) => f !== 'json');
      const merged = mergeShards(files.map((source) => ({ source, record: readRunRecord(source) })));
      writeFileAtomic(flags.output, `${JSON.stringify(merged, null, 2)}\n`);
      const written = reports.length ? writeReports(merged, reports, dirname(flags.output), { failOnHol: !!flags.failOnHol }) : [];
      process.stderr.write(`${renderSummary(merged, useColor(flags.color))}\n`);
      process.stderr.write(`merged ${files.length} shards: ${flags.output}${written.length ? `; reports: ${written.map((f) => f.path).join(', ')}` : ''}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify(merged)}\n`);
      process.exitCode = runPassed(merged, !!flags.failOnHol) ? EXIT_OK : EXIT_FAILED;
    });
}
