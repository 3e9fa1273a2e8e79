// The HOL verdict: do slow clients delay the fast ones? Each rule is printed with its measured
// value and bound, so the verdict carries its own evidence. Rules (any one triggers `hol`):
//   fast p99 stress ÷ baseline ≥ indexLimit (and the rise exceeds a noise floor);
//   fast clients missed events in stress; fast delivery rate stress ÷ baseline < minDeliveryRatio;
//   a fast client stalled in stress for ≥ maxStall.
import type { HolRules } from '../scenario/types.js';
import { formatUs } from '../scenario/units.js';
import type { HolEvidence, HolResult, RunRecord } from '../runner/record.js';
import { isFast, phasesWithRole, select } from './select.js';

const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 100) / 100 : a > 0 ? Infinity : null);
const fmtRatio = (r: number | null): string => (r === null ? 'n/a' : r === Infinity ? '∞' : `${r.toFixed(2)}×`);

export function analyseHol(record: RunRecord, rules: HolRules): HolResult {
  const base = select(record, isFast, phasesWithRole(record, 'baseline'));
  const stress = select(record, isFast, phasesWithRole(record, 'stress'));
  if (base.matched === 0 || stress.matched === 0 || base.latency.totalCount === 0) {
    return {
      verdict: 'unknown', index: null, p50Index: null, stallIndex: null, deliveryRatio: null, evidence: [],
      summary: 'no verdict: the fast group has no baseline to compare with',
    };
  }
  const bP99 = base.latency.getValueAtPercentile(99);
  const sP99 = stress.latency.totalCount ? stress.latency.getValueAtPercentile(99) : 0;
  const index = ratio(sP99, bP99);
  const p50Index = ratio(stress.latency.totalCount ? stress.latency.getValueAtPercentile(50) : 0, base.latency.getValueAtPercentile(50));
  const stallIndex = ratio(stress.maxStallUs, base.maxStallUs);
  const bRate = base.clientSeconds > 0 ? base.arrived / base.clientSeconds : 0;
  const sRate = stress.clientSeconds > 0 ? stress.arrived / stress.clientSeconds : 0;
  const deliveryRatio = ratio(sRate, bRate);

  const evidence: HolEvidence[] = [
    {
      rule: `fast p99 stress ÷ baseline ≥ ${rules.indexLimit} (and rise ≥ ${formatUs(rules.minDeltaUs)})`,
      measured: `${fmtRatio(index)} (${formatUs(sP99)} vs ${formatUs(bP99)})`,
      bound: `${rules.indexLimit}×`,
      triggered: index !== null && index >= rules.indexLimit && sP99 - bP99 >= rules.minDeltaUs,
    },
    {
      rule: 'fast clients missed events in stress',
      measured: `${stress.missing} missing of ${stress.delivered + stress.missing}`,
      bound: '0',
      triggered: stress.missing > 0,
    },
    {
      rule: `fast delivery rate stress ÷ baseline < ${rules.minDeliveryRatio}`,
      measured: `${fmtRatio(deliveryRatio)} (${sRate.toFixed(1)} vs ${bRate.toFixed(1)} events/s per client)`,
      bound: `${rules.minDeliveryRatio}×`,
      triggered: deliveryRatio !== null && deliveryRatio < rules.minDeliveryRatio,
    },
    {
      rule: `fast max stall in stress ≥ ${formatUs(rules.maxStallUs)}`,
      measured: `${formatUs(stress.maxStallUs)} (baseline ${formatUs(base.maxStallUs)})`,
      bound: formatUs(rules.maxStallUs),
      triggered: stress.maxStallUs >= rules.maxStallUs,
    },
    {
      // a server stuck behind a slow client may stop emitting altogether: nothing is "missing" then,
      // but the newest event a fast client has grows old
      rule: `fast staleness at the end of stress ≥ ${formatUs(rules.maxStallUs)} and ≥ 3× baseline`,
      measured: `${formatUs(stress.maxStalenessUs)} (baseline ${formatUs(base.maxStalenessUs)})`,
      bound: formatUs(Math.max(rules.maxStallUs, 3 * base.maxStalenessUs)),
      triggered: stress.maxStalenessUs >= Math.max(rules.maxStallUs, 3 * base.maxStalenessUs),
    },
  ];
  const fired = evidence.filter((e) => e.triggered);
  const verdict = fired.length > 0 ? 'hol' : 'none';
  const summary =
    verdict === 'hol'
      ? `HEAD-OF-LINE BLOCKING: slow clients delayed the fast ones (${fired.map((e) => e.rule.split(' (')[0]).join('; ')})`
      : `no head-of-line blocking: fast clients kept their baseline (p99 ${fmtRatio(index)}, delivery ${fmtRatio(deliveryRatio)}, nothing missed)`;
  return { verdict, index, p50Index, stallIndex, deliveryRatio, evidence, summary };
}
