// Renders a comparison of two run records: a text table for the terminal and Markdown for CI.
import type { Comparison, CompareRow } from '../records/compare.js';
import { formatUs } from '../scenario/units.js';
import { makeChalk } from './summary.js';
import { renderTable } from './table.js';

const value = (v: CompareRow['base'], unit: CompareRow['unit']): string =>
  v === null ? '—' : typeof v === 'string' ? v : unit === 'µs' ? formatUs(v) : `${Math.round(v * 10) / 10}${unit}`;

const change = (r: CompareRow): string => {
  if (r.change === null) return r.base === r.next ? '=' : typeof r.base === 'number' && typeof r.next === 'number' ? `+${value(r.next - r.base, r.unit)}` : '';
  const pct = Math.round(r.change * 1000) / 10;
  return pct === 0 ? '=' : `${pct > 0 ? '+' : ''}${pct}%`;
};

const status = (r: CompareRow): string => (r.regression ? 'REGRESSION' : r.improved ? 'better' : '');

export interface CompareLabels {
  base: string;
  next: string;
  tolerance: number;
}

export function renderCompareTable(c: Comparison, labels: CompareLabels, color = false): string {
  const ch = makeChalk(color);
  const rows = c.rows.map((r) => [r.group, r.phase, r.metric, value(r.base, r.unit), value(r.next, r.unit), change(r), r.regression ? ch.red.bold(status(r)) : r.improved ? ch.green(status(r)) : '']);
  const out = [`compare: ${labels.base} → ${labels.next} (tolerance ${Math.round(labels.tolerance * 1000) / 10}%)`];
  for (const n of c.notes) out.push(ch.yellow(`note: ${n}`));
  out.push('', renderTable(['group', 'phase', 'metric', 'base', 'new', 'change', ''], rows, (col) => col >= 3 && col <= 5), '');
  out.push(c.regressions.length === 0 ? ch.green('no regression beyond tolerance') : ch.red.bold(`${c.regressions.length} regression(s) beyond tolerance`));
  return out.join('\n');
}

export function renderCompareMarkdown(c: Comparison, labels: CompareLabels): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const table = (rows: CompareRow[]): string[] => [
    '| group | phase | metric | base | new | change | |',
    '|:---|:---|:---|---:|---:|---:|:---|',
    ...rows.map((r) => `| ${[r.group, r.phase, r.metric, value(r.base, r.unit), value(r.next, r.unit), change(r), r.regression ? '❌ regression' : r.improved ? '✅ better' : ''].map(cell).join(' | ')} |`),
  ];
  const out: string[] = [];
  const tol = `${Math.round(labels.tolerance * 1000) / 10}%`;
  out.push(`## evbench compare — ${c.regressions.length === 0 ? '✅ no regression' : `❌ ${c.regressions.length} regression(s)`}`);
  out.push('');
  out.push(`\`${cell(labels.base)}\` → \`${cell(labels.next)}\`, tolerance ${tol}.`);
  for (const n of c.notes) out.push('', `> ⚠️ ${n}`);
  out.push('');
  if (c.regressions.length) {
    out.push('### Regressions', '', ...table(c.regressions), '');
  }
  out.push('<details><summary>All metrics</summary>', '', ...table(c.rows), '', '</details>');
  return `${out.join('\n')}\n`;
}
