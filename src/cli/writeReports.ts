// Writes a record's reports (each file atomically) and appends the Markdown to $GITHUB_STEP_SUMMARY
// when CI set it: what `run`, `demo` and `report` share.
import { appendToFile, refuseInputOverwrite, refuseOutsideDir, writeFileAtomic } from '../util/atomicWrite.js';
import type { RunRecord } from '../record/schema.js';
import { renderReportFiles, type RenderOptions, type ReportFile, type ReportFormat } from '../reports/formats.js';

/**
 * `inputs` are the files the command read (scenario, record, tokens): none is ever replaced. Every
 * file lands directly in `dir`, whatever the record's names say; all are checked before any is written.
 */
export function writeReports(
  record: RunRecord,
  formats: readonly ReportFormat[],
  dir: string,
  opts: RenderOptions = {},
  inputs: readonly string[] = [],
): ReportFile[] {
  const files = renderReportFiles(record, formats, dir, opts);
  for (const f of files) {
    refuseOutsideDir(f.path, dir);
    refuseInputOverwrite(f.path, inputs);
  }
  for (const f of files) writeFileAtomic(f.path, f.data);
  const summary = process.env.GITHUB_STEP_SUMMARY;
  const md = files.find((f) => f.format === 'md');
  if (summary && md) appendToFile(summary, `${md.data}\n`);
  return files;
}
