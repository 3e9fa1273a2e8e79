// The HTML report: one self-contained file (inline CSS and SVG, no script, no network) with the
// verdict, the checks, the percentile spectrum and latency-over-time charts, and the summary table.
import { decodeHistogram } from '../measurement/histogram.js';
import type { GroupResult, RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { checkRows, evidenceMark, runStatus, VERDICT_LABEL, verdictLabel, type EvidenceMark } from './outcomes.js';

const HTML_MARK: Record<EvidenceMark, string> = {
  fired: '<b class="bad">✗</b>',
  held: '<span class="ok">✓</span>',
  'not judged': '<span title="not judged">–</span>',
  info: '·',
};
import { generatorFact, replayFact } from './facts.js';
import { lineChart, type Band, type Series } from './svg.js';
import { escapeHtml as esc } from '../util/untrusted.js';
import { MISSING_COLUMN, PHASE_TABLE_HEADER, phaseRows } from './phaseRows.js';
import { serverViewSentences } from './serverView.js';

export interface HtmlOptions {
  failOnHol?: boolean;
}

export const GROUP_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const PHASE_COLORS: Record<string, string> = { warmup: '#9e9e9e', baseline: '#1f77b4', stress: '#d62728', recovery: '#2ca02c', other: '#9467bd' };
export const BAND_FILLS: Record<string, string> = { warmup: '#eeeeee', baseline: '#e3effa', stress: '#fbe3e3', recovery: '#e4f4e4', other: '#efe6f7' };

/** A phase role's colour; a role from a record is a key like any other ("constructor" is not one of ours). */
const byRole = (colors: Record<string, string>, role: unknown): string => (typeof role === 'string' && Object.hasOwn(colors, role) ? colors[role]! : colors.other!);
export const bandFill = (role: unknown): string => byRole(BAND_FILLS, role);

const ms = (us: number): number => us / 1000;
const fmtMs = (v: number): string => formatUs(v * 1000);

function phaseBands(record: RunRecord): Band[] {
  return record.phases.map((p) => ({ from: p.startUs / 1e6, to: (p.startUs + p.durationUs) / 1e6, label: `${p.name}`, fill: bandFill(p.role) }));
}

/** The percentile spectrum of a group, one line per phase: x is 1/(1−percentile) on a log axis. */
function spectrumChart(record: RunRecord, g: GroupResult): string | null {
  const series: Series[] = [];
  let maxX = 10;
  for (const ph of record.phases) {
    const p = g.phases[ph.name];
    if (!p || p.latencyUs.count === 0 || !p.histogram) continue;
    const h = decodeHistogram(p.histogram);
    // beyond 1/count the tail is a single sample: stop one decade past it, at most 99.9999%
    const maxK = Math.min(6, Math.max(1, Math.ceil(Math.log10(h.totalCount)) + 0.5));
    maxX = Math.max(maxX, 10 ** maxK);
    const points: [number, number][] = [];
    for (let k = 0; k <= maxK + 1e-9; k += 0.05) {
      const pct = 100 * (1 - 10 ** -k);
      points.push([10 ** k, ms(h.getValueAtPercentile(pct))]);
    }
    series.push({ name: `${ph.name} (${p.latencyUs.count} events)`, color: byRole(PHASE_COLORS, ph.role), points });
  }
  if (series.length === 0) return null;
  const labels = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%', '99.9999%'];
  return lineChart({
    title: `${g.name}: latency by percentile`,
    x: { label: 'percentile', log: true, min: 1, max: maxX, ticks: labels.map((label, i) => ({ value: 10 ** i, label })) },
    y: { label: 'latency', min: 0, format: fmtMs },
    series,
  });
}

function groupIntervals(record: RunRecord, g: GroupResult): RunRecord['intervals'] {
  return record.intervals.filter((iv) => iv.group === g.name).sort((a, b) => a.startUs - b.startUs);
}

/** p50, p99 and max per second, with the phases shaded behind; seconds with no arrival break the lines. */
function overTimeChart(record: RunRecord, g: GroupResult): string | null {
  const all = groupIntervals(record, g);
  if (!all.some((iv) => iv.histogram)) return null;
  const ivs = all.map((iv) => (iv.histogram ? iv : { ...iv, p50Us: NaN, p99Us: NaN, maxUs: NaN }));
  const at = (iv: RunRecord['intervals'][number]): number => iv.startUs / 1e6 + 0.5;
  return lineChart({
    title: `${g.name}: latency over time`,
    x: { label: 'seconds since start', min: 0, max: Math.max(record.durationUs / 1e6, ...ivs.map((iv) => at(iv) + 0.5)), format: (v) => `${v}s` },
    y: { label: 'latency', min: 0, format: fmtMs },
    bands: phaseBands(record),
    series: [
      { name: 'p50', color: '#1f77b4', points: ivs.map((iv) => [at(iv), ms(iv.p50Us)]) },
      { name: 'p99', color: '#d62728', points: ivs.map((iv) => [at(iv), ms(iv.p99Us)]) },
      { name: 'max', color: '#555555', dash: '4 3', points: ivs.map((iv) => [at(iv), ms(iv.maxUs)]) },
    ],
  });
}

/** Events delivered per second per connected client, every group on one chart. */
function deliveredChart(record: RunRecord): string | null {
  const series: Series[] = [];
  record.groups.forEach((g, i) => {
    if (g.kind === 'churn') return;
    const points: [number, number][] = [];
    for (const iv of groupIntervals(record, g)) {
      const ph = record.phases.find((p) => iv.startUs >= p.startUs && iv.startUs < p.startUs + p.durationUs);
      const clients = ph ? (g.phases[ph.name]?.clients ?? 0) : 0;
      if (clients > 0) points.push([iv.startUs / 1e6 + 0.5, (iv.arrived ?? iv.delivered) / clients]);
    }
    if (points.length) series.push({ name: g.name, color: GROUP_COLORS[i % GROUP_COLORS.length]!, points });
  });
  if (series.length === 0) return null;
  return lineChart({
    title: 'events delivered per second, per client',
    width: 1136,
    x: { label: 'seconds since start', min: 0, max: record.durationUs / 1e6, format: (v) => `${v}s` },
    y: { label: 'events/s per client', min: 0, format: (v) => String(Math.round(v * 10) / 10) },
    bands: phaseBands(record),
    series,
  });
}

function table(header: string[], rows: string[][], numeric: (c: number) => boolean = () => false): string {
  const th = header.map((h, c) => `<th${numeric(c) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((cell, c) => `<td${numeric(c) ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

function summaryRows(record: RunRecord): string[][] {
  return phaseRows(record).map((r) => r.cells.map((cell, c) => (c === MISSING_COLUMN && r.missing > 0 ? `<b class="bad">${esc(cell)}</b>` : esc(cell))));
}

export const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;margin:24px auto;max-width:1160px;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
.meta{color:#666;font-size:12px}.verdict{font-size:16px;padding:10px 14px;border-radius:6px;margin:12px 0}
.v-hol{background:#fde8e8;border:1px solid #e99}.v-none{background:#e8f6e8;border:1px solid #9c9}.v-unknown,.v-invalid{background:#fff6dc;border:1px solid #dc9}.v-disconnect{background:#fde8e8;border:1px solid #e99}
.warn{background:#fff6dc;border:1px solid #dc9;padding:6px 10px;border-radius:4px;margin:6px 0}
table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f4f4f4}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#1a7f37}.bad{color:#c62828}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #e4e4e4;border-radius:4px}
.chart .ct{font-size:13px;font-weight:600;fill:#222}.chart .tk{font-size:11px;fill:#555}.chart .al{font-size:12px;fill:#333}
.chart .lg{font-size:11px;fill:#333}.chart .bl{font-size:10px;fill:#777}.chart .grid{stroke:#e6e6e6;stroke-width:1}.chart .frame{fill:none;stroke:#999}
`;

export function renderHtml(record: RunRecord, opts: HtmlOptions = {}): string {
  const status = runStatus(record, !!opts.failOnHol);
  const v = record.hol.verdict;
  const target = record.target.kind === 'embedded' ? `embedded evbench serve (${record.target.mode ?? '?'})` : record.target.url;
  const body: string[] = [];
  body.push(`<h1>evbench: ${esc(record.scenario.name)} — <span class="${status === 'passed' ? 'ok' : 'bad'}">${status}</span></h1>`);
  body.push(`<div class="meta">${esc(target)} · ${(record.durationUs / 1e6).toFixed(1)}s from ${esc(record.startedAt)} · ${esc(record.workers)} worker(s)${record.shard ? ` · shard ${esc(record.shard.index)} of ${esc(record.shard.count)}` : ''}${record.mergedFrom ? ` · merged from ${esc(record.mergedFrom.shards)} shards` : ''} · ${esc(record.tool.name)} ${esc(record.tool.version)}</div>`);
  body.push(`<div class="verdict v-${Object.hasOwn(VERDICT_LABEL, v) ? v : 'unknown'}"><b>Verdict: ${esc(verdictLabel(v).text)}</b> — ${esc(record.hol.summary)}</div>`);
  for (const w of record.warnings) body.push(`<div class="warn">⚠ ${esc(w)}</div>`);
  if (record.hol.evidence.length) {
    body.push(table(['', 'HOL rule', 'measured', 'bound'], record.hol.evidence.map((e) => [HTML_MARK[evidenceMark(e)], esc(e.rule), esc(e.measured), esc(e.bound)])));
  }
  const checks = checkRows(record, !!opts.failOnHol);
  body.push('<h2>Thresholds</h2>');
  body.push(checks.length === 0 ? '<p>No thresholds were set.</p>' : table(['', 'threshold', 'measured', 'bound'], checks.map((c) => [!c.judged ? '<span class="warn">– not judged</span>' : c.passed ? '<span class="ok">✓ pass</span>' : '<b class="bad">✗ FAIL</b>', `<code>${esc(c.name)}</code>`, esc(c.measured), esc(c.bound)])));

  body.push('<h2>Latency by percentile</h2>');
  body.push('<p class="meta">Receive time − intended publish time, missing events included at their lower bound. The x axis is 1/(1−percentile): each step right is ten times rarer.</p>');
  body.push(`<div class="charts">${record.groups.map((g) => spectrumChart(record, g)).filter((c): c is string => c !== null).join('\n')}</div>`);
  body.push('<h2>Latency over time</h2>');
  body.push('<p class="meta">Latency of the events published in each second since the start, events that never arrived at their lower bound (so a stall is drawn as a stall); phases shaded.</p>');
  body.push(`<div class="charts">${record.groups.map((g) => overTimeChart(record, g)).filter((c): c is string => c !== null).join('\n')}</div>`);
  const silent = record.groups.filter((g) => g.kind !== 'churn' && !record.intervals.some((iv) => iv.group === g.name && iv.histogram));
  if (silent.length) body.push(`<p>No event arrived at all for: ${silent.map((g) => `<b>${esc(g.name)}</b> (${esc(Object.values(g.phases).reduce((a, p) => a + p.missing, 0))} missing)`).join(', ')}.</p>`);
  const delivered = deliveredChart(record);
  if (delivered) {
    body.push('<h2>Delivery rate</h2>');
    body.push(`<div class="charts">${delivered}</div>`);
  }
  body.push('<h2>Summary</h2>');
  body.push(table(PHASE_TABLE_HEADER, summaryRows(record), (c) => c >= 2));
  for (const g of record.groups) {
    if (!g.replay) continue;
    body.push(`<p>Catch-up <b>${esc(g.name)}</b>: ${esc(replayFact(g)!)}.</p>`);
  }
  const gen = record.generator;
  body.push('<h2>Generator health</h2>');
  body.push(
    `<p>${gen.bound ? '<b class="bad">BOUND</b>' : '<span class="ok">ok</span>'} — ${esc(generatorFact(record))}.</p>`,
  );
  if (gen.reasons.length) body.push(`<ul>${gen.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  for (const sentence of serverViewSentences(record)) body.push(`<p>${esc(sentence)}</p>`);
  body.push(`<p class="meta">Phases: ${record.phases.map((p) => esc(`${p.name} (${p.role}, ${formatUs(p.durationUs)})`)).join(' → ')}</p>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>evbench: ${esc(record.scenario.name)} — ${v === 'hol' ? 'HOL' : esc(v)}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
