// The HTML report: one self-contained file (inline CSS and SVG, no script, no network). What a
// reader needs first comes first: the verdict, its evidence, the per-group table and the thresholds;
// then the charts (latency and oldest owed event over time, delivery rate, percentile spectrum).
import { decodeHistogram } from '../measurement/histogram.js';
import { CLOSE_SLOW_CLIENT } from '../protocol/v0.js';
import type { GroupResult, RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { escapeHtml as esc } from '../util/untrusted.js';
import { generatorFact, replayFact, unseenFacts } from './facts.js';
import { checkRows, evidenceMark, runStatus, shardLine, VERDICT_LABEL, verdictLabel, type EvidenceMark } from './outcomes.js';
import { byRole, closedByDesign, deliveredChart, overTimeChart, timeFrame } from './overTimeChart.js';
import { MISSING_COLUMN, PHASE_TABLE_HEADER, phaseRows } from './phaseRows.js';
import { serverViewSentences } from './serverView.js';
import { serverProcessSentences } from './serverProcess.js';
import { lineChart, type Series } from './svg.js';

const HTML_MARK: Record<EvidenceMark, string> = {
  fired: '<b class="bad">✗</b>',
  held: '<span class="ok">✓</span>',
  'not judged': '<span title="not judged">–</span>',
  info: '·',
};

export interface HtmlOptions {
  failOnHol?: boolean;
}

const PHASE_COLORS: Record<string, string> = { warmup: '#9e9e9e', baseline: '#1f77b4', stress: '#d62728', recovery: '#2ca02c', other: '#9467bd' };

const ms = (us: number): number => us / 1000;
const fmtMs = (v: number): string => formatUs(v * 1000);

/** The percentile spectrum of a group, one line per phase: x is 1/(1−percentile), both axes log so baseline and stress both read. */
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
    series.push({ key: ph.name, name: `${ph.name} (${p.latencyUs.count} events)`, color: byRole(PHASE_COLORS, ph.role), points });
  }
  if (series.length === 0) return null;
  const ys = series.flatMap((s) => s.points.map((q) => q[1])).filter((v) => v > 0);
  const yMin = Math.max(0.01, 10 ** Math.floor(Math.log10(Math.min(...ys, 1))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys, yMin * 10)));
  const labels = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%', '99.9999%'];
  return lineChart({
    title: `${g.name}: latency by percentile`,
    x: { label: 'percentile', log: true, min: 1, max: maxX, ticks: labels.map((label, i) => ({ value: 10 ** i, label })) },
    y: { label: 'latency (log scale)', log: true, min: yMin, max: yMax, format: fmtMs },
    series,
  });
}

function table(header: string[], rows: string[][], numeric: (c: number) => boolean = () => false): string {
  const th = header.map((h, c) => `<th${numeric(c) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((cell, c) => `<td${numeric(c) ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

/** What became of a group's clients in a phase, as a table cell: closes by the server, refusals. */
function fateCell(record: RunRecord, group: string, phase: string): string {
  const g = record.groups.find((x) => x.name === group);
  const ph = record.phases.find((p) => p.name === phase);
  if (!g || !ph || g.kind === 'churn') return '';
  const inPhase = (at: number | undefined): boolean => at === undefined || (at >= ph.startUs && at < ph.startUs + ph.durationUs);
  const closed = closedByDesign(record, g);
  const parts: string[] = [];
  const slow = g.clientResults.filter((c) => c.refused === undefined && c.closedByServer === CLOSE_SLOW_CLIENT && inPhase(c.closedAtUs)).length;
  if (slow) parts.push(closed.count ? `<span class="closed">${slow} closed ${CLOSE_SLOW_CLIENT} (slow client, by design)</span>` : `<b class="bad">${slow} closed ${CLOSE_SLOW_CLIENT}</b>`);
  // the server's count stands for the closes a stalled reader never read: shown in its last phase
  if (closed.counted && ph === record.phases.filter((p) => g.phases[p.name]?.clients).at(-1)) {
    parts.push(`<span class="closed">${closed.counted} closed ${CLOSE_SLOW_CLIENT} by the server's count (slow client, by design; a stalled reader never reads the close frame)</span>`);
  }
  const other = g.clientResults.filter((c) => c.refused === undefined && c.closedByServer !== null && c.closedByServer !== CLOSE_SLOW_CLIENT && inPhase(c.closedAtUs));
  if (other.length) parts.push(`<b class="bad">${other.length} closed (${esc([...new Set(other.map((c) => c.closedByServer))].join(', '))})</b>`);
  const refused = g.clientResults.filter((c) => c.refused !== undefined && inPhase(c.closedAtUs)).length;
  if (refused) parts.push(`<b class="bad">${refused} refused</b>`);
  return parts.join(', ');
}

/** The per-group, per-phase table; missing events of slow clients closed by design are not a failure's red. */
function summaryTable(record: RunRecord): string {
  const rows = phaseRows(record).map((r) => {
    const byDesign = closedByDesign(record, record.groups.find((g) => g.name === r.group)!).count > 0;
    const cells = r.cells.map((cell, c) => {
      if (c !== MISSING_COLUMN || r.missing === 0) return esc(cell);
      return byDesign ? `<span class="closed" title="closed ${CLOSE_SLOW_CLIENT} by the server, as designed: owed events count as missing">${esc(cell)}</span>` : `<b class="bad">${esc(cell)}</b>`;
    });
    return [...cells, fateCell(record, r.group, r.phase)];
  });
  return table([...PHASE_TABLE_HEADER, "clients' fate"], rows, (c) => c >= 2 && c < PHASE_TABLE_HEADER.length);
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
.closed{color:#7b52ab;font-weight:600}
.chart .lg{font-size:11px;fill:#333}.chart .bl{font-size:10px;fill:#777}.chart .grid{stroke:#e6e6e6;stroke-width:1}.chart .frame{fill:none;stroke:#999}
`;

export function renderHtml(record: RunRecord, opts: HtmlOptions = {}): string {
  const status = runStatus(record, !!opts.failOnHol);
  const v = record.hol.verdict;
  const target = record.target.kind === 'embedded' ? `embedded evbench serve (${record.target.mode ?? '?'})` : record.target.url;
  const body: string[] = [];
  // a shard has no verdict of its own: it measured, and the merge of the shards judges
  const shard = shardLine(record);
  const shown = shard !== undefined && status !== 'not a result' ? 'measured, no verdict (a shard)' : status;
  body.push(`<h1>evbench: ${esc(record.scenario.name)} — <span class="${status === 'passed' ? 'ok' : 'bad'}">${shown}</span></h1>`);
  body.push(`<div class="meta">${esc(target)} · ${(record.durationUs / 1e6).toFixed(1)}s from ${esc(record.startedAt)} · ${esc(record.workers)} worker(s)${record.shard ? ` · shard ${esc(record.shard.index)} of ${esc(record.shard.count)}` : ''}${record.mergedFrom ? ` · merged from ${esc(record.mergedFrom.shards)} shards` : ''} · ${esc(record.tool.name)} ${esc(record.tool.version)}</div>`);
  body.push(
    shard === undefined
      ? `<div class="verdict v-${Object.hasOwn(VERDICT_LABEL, v) ? v : 'unknown'}"><b>Verdict: ${esc(verdictLabel(v).text)}</b> — ${esc(record.hol.summary)}</div>`
      : `<div class="verdict v-${v === 'invalid' ? 'invalid' : 'unknown'}">${esc(shard)}</div>`,
  );
  for (const w of record.warnings) body.push(`<div class="warn">⚠ ${esc(w)}</div>`);
  if (record.hol.evidence.length) {
    body.push(table(['', 'HOL rule', 'measured', 'bound'], record.hol.evidence.map((e) => [HTML_MARK[evidenceMark(e)], esc(e.rule), esc(e.measured), esc(e.bound)])));
  }
  body.push('<h2>Per group</h2>');
  body.push(summaryTable(record));
  body.push('<p class="meta">Latency is receive time − intended publish time; missing events are included at their lower bound. Slow clients the server closed as designed (4008) are shown in <span class="closed">purple</span>, not as a failure: what they were owed still counts as missing.</p>');
  for (const fact of unseenFacts(record)) body.push(`<p class="warn">⚠ ${esc(fact)}</p>`);
  for (const g of record.groups) {
    if (!g.replay) continue;
    body.push(`<p>Catch-up <b>${esc(g.name)}</b>: ${esc(replayFact(g)!)}.</p>`);
  }
  const checks = checkRows(record, !!opts.failOnHol);
  body.push('<h2>Thresholds</h2>');
  body.push(checks.length === 0 ? '<p>No thresholds were set.</p>' : table(['', 'threshold', 'measured', 'bound'], checks.map((c) => [!c.judged ? '<span class="warn">– not judged</span>' : c.passed ? '<span class="ok">✓ pass</span>' : '<b class="bad">✗ FAIL</b>', `<code>${esc(c.name)}</code>`, esc(c.measured), esc(c.bound)])));

  const frame = timeFrame(record);
  body.push('<h2>Latency over time</h2>');
  body.push(
    "<p class=\"meta\">Seconds since the start, on a log scale so baseline and stress both read. <b>Oldest owed event</b>: at each moment, how old the oldest event a client was still owed was — it climbs while nothing arrives, so a stall is drawn as a stall (for fast groups from the clients' 10 ms tick series, the maximum of each 100 ms; else the worst of each second). <b>Every client waiting</b>: how long all of them had been waiting. <b>p99 of arrivals</b>: the events published in each second that arrived. Dark red marks: the freezes the verdict counted. Phases shaded.</p>",
  );
  body.push(`<div class="charts">${record.groups.map((g) => overTimeChart(record, g, frame)).filter((c): c is string => c !== null).join('\n')}</div>`);
  const silent = record.groups.filter((g) => g.kind !== 'churn' && !record.intervals.some((iv) => iv.group === g.name && iv.histogram));
  if (silent.length) body.push(`<p>No event arrived at all for: ${silent.map((g) => `<b>${esc(g.name)}</b> (${esc(Object.values(g.phases).reduce((a, p) => a + p.missing, 0))} missing)`).join(', ')}.</p>`);
  const delivered = deliveredChart(record, frame, { width: 1136 });
  if (delivered) {
    body.push('<h2>Delivery rate</h2>');
    body.push(`<div class="charts">${delivered}</div>`);
  }
  body.push('<h2>Latency by percentile</h2>');
  body.push('<p class="meta">Receive time − intended publish time, missing events included at their lower bound. The x axis is 1/(1−percentile): each step right is ten times rarer.</p>');
  body.push(`<div class="charts">${record.groups.map((g) => spectrumChart(record, g)).filter((c): c is string => c !== null).join('\n')}</div>`);
  const gen = record.generator;
  body.push('<h2>Generator health</h2>');
  body.push(
    `<p>${gen.bound ? '<b class="bad">BOUND</b>' : '<span class="ok">ok</span>'} — ${esc(generatorFact(record))}.</p>`,
  );
  if (gen.reasons.length) body.push(`<ul>${gen.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  for (const sentence of [...serverViewSentences(record), ...serverProcessSentences(record)]) body.push(`<p>${esc(sentence)}</p>`);
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
