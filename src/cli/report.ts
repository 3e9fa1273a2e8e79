// `evbench report RECORD.json --format md,html,…`: re-renders a saved run record (optionally with
// extra thresholds evaluated on it) and exits 1 when its checks fail, so CI can gate on a saved run.
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { readRunRecord } from '../record/loadRecord.js';
import { parseReportFormats } from '../reports/formats.js';
import { runStatus } from '../reports/outcomes.js';
import { evaluateThresholds } from '../verdict/thresholds.js';
import { exitCodeFor } from '../util/errors.js';
import { withThresholdFlags } from './thresholdFlags.js';
import { useColor } from './run.js';
import { writeReports } from './writeReports.js';
import { addVerbosityOptions, sparklineView, verbosityOf, type VerbosityFlags } from './verbosity.js';
import { renderSummary, renderVerdictLines } from '../reports/summary.js';
import { terminalSafe } from '../util/untrusted.js';

interface ReportFlags extends VerbosityFlags {
  format: string;
  out?: string;
  threshold: string[];
  failOnHol?: boolean;
  color?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerReport(program: Command): void {
  addVerbosityOptions(program.command('report'), {
    quiet: 'print only the verdict line (and failed thresholds) and errors',
    verbose: "also each client's fate (closes, stalls, missing), connect and ack times and the noise floor",
  })
    .description('render a saved run record as Markdown, HTML, .hgrm, .hlog or JUnit')
    .argument('<record>', 'run record JSON written by evbench run/demo/merge')
    .option('--format <formats>', 'md, html, hgrm, hlog, junit, json (comma-separated)', 'md,html')
    .option('--out <dir>', "folder for the reports (default: the record's folder)")
    .option(
      '--threshold <spec>',
      "evaluate an extra threshold on the record, e.g. 'latency{group:fast,phase:stress}: p(99)<50ms' (repeatable)",
      collect,
      [],
    )
    .option('--fail-on-hol', 'exit 1 when the verdict is hol (and a failed check in the JUnit report)')
    .option('--no-color', 'no colors on stderr (also NO_COLOR)')
    .addHelpText(
      'after',
      `
Examples:
  evbench report reports/slow-client.isolated.json --format md,html,junit
  evbench report run.json --format junit --threshold 'latency{group:fast}: p(99)<20ms' --out ci

Exit codes: 0 ok, 1 a threshold failed (or hol with --fail-on-hol), 2 bad input.`,
    )
    .action((file: string, flags: ReportFlags) => {
      const formats = parseReportFormats(flags.format, '--format');
      const record = readRunRecord(file);
      if (flags.threshold.length > 0) {
        const spec = record.scenario.spec as typeof record.scenario.spec | undefined;
        const names = spec && { groups: spec.groups.map((g) => g.name), phases: spec.phases.map((p) => p.name) };
        const thresholds = withThresholdFlags(spec?.thresholds ?? {}, flags.threshold, names);
        record.thresholds = evaluateThresholds(record, thresholds);
      }
      const files = writeReports(record, formats, flags.out ?? dirname(file), { failOnHol: !!flags.failOnHol }, [file]);
      const verbosity = verbosityOf(flags);
      const color = useColor(flags.color);
      if (verbosity === 'quiet') process.stderr.write(`${renderVerdictLines(record, color, !!flags.failOnHol)}\n`);
      else {
        const summary = renderSummary(record, color, { sparkline: sparklineView(verbosity), verbose: verbosity === 'verbose' });
        process.stderr.write(`${summary}\n`);
        process.stderr.write(`reports: ${files.map((f) => terminalSafe(f.path)).join(', ') || '(none: nothing to render)'}\n`);
      }
      process.exitCode = exitCodeFor(runStatus(record, !!flags.failOnHol));
    });
}
