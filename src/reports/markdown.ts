// The Markdown report (for pull requests and $GITHUB_STEP_SUMMARY): the verdict first, then the
// checks with measured values beside bounds, the per-group per-phase table, generator health, warnings.
import type { RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { checkRows, EVIDENCE_SYMBOL, evidenceMark, runStatus, shardLine, verdictLabel, type CheckRow } from './outcomes.js';
import { generatorFact, LATENCY_NOTE, protocolFact, replayFact, unseenFacts } from './facts.js';
import { PHASE_TABLE_HEADER, phaseRows } from './phaseRows.js';
import { serverViewSentences } from './serverView.js';
import { serverProcessSentences } from './serverProcess.js';
import { markdownCode as code, markdownSafe as md } from '../util/untrusted.js';

export interface MarkdownOptions {
  failOnHol?: boolean;
}

// every cell arrives as Markdown: escaped (md) or code (code) where it came from the record
const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
const table = (header: string[], rows: string[][], right: (c: number) => boolean): string[] => [
  row(header.map((h) => md(h))),
  `|${header.map((_, c) => (right(c) ? '---:' : ':---')).join('|')}|`,
  ...rows.map(row),
];

function targetText(record: RunRecord): string {
  return record.target.kind === 'embedded' ? `embedded ${code(`evbench serve --mode ${record.target.mode ?? '?'}`)}`
    : `${code(record.target.url)}${md(protocolFact(record))}`;
}

/** How the checks of a run that is a result went: "All N passed" only when every one was judged. */
function checksLine(checks: CheckRow[]): string {
  const failed = checks.filter((c) => c.judged && !c.passed).length;
  const unjudged = checks.filter((c) => !c.judged).length;
  const notJudged = unjudged > 0 ? `, ${unjudged} not judged` : '';
  if (failed > 0) return unjudged === 0 ? `**${failed} of ${checks.length} failed.**` : `**${failed} of ${checks.length} failed**${notJudged}.`;
  return unjudged === 0 ? `All ${checks.length} passed.` : `${checks.length - unjudged} passed${notJudged}.`;
}

export function renderMarkdown(record: RunRecord, opts: MarkdownOptions = {}): string {
  const out: string[] = [];
  const status = runStatus(record, !!opts.failOnHol);
  const { text, tone } = verdictLabel(record.hol.verdict);
  const verdict = `${tone === 'ok' ? '🟢' : tone === 'bad' ? '🔴' : '🟡'} **Verdict: ${md(text)}**`;
  // a shard has no verdict of its own: it measured, and the merge of the shards judges
  const shardSays = shardLine(record);
  const measuredOnly = shardSays !== undefined && status !== 'not a result';
  out.push(`## evbench: ${md(record.scenario.name)} — ${measuredOnly ? '📏 measured, no verdict (a shard)' : status === 'passed' ? '✅ passed' : status === 'failed' ? '❌ failed' : status === 'inconclusive' ? '⚠️ inconclusive (not tested)' : '⚠️ not a result'}`);
  out.push('');
  out.push(shardSays === undefined ? `${verdict} — ${md(record.hol.summary)}` : `${measuredOnly ? '📏' : '🟡'} ${md(shardSays)}`);
  if (record.generator.bound) out.push('', '> ⚠️ **generator-bound**: the load generator, not the server, was the bottleneck; these numbers are not a result.');
  if (record.partial) out.push('', `> ⚠️ **partial run**: ${md(record.partialReason ?? 'stopped early')}`);
  if (record.invalid) out.push('', `> ⚠️ **invalid run**: ${md(record.invalidReason ?? 'a worker failed')}`);
  out.push('');
  if (record.hol.evidence.length > 0) {
    out.push(...table(['', 'HOL rule', 'measured', 'bound'], record.hol.evidence.map((e) => [EVIDENCE_SYMBOL[evidenceMark(e)], md(e.rule), md(e.measured), md(e.bound)]), () => false));
    out.push('');
  }

  const checks = checkRows(record, !!opts.failOnHol);
  out.push('### Thresholds');
  out.push('');
  if (checks.length === 0) out.push('No thresholds were set.');
  else {
    out.push(status === 'not a result' ? `Not judged: the run is not a result (${checks.length} measured).` : checksLine(checks));
    out.push('');
    out.push(...table(['', 'threshold', 'measured', 'bound'], checks.map((c) => [!c.judged ? '➖' : c.passed ? '✅' : '❌', code(c.name), md(c.measured), md(c.bound)]), () => false));
  }
  out.push('');

  out.push('### Latency by group and phase');
  out.push('');
  out.push(...table(PHASE_TABLE_HEADER, phaseRows(record).map((r) => r.cells.map((c) => md(c))), (c) => c >= 2));
  out.push('');
  out.push(LATENCY_NOTE);
  for (const fact of unseenFacts(record)) out.push('', `⚠️ ${md(fact)}`);
  for (const g of record.groups) {
    if (!g.replay) continue;
    out.push(`Catch-up ${code(g.name)}: ${md(replayFact(g))}.`);
  }
  out.push('');

  const gen = record.generator;
  out.push('### Generator health');
  out.push('');
  out.push(
    `${gen.bound ? '❌ **bound**' : '✅ ok'} — ${md(generatorFact(record))}.`,
  );
  for (const reason of gen.reasons) out.push(`- ${md(reason)}`);
  for (const sentence of [...serverViewSentences(record), ...serverProcessSentences(record)]) out.push('', md(sentence));
  if (record.warnings.length > 0) {
    out.push('');
    out.push('### Warnings');
    out.push('');
    for (const w of record.warnings) out.push(`- ⚠️ ${md(w)}`);
  }
  out.push('');
  const shard = record.shard ? `, shard ${md(record.shard.index)} of ${md(record.shard.count)}` : '';
  const merged = record.mergedFrom ? `, merged from ${md(record.mergedFrom.shards)} shards` : '';
  out.push(`<sub>${md(record.tool.name)} ${md(record.tool.version)} · ${targetText(record)} · ${(record.durationUs / 1e6).toFixed(1)}s from ${md(record.startedAt)} · ${md(record.workers)} worker(s)${shard}${merged} · phases ${record.phases.map((p) => md(`${p.name} (${p.role}, ${formatUs(p.durationUs)})`)).join(' → ')}</sub>`);
  return `${out.join('\n')}\n`;
}
