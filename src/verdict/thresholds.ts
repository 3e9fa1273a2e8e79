// Evaluates thresholds against a run record, once, in one place: every outcome carries the
// measured value beside the bound. Untagged selections cover all groups and every phase but warmup.
import type { RunRecord, ThresholdOutcome } from '../record/schema.js';
import { phasesWithRole, select } from './select.js';
import { formatUs } from '../util/units.js';
import { parseThresholds, type Threshold } from '../scenario/thresholdGrammar.js';

/** Which figure of the verdict each `hol` aggregation reads. */
const HOL_FIGURE = { index: 'index', p50index: 'p50Index', stallIndex: 'stallIndex', deliveryRatio: 'deliveryRatio' } as const;

/** Why the verdict could not judge a figure, as a threshold on it says. */
function holNotJudged(record: RunRecord, figure: (typeof HOL_FIGURE)[keyof typeof HOL_FIGURE]): string | undefined {
  if (record.hol.judged?.[figure] !== false) return undefined;
  if (record.hol[figure] === null) return 'not judged: the baseline value is 0, so there is no ratio';
  if (figure === 'deliveryRatio') return 'not judged: too few events for a ratio to mean anything';
  return 'not judged: too few whole seconds of baseline or stress for the p99 rule';
}

function measure(record: RunRecord, t: Threshold): { value: number | null; unit: string; notJudged?: string } {
  const { metric, tags } = t.key;
  if (metric === 'hol') {
    const figure = HOL_FIGURE[t.aggregation as keyof typeof HOL_FIGURE];
    const notJudged = holNotJudged(record, figure);
    return { value: record.hol[figure] ?? null, unit: '×', ...(notJudged ? { notJudged } : {}) };
  }
  if (metric === 'generator') {
    const g = record.generator;
    if (t.aggregation === 'bound') return { value: g.bound ? 1 : 0, unit: 'bool' };
    if (t.aggregation === 'cpuPercent') return { value: g.cpuPercent, unit: '%' };
    return { value: g.eventLoopDelayP99Us, unit: 'µs' };
  }
  const warmup = phasesWithRole(record, 'warmup');
  const sel = select(
    record,
    (g) => tags.group === undefined || g.name === tags.group,
    (p) => (tags.phase === undefined ? !warmup(p) : p === tags.phase),
  );
  if (sel.matched === 0) return { value: null, unit: '' };
  switch (metric) {
    case 'latency':
    case 'uncorrected': {
      const h = metric === 'latency' ? sel.latency : sel.uncorrected;
      if (t.aggregation === 'count') return { value: h.totalCount, unit: '' };
      if (h.totalCount === 0) return { value: null, unit: 'µs' };
      if (t.percentile !== undefined) return { value: h.getValueAtPercentile(t.percentile), unit: 'µs' };
      const v = { max: h.maxValue, min: h.getValueAtPercentile(0), mean: Math.round(h.mean) }[t.aggregation as 'max'];
      return { value: v, unit: 'µs' };
    }
    case 'missing':
      if (t.aggregation === 'rate')
        return { value: sel.delivered + sel.missing > 0 ? sel.missing / (sel.delivered + sel.missing) : 0, unit: '' };
      return { value: sel.missing, unit: '' };
    case 'delivered':
      if (t.aggregation === 'rate') return { value: sel.clientSeconds > 0 ? sel.arrived / sel.clientSeconds : 0, unit: '/s' };
      return { value: sel.delivered, unit: '' };
    case 'duplicates':
      return { value: sel.duplicates, unit: '' };
    case 'outOfOrder':
      return { value: sel.outOfOrder, unit: '' };
    case 'stall':
      return { value: sel.maxStallUs, unit: 'µs' };
  }
}

function compare(a: number, op: Threshold['operator'], b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** A measured value or bound as people read it, in the outcome's unit (µs values as 850µs, 12.3ms, …). */
export const formatMeasure = (v: number, unit: string): string =>
  unit === 'µs' ? formatUs(v) : unit === 'bool' ? String(v === 1) : `${Math.round(v * 1000) / 1000}${unit}`;

export function evaluateThresholds(record: RunRecord, thresholds: Record<string, string[]>): ThresholdOutcome[] {
  const out: ThresholdOutcome[] = [];
  for (const [key, exprs] of Object.entries(thresholds)) {
    for (const t of parseThresholds(key, exprs)) {
      const { value, unit, notJudged } = measure(record, t);
      const passed = value !== null && notJudged === undefined && compare(value, t.operator, t.bound);
      const message =
        value === null
          ? `${t.source}: no data (${notJudged ?? `nothing matched ${key}`})`
          : `${t.source}: measured ${formatMeasure(value, unit)} ${compare(value, t.operator, t.bound) ? 'within' : 'against'} bound ${t.operator} ${formatMeasure(t.bound, unit)}${notJudged ? ` (${notJudged})` : ''}`;
      out.push({
        threshold: t.source,
        measured: value,
        operator: t.operator,
        bound: t.bound,
        unit,
        passed,
        ...(notJudged ? { judged: false } : {}),
        message,
      });
    }
  }
  return out;
}
