// Compares two run records group by group and phase by phase: latency percentiles, missing events
// and delivery rate, each flagged as a regression when it got worse by more than the tolerance.
import type { RunRecord } from '../runner/record.js';

export type CompareMetric = 'p50' | 'p90' | 'p99' | 'p99.9' | 'max' | 'missing' | 'delivered/s';

export interface CompareRow {
  group: string;
  phase: string;
  metric: CompareMetric | 'present' | 'hol verdict';
  base: number | string | null;
  next: number | string | null;
  unit: 'µs' | '' | '/s';
  /** (next − base) ÷ base; null when base is 0 or a side is absent. */
  change: number | null;
  regression: boolean;
  improved: boolean;
}

export interface CompareOptions {
  /** Allowed worsening, as a fraction (0.1 = 10%). */
  tolerance: number;
  /** Latency changes smaller than this (µs) are noise, whatever their ratio. */
  minDeltaUs: number;
}

export interface Comparison {
  rows: CompareRow[];
  regressions: CompareRow[];
  /** Notes a reader needs to trust the comparison (generator-bound, partial, different scenario). */
  notes: string[];
}

const LATENCY: [CompareMetric, 'p50' | 'p90' | 'p99' | 'p999' | 'max'][] = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p99.9', 'p999'], ['max', 'max']];

function row(group: string, phase: string, metric: CompareRow['metric'], base: number, next: number, unit: CompareRow['unit'], higherIsWorse: boolean, opts: CompareOptions): CompareRow {
  const change = base !== 0 ? (next - base) / base : null;
  const worse = higherIsWorse ? next - base : base - next;
  const beyond = base === 0 ? worse > 0 : worse / base > opts.tolerance;
  const noise = unit === 'µs' ? Math.abs(next - base) < opts.minDeltaUs : false;
  const better = base === 0 ? worse < 0 : -worse / base > opts.tolerance;
  return { group, phase, metric, base, next, unit, change, regression: beyond && !noise, improved: better && !noise };
}

export function compareRecords(base: RunRecord, next: RunRecord, opts: CompareOptions): Comparison {
  const rows: CompareRow[] = [];
  const notes: string[] = [];
  if (base.scenario.name !== next.scenario.name) notes.push(`different scenarios: "${base.scenario.name}" vs "${next.scenario.name}"`);
  for (const [label, r] of [['BASE', base], ['NEW', next]] as const) {
    if (r.generator.bound) notes.push(`${label} was generator-bound: its numbers measure the load generator`);
    if (r.partial) notes.push(`${label} is a partial run (${r.partialReason ?? 'stopped early'})`);
    if (r.invalid) notes.push(`${label} is an invalid run (${r.invalidReason ?? 'a worker failed'})`);
  }
  for (const bg of base.groups) {
    const ng = next.groups.find((g) => g.name === bg.name);
    for (const ph of base.phases) {
      const bp = bg.phases[ph.name];
      if (!bp || bp.clients === 0) continue;
      const np = ng?.phases[ph.name];
      if (!np || np.clients === 0) {
        rows.push({ group: bg.name, phase: ph.name, metric: 'present', base: 'yes', next: 'absent', unit: '', change: null, regression: true, improved: false });
        continue;
      }
      if (bp.latencyUs.count > 0 || np.latencyUs.count > 0) {
        for (const [metric, key] of LATENCY) rows.push(row(bg.name, ph.name, metric, bp.latencyUs[key], np.latencyUs[key], 'µs', true, opts));
      }
      rows.push(row(bg.name, ph.name, 'missing', bp.missing, np.missing, '', true, opts));
      if (bg.kind !== 'churn') rows.push(row(bg.name, ph.name, 'delivered/s', bp.deliveredPerClientPerSec, np.deliveredPerClientPerSec, '/s', false, opts));
    }
  }
  for (const ng of next.groups) {
    if (!base.groups.some((g) => g.name === ng.name)) notes.push(`group "${ng.name}" is new in NEW (not compared)`);
  }
  const verdictRank = { none: 0, unknown: 1, invalid: 1, disconnect: 2, hol: 2 } as const;
  rows.push({
    group: '',
    phase: '',
    metric: 'hol verdict',
    base: base.hol.verdict,
    next: next.hol.verdict,
    unit: '',
    change: null,
    regression: next.hol.verdict === 'hol' && base.hol.verdict !== 'hol',
    improved: verdictRank[next.hol.verdict] < verdictRank[base.hol.verdict],
  });
  return { rows, regressions: rows.filter((r) => r.regression), notes };
}
