// Compares two run records for CI: by default the fast groups in the measured phases (roles
// baseline and stress), each metric judged by a noise-aware rule that is printed beside its row.
// Two runs of one commit on one machine differ by noise; a regression must beat that noise.
//
// Latency p50/p90/p99 regress only when all three hold: (1) the rise exceeds the relative
// tolerance; (2) it exceeds an absolute floor, the largest of --min-delta, the worse generator's
// event-loop delay p99 (a late client thread stamps arrivals late by that much) and the
// interquartile range of the BASE run's own per-second values of that percentile in that phase
// (its second-to-second noise, robust to one bad second); (3) it is sustained: a
// one-sided Mann–Whitney U test over the per-second interval histograms says NEW's seconds are
// higher than BASE's (p < α). p99.9 and max rest on a handful of events and are shown, not judged.
// Missing events and the delivery rate regress when the change beats both a relative tolerance
// and an absolute floor; a verdict of hol or disconnect where BASE had none is a regression.
import { decodeHistogram } from '../measurement/histogram.js';
import type { GroupResult, PhaseResult, RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { mannWhitneyGreater, type RankTest } from './mannWhitney.js';

export { notAResult } from '../record/notAResult.js';

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
  /** Whether the row is judged at all (p99.9, max and slow groups' delivery rates are shown only). */
  judged: boolean;
  /** The rule the row was judged by, with its bounds, as printed beside it. */
  rule: string;
  /** The distribution test over per-second values, for latency rows. */
  test?: RankTest;
  regression: boolean;
  improved: boolean;
}

export interface CompareOptions {
  /** Allowed worsening, as a fraction (0.25 = 25%). */
  tolerance: number;
  /** Latency rises smaller than this (µs) are noise, whatever their ratio. */
  minDeltaUs: number;
  /** Significance of the per-second distribution test. */
  alpha: number;
  /** Every group and phase instead of the fast groups in baseline and stress. */
  all: boolean;
}

export const DEFAULT_COMPARE: CompareOptions = { tolerance: 0.25, minDeltaUs: 5000, alpha: 0.01, all: false };

/** Delivery rates falling by less than this (events/s per client) are noise (a stalled group's 0.1 → 0). */
const MIN_RATE_DROP = 1;
/** Missing events rising by less than this share of the events owed are noise. */
const MIN_MISSING_SHARE = 0.001;

const MEASURED_ROLES = ['baseline', 'stress'];

export interface Comparison {
  rows: CompareRow[];
  regressions: CompareRow[];
  /** Notes a reader needs to trust the comparison (partial, different scenario, groups out of scope). */
  notes: string[];
  /** What was compared, in one line. */
  scope: string;
}

const LATENCY: { metric: CompareMetric; key: 'p50' | 'p90' | 'p99' | 'p999' | 'max'; percentile: number | null }[] = [
  { metric: 'p50', key: 'p50', percentile: 50 },
  { metric: 'p90', key: 'p90', percentile: 90 },
  { metric: 'p99', key: 'p99', percentile: 99 },
  { metric: 'p99.9', key: 'p999', percentile: null },
  { metric: 'max', key: 'max', percentile: null },
];

const pct = (f: number): string => `${Math.round(f * 1000) / 10}%`;
const fmtP = (p: number): string => (p < 0.001 ? p.toExponential(0) : String(Math.round(p * 1000) / 1000));

/** Per-second values of a percentile for one group in one phase: the whole seconds inside the phase that had data. */
function perSecond(record: RunRecord, group: string, phase: string, percentile: number): number[] {
  const ph = record.phases.find((p) => p.name === phase);
  if (!ph) return [];
  const out: number[] = [];
  for (const iv of record.intervals) {
    if (iv.group !== group || !iv.histogram) continue;
    if (iv.startUs < ph.startUs || iv.startUs + 1_000_000 > ph.startUs + ph.durationUs) continue;
    out.push(decodeHistogram(iv.histogram).getValueAtPercentile(percentile));
  }
  return out;
}

/** q75 − q25 of the values (linear interpolation); 0 with fewer than 4, where quartiles mean little. */
export function interquartileRange(values: number[]): number {
  if (values.length < 4) return 0;
  const v = [...values].sort((a, b) => a - b);
  const q = (f: number): number => {
    const at = f * (v.length - 1);
    const lo = Math.floor(at);
    return v[lo]! + (v[Math.min(lo + 1, v.length - 1)]! - v[lo]!) * (at - lo);
  };
  return Math.round(q(0.75) - q(0.25));
}

interface Floor {
  us: number;
  /** What set it: the flag, the generator's loop delay, or the base run's per-second spread. */
  source: string;
}

function latencyFloor(base: RunRecord, next: RunRecord, seconds: number[], opts: CompareOptions): Floor {
  const loop = Math.max(base.generator.eventLoopDelayP99Us, next.generator.eventLoopDelayP99Us);
  const spread = interquartileRange(seconds);
  const floor: Floor = { us: opts.minDeltaUs, source: 'min-delta' };
  if (loop > floor.us) Object.assign(floor, { us: loop, source: 'generator loop delay p99' });
  if (spread > floor.us) Object.assign(floor, { us: spread, source: 'base per-second IQR' });
  return floor;
}

function latencyRow(
  base: RunRecord,
  next: RunRecord,
  group: string,
  phase: string,
  bp: PhaseResult,
  np: PhaseResult,
  l: (typeof LATENCY)[number],
  opts: CompareOptions,
): CompareRow {
  const b = bp.latencyUs[l.key];
  const n = np.latencyUs[l.key];
  const change = b !== 0 ? (n - b) / b : null;
  const common = { group, phase, metric: l.metric, base: b, next: n, unit: 'µs' as const, change };
  if (l.percentile === null) {
    return { ...common, judged: false, rule: 'shown, not judged: rests on a handful of events', regression: false, improved: false };
  }
  const bs = perSecond(base, group, phase, l.percentile);
  const ns = perSecond(next, group, phase, l.percentile);
  const floor = latencyFloor(base, next, bs, opts);
  const rise = n - b;
  // from a base of 0 any rise is infinitely relative (and no change is 0 / 0, not a rise)
  const relative = rise / b > opts.tolerance;
  const absolute = rise > floor.us;
  // sustained: NEW's seconds higher than BASE's; when the phase has too few seconds to reach α,
  // the test cannot decide and rules (1) and (2) judge alone (the rule says so)
  const test = mannWhitneyGreater(bs, ns);
  const decisive = test.minP !== null && test.minP < opts.alpha; // p and minP are null together
  const sustained = decisive ? test.p! < opts.alpha : true;
  const testText = decisive
    ? `U-test p<${opts.alpha} (p=${fmtP(test.p!)}, ${test.nBase}/${test.nNext} s)`
    : `no U-test (${test.nBase}/${test.nNext} s: too few)`;
  const rule = `rise >${pct(opts.tolerance)} & >${formatUs(floor.us)} (${floor.source}) & ${testText}`;
  // improvements are judged by the mirror of the same rule
  const drop = -rise;
  const fell = mannWhitneyGreater(ns, bs);
  const fellSustained = fell.minP !== null && fell.minP < opts.alpha ? fell.p! < opts.alpha : true;
  const improved = drop / b > opts.tolerance && drop > floor.us && fellSustained;
  return { ...common, judged: true, rule, test, regression: relative && absolute && sustained, improved };
}

function missingRow(group: string, phase: string, bp: PhaseResult, np: PhaseResult, opts: CompareOptions): CompareRow {
  const owed = Math.max(bp.delivered + bp.missing, np.delivered + np.missing);
  const floor = Math.max(0, Math.floor(owed * MIN_MISSING_SHARE));
  const rise = np.missing - bp.missing;
  // from none missing, any rise beyond the floor is infinitely relative
  const beyond = (d: number): boolean => d > floor && d / bp.missing > opts.tolerance;
  return {
    group,
    phase,
    metric: 'missing',
    base: bp.missing,
    next: np.missing,
    unit: '',
    change: bp.missing !== 0 ? rise / bp.missing : null,
    judged: true,
    rule: `rise >${pct(opts.tolerance)} & >${floor} (${pct(MIN_MISSING_SHARE)} of ${owed} owed)`,
    regression: beyond(rise),
    improved: beyond(-rise),
  };
}

function rateRow(group: GroupResult, phase: string, bp: PhaseResult, np: PhaseResult, opts: CompareOptions): CompareRow {
  const b = bp.deliveredPerClientPerSec;
  const n = np.deliveredPerClientPerSec;
  const common = {
    group: group.name,
    phase,
    metric: 'delivered/s' as const,
    base: b,
    next: n,
    unit: '/s' as const,
    change: b !== 0 ? (n - b) / b : null,
  };
  if (group.kind === 'slow')
    return {
      ...common,
      judged: false,
      rule: 'shown, not judged: a slow group reads at the pace its behaviour sets',
      regression: false,
      improved: false,
    };
  const beyond = (d: number): boolean => d > MIN_RATE_DROP && b > 0 && d / b > opts.tolerance;
  return {
    ...common,
    judged: true,
    rule: `drop >${pct(opts.tolerance)} & >${MIN_RATE_DROP}/s per client`,
    regression: beyond(b - n),
    improved: beyond(n - b),
  };
}

const VERDICT_FAILS = new Set(['hol', 'disconnect']);

function verdictRow(base: RunRecord, next: RunRecord): CompareRow {
  const b = base.hol.verdict;
  const n = next.hol.verdict;
  return {
    group: '',
    phase: '',
    metric: 'hol verdict',
    base: b,
    next: n,
    unit: '',
    change: null,
    judged: true,
    rule: 'none → hol or disconnect',
    regression: b === 'none' && VERDICT_FAILS.has(n),
    improved: VERDICT_FAILS.has(b) && n === 'none',
  };
}

/** Compares two records that are both results (check each with notAResult first). */
export function compareRecords(base: RunRecord, next: RunRecord, options: Partial<CompareOptions> = {}): Comparison {
  const opts: CompareOptions = { ...DEFAULT_COMPARE, ...options };
  const rows: CompareRow[] = [];
  const notes: string[] = [];
  if (base.scenario.name !== next.scenario.name) notes.push(`different scenarios: "${base.scenario.name}" vs "${next.scenario.name}"`);
  for (const [label, r] of [
    ['BASE', base],
    ['NEW', next],
  ] as const) {
    if (r.partial) notes.push(`${label} is a partial run (${r.partialReason ?? 'stopped early'})`);
  }
  const measured = new Set(base.phases.filter((p) => MEASURED_ROLES.includes(p.role)).map((p) => p.name));
  const inScope = (g: GroupResult, phase: string): boolean => opts.all || (g.kind === 'fast' && measured.has(phase));
  const skipped = new Set<string>();
  for (const bg of base.groups) {
    const ng = next.groups.find((g) => g.name === bg.name);
    for (const ph of base.phases) {
      const bp = bg.phases[ph.name];
      if (!bp || bp.clients === 0) continue;
      if (!inScope(bg, ph.name)) {
        skipped.add(bg.kind === 'fast' ? `phase ${ph.name}` : `group ${bg.name}`);
        continue;
      }
      const np = ng?.phases[ph.name];
      if (!np || np.clients === 0) {
        rows.push({
          group: bg.name,
          phase: ph.name,
          metric: 'present',
          base: 'yes',
          next: 'absent',
          unit: '',
          change: null,
          judged: true,
          rule: 'present in BASE',
          regression: true,
          improved: false,
        });
        continue;
      }
      if (bp.latencyUs.count > 0 || np.latencyUs.count > 0) {
        for (const l of LATENCY) rows.push(latencyRow(base, next, bg.name, ph.name, bp, np, l, opts));
      }
      rows.push(missingRow(bg.name, ph.name, bp, np, opts));
      if (bg.kind !== 'churn') rows.push(rateRow(bg, ph.name, bp, np, opts));
    }
  }
  for (const ng of next.groups) {
    if (!base.groups.some((g) => g.name === ng.name)) notes.push(`group "${ng.name}" is new in NEW (not compared)`);
  }
  rows.push(verdictRow(base, next));
  const scope = opts.all ? 'every group and phase (--all)' : `fast groups in the measured phases (${[...measured].join(', ') || 'none'})`;
  if (skipped.size) notes.push(`not compared (use --all): ${[...skipped].sort().join(', ')}`);
  return { rows, regressions: rows.filter((r) => r.regression), notes, scope };
}
