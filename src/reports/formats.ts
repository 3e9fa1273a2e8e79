// Which report formats exist and what files each makes for a record: names and contents, nothing
// written here (the CLI writes them atomically).
import { join } from 'node:path';
import type { RunRecord } from '../record/schema.js';
import { recordBaseName } from '../record/loadRecord.js';
import { UserError } from '../util/errors.js';
import { renderHgrmFiles } from './hgrm.js';
import { renderHlog } from './hlog.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { jsonText } from '../util/untrusted.js';

export const REPORT_FORMATS = ['json', 'md', 'html', 'hgrm', 'hlog', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportFile {
  format: ReportFormat;
  path: string;
  data: string;
}

export interface RenderOptions {
  failOnHol?: boolean;
}

/** Parses `md,html,junit`; `flag` names the option in the error. */
export function parseReportFormats(text: string, flag: string): ReportFormat[] {
  const out: ReportFormat[] = [];
  for (const raw of text.split(',')) {
    const f = raw.trim().toLowerCase();
    if (f === '') continue;
    const format = (f === 'markdown' ? 'md' : f === 'xml' ? 'junit' : f) as ReportFormat;
    if (!REPORT_FORMATS.includes(format)) throw new UserError(`${flag}: unknown report format "${raw.trim()}" (expected ${REPORT_FORMATS.join(', ')})`);
    if (!out.includes(format)) out.push(format);
  }
  if (out.length === 0) throw new UserError(`${flag}: expected a comma-separated list of formats (${REPORT_FORMATS.join(', ')})`);
  return out;
}

export function renderReportFiles(record: RunRecord, formats: readonly ReportFormat[], dir: string, opts: RenderOptions = {}): ReportFile[] {
  const base = join(dir, recordBaseName(record));
  const files: ReportFile[] = [];
  for (const format of formats) {
    switch (format) {
      case 'json':
        files.push({ format, path: `${base}.json`, data: `${jsonText(record, 2)}\n` });
        break;
      case 'md':
        files.push({ format, path: `${base}.md`, data: renderMarkdown(record, opts) });
        break;
      case 'html':
        files.push({ format, path: `${base}.html`, data: renderHtml(record, opts) });
        break;
      case 'hgrm':
        for (const f of renderHgrmFiles(record)) files.push({ format, path: `${base}.${f.suffix}`, data: f.text });
        break;
      case 'hlog':
        files.push({ format, path: `${base}.hlog`, data: renderHlog(record) });
        break;
      case 'junit':
        files.push({ format, path: `${base}.junit.xml`, data: renderJunit(record, opts) });
        break;
    }
  }
  return files;
}
