// The Markdown report (for pull requests and $GITHUB_STEP_SUMMARY): the verdict first, then the
// checks with measured values beside bounds, the per-group per-phase table, generator health, warnings.
import type { RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { checkRows, EVIDENCE_SYMBOL, evidenceMark, runStatus, VERDICT_LABEL } from './outcomes.js';
import { generatorFact, LATENCY_NOTE, protocolFact, replayFact } from './facts.js';
import { PHASE_TABLE_HEADER, phaseRows } from './phaseRows.js';
import { serverViewSentences } from './serverView.js';

export interface MarkdownOptions {
  failOnHol?: boolean;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const row = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
const table = (header: string[], rows: string[][], right: (c: number) => boolean): string[] => [
  row(header),
  `|${header.map((_, c) => (right(c) ? '---:' : ':---')).join('|')}|`,
  ...rows.map(row),
];

function targetText(record: RunRecord): string {
  return record.target.kind === 'embedded' ? `embedded \`evbench serve --mode ${record.target.mode ?? '?'}\``
    : `\`${record.target.url}\`${protocolFact(record)}`;
}

export function renderMarkdown(record: RunRecord, opts: MarkdownOptions = {}): string {
  const out: string[] = [];
  const status = runStatus(record, !!opts.failOnHol);
  const { text, tone } = VERDICT_LABEL[record.hol.verdict];
  const verdict = `${tone === 'ok' ? '🟢' : tone === 'bad' ? '🔴' : '🟡'} **Verdict: ${text}**`;
  out.push(`## evbench: ${record.scenario.name} — ${status === 'passed' ? '✅ passed' : status === 'failed' ? '❌ failed' : status === 'inconclusive' ? '⚠️ inconclusive (not tested)' : '⚠️ not a result'}`);
  out.push('');
  out.push(`${verdict} — ${record.hol.summary}`);
  if (record.generator.bound) out.push('', '> ⚠️ **generator-bound**: the load generator, not the server, was the bottleneck; these numbers are not a result.');
  if (record.partial) out.push('', `> ⚠️ **partial run**: ${record.partialReason ?? 'stopped early'}`);
  if (record.invalid) out.push('', `> ⚠️ **invalid run**: ${record.invalidReason ?? 'a worker failed'}`);
  out.push('');
  if (record.hol.evidence.length > 0) {
    out.push(...table(['', 'HOL rule', 'measured', 'bound'], record.hol.evidence.map((e) => [EVIDENCE_SYMBOL[evidenceMark(e)], e.rule, e.measured, e.bound]), () => false));
    out.push('');
  }

  const checks = checkRows(record, !!opts.failOnHol);
  out.push('### Thresholds');
  out.push('');
  if (checks.length === 0) out.push('No thresholds were set.');
  else {
    const failed = checks.filter((c) => c.judged && !c.passed).length;
    out.push(status === 'not a result' ? `Not judged: the run is not a result (${checks.length} measured).` : failed === 0 ? `All ${checks.length} passed.` : `**${failed} of ${checks.length} failed.**`);
    out.push('');
    out.push(...table(['', 'threshold', 'measured', 'bound'], checks.map((c) => [!c.judged ? '➖' : c.passed ? '✅' : '❌', `\`${c.name}\``, c.measured, c.bound]), () => false));
  }
  out.push('');

  out.push('### Latency by group and phase');
  out.push('');
  out.push(...table(PHASE_TABLE_HEADER, phaseRows(record).map((r) => r.cells), (c) => c >= 2));
  out.push('');
  out.push(LATENCY_NOTE);
  for (const g of record.groups) {
    if (!g.replay) continue;
    out.push(`Catch-up \`${g.name}\`: ${replayFact(g)}.`);
  }
  out.push('');

  const gen = record.generator;
  out.push('### Generator health');
  out.push('');
  out.push(
    `${gen.bound ? '❌ **bound**' : '✅ ok'} — ${generatorFact(record)}.`,
  );
  for (const reason of gen.reasons) out.push(`- ${reason}`);
  for (const sentence of serverViewSentences(record)) out.push('', sentence);
  if (record.warnings.length > 0) {
    out.push('');
    out.push('### Warnings');
    out.push('');
    for (const w of record.warnings) out.push(`- ⚠️ ${w}`);
  }
  out.push('');
  const shard = record.shard ? `, shard ${record.shard.index} of ${record.shard.count}` : '';
  const merged = record.mergedFrom ? `, merged from ${record.mergedFrom.shards} shards` : '';
  out.push(`<sub>${record.tool.name} ${record.tool.version} · ${targetText(record)} · ${(record.durationUs / 1e6).toFixed(1)}s from ${record.startedAt} · ${record.workers} worker(s)${shard}${merged} · phases ${record.phases.map((p) => `${p.name} (${p.role}, ${formatUs(p.durationUs)})`).join(' → ')}</sub>`);
  return `${out.join('\n')}\n`;
}
