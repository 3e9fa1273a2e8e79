// Renders a comparison of two run records: a text table for the terminal and Markdown for CI. Every
// row carries the rule it was judged by, so a reader sees why a change did or did not count.
import type { Comparison, CompareOptions, CompareRow } from '../verdict/compareRuns.js';
import { formatUs } from '../util/units.js';
import { makeChalk } from './summary.js';
import { renderTable } from './table.js';
import { terminalView } from './terminalView.js';
import { markdownCode, markdownSafe } from '../util/untrusted.js';

const value = (v: CompareRow['base'], unit: CompareRow['unit']): string =>
  v === null ? '—' : typeof v === 'string' ? v : unit === 'µs' ? formatUs(v) : `${Math.round(v * 10) / 10}${unit}`;

const change = (r: CompareRow): string => {
  if (r.change === null) return r.base === r.next ? '=' : typeof r.base === 'number' && typeof r.next === 'number' ? `+${value(r.next - r.base, r.unit)}` : '';
  const pct = Math.round(r.change * 1000) / 10;
  return pct === 0 ? '=' : `${pct > 0 ? '+' : ''}${pct}%`;
};

const status = (r: CompareRow): string => (r.regression ? 'REGRESSION' : r.improved ? 'better' : r.judged ? '' : 'info');

export interface CompareLabels {
  base: string;
  next: string;
  options: CompareOptions;
}

/** The rule in one line, for the table's heading. */
export function ruleSummary(o: CompareOptions): string {
  const tol = `${Math.round(o.tolerance * 1000) / 10}%`;
  return (
    `latency p50/p90/p99 regress when the rise is >${tol}, above a floor (max of --min-delta ${formatUs(o.minDeltaUs)}, ` +
    `generator loop delay p99, BASE's per-second IQR) and sustained (one-sided Mann–Whitney U over the per-second histograms, p<${o.alpha}); ` +
    `missing and delivered/s when beyond ${tol} and an absolute floor; a new hol or disconnect verdict`
  );
}

export function renderCompareTable(untrusted: Comparison, untrustedLabels: CompareLabels, color = false): string {
  const c = terminalView(untrusted);
  const labels = terminalView(untrustedLabels);
  const ch = makeChalk(color);
  const rows = c.rows.map((r) => [r.group, r.phase, r.metric, value(r.base, r.unit), value(r.next, r.unit), change(r), r.regression ? ch.red.bold(status(r)) : r.improved ? ch.green(status(r)) : ch.dim(status(r)), ch.dim(r.rule)]);
  const out = [`compare: ${labels.base} → ${labels.next}: ${c.scope}`, ch.dim(`rule: ${ruleSummary(labels.options)}`)];
  for (const n of c.notes) out.push(ch.yellow(`note: ${n}`));
  out.push('', renderTable(['group', 'phase', 'metric', 'base', 'new', 'change', '', 'rule'], rows, (col) => col >= 3 && col <= 5), '');
  out.push(verdictLine(c, color));
  return out.join('\n');
}

const verdictLine = (c: Comparison, color: boolean): string => {
  const ch = makeChalk(color);
  return c.regressions.length === 0 ? ch.green('no regression beyond noise and tolerance') : ch.red.bold(`${c.regressions.length} regression(s) beyond noise and tolerance`);
};

/** What `compare --quiet` prints: the verdict line and one line per regression (what, base → new, change). */
export function renderCompareVerdict(untrusted: Comparison, color = false): string {
  const c = terminalView(untrusted);
  const ch = makeChalk(color);
  const out = [`compare: ${verdictLine(c, color)}`];
  for (const r of c.regressions) out.push(`  ${ch.red('✗')} ${r.group} ${r.phase} ${r.metric}: ${value(r.base, r.unit)} → ${value(r.next, r.unit)} (${change(r)})`);
  return out.join('\n');
}

export function renderCompareMarkdown(c: Comparison, labels: CompareLabels): string {
  const table = (rows: CompareRow[]): string[] => [
    '| group | phase | metric | base | new | change | | rule |',
    '|:---|:---|:---|---:|---:|---:|:---|:---|',
    ...rows.map((r) => `| ${[r.group, r.phase, r.metric, value(r.base, r.unit), value(r.next, r.unit), change(r), r.regression ? '❌ regression' : r.improved ? '✅ better' : r.judged ? '' : 'info', r.rule].map((s) => markdownSafe(s)).join(' | ')} |`),
  ];
  const out: string[] = [];
  out.push(`## evbench compare — ${c.regressions.length === 0 ? '✅ no regression' : `❌ ${c.regressions.length} regression(s)`}`);
  out.push('');
  out.push(`${markdownCode(labels.base)} → ${markdownCode(labels.next)}: ${markdownSafe(c.scope)}.`);
  out.push('', `Rule: ${markdownSafe(ruleSummary(labels.options))}.`);
  for (const n of c.notes) out.push('', `> ⚠️ ${markdownSafe(n)}`);
  out.push('');
  if (c.regressions.length) {
    out.push('### Regressions', '', ...table(c.regressions), '');
  }
  out.push('<details><summary>All metrics</summary>', '', ...table(c.rows), '', '</details>');
  return `${out.join('\n')}\n`;
}
