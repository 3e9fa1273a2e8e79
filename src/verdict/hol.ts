// The verdict: did slow clients delay the fast ones? Every rule is printed with its measured value
// and bound, so the verdict carries its own evidence. In order of precedence:
//   invalid    — the generator was the bottleneck, a worker failed, the run was cut short, or the
//                fast group has no baseline: not a result, never a pass;
//   disconnect — the server closed or refused fast clients (codes and reasons listed): a failure,
//                but not head-of-line blocking;
//   hol        — any HOL rule fired: fast p99 rose above the run's own noise floor for several
//                seconds; fast clients missed events; their delivery rate fell; one stalled;
//                their newest event grew stale;
//   none       — otherwise.
import type { HolRules } from '../scenario/types.js';
import { formatUs } from '../util/units.js';
import type { GroupResult, HolEvidence, HolResult, RunRecord, Verdict } from '../record/schema.js';
import { noiseModel, type NoiseModel } from './noise.js';
import { isFast, phasesWithRole, select } from './select.js';
import { CLOSE_SLOW_CLIENT } from '../protocol/v0.js';

const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 100) / 100 : a > 0 ? Infinity : null);
export const fmtRatio = (r: number | null): string => (r === null ? 'n/a' : r === Infinity ? '∞' : `${r.toFixed(2)}×`);

/** The defaults a scenario gets (scenario/validate.ts applies them). */
export const DEFAULT_HOL_RULES: HolRules = {
  indexLimit: 3,
  minDeltaUs: 5_000,
  minDeliveryRatio: 0.9,
  maxStallUs: 1_000_000,
  sustainUs: 3_000_000,
};

/** Why the run is not a result, or undefined. */
export function invalidReason(record: RunRecord): string | undefined {
  if (record.invalid) return record.invalidReason ?? 'a runner worker failed';
  if (record.generator?.bound) return `the load generator, not the server, was the bottleneck (${record.generator.reasons.join('; ')})`;
  if (record.partial) return `the run was cut short (${record.partialReason ?? 'partial'})`;
  return undefined;
}

/** A strained generator distorts latency by about this much (its worst loop delay or publisher lateness). */
const BLOCKING_OVER_STRAIN = 20;

/**
 * A generator that was strained but not saturated (its threads were delayed, not busy) may still
 * have measured blocking far beyond anything its own delay can cause: a stall or a grace period
 * 20× its delay, or fast clients getting less than half their events. That evidence stands; the
 * rest of a strained run is not a result.
 */
function robustUnderStrain(
  record: RunRecord,
  fired: HolEvidence[],
  stress: { maxStallUs: number; missing: number },
  deliveryRatio: number | null,
): string | undefined {
  const g = record.generator;
  if (!g?.bound || record.invalid || record.partial || g.eventLoopUtilization >= 0.9) return undefined;
  const distortion = Math.max(g.eventLoopDelayP99Us, g.publisher.latenessP99Us);
  const graceUs = record.scenario.spec?.graceUs ?? 1_000_000;
  const fires = (prefix: string): boolean => fired.some((e) => e.rule.startsWith(prefix));
  if (fires('fast max stall') && stress.maxStallUs >= BLOCKING_OVER_STRAIN * distortion) return `a ${formatUs(stress.maxStallUs)} stall`;
  if (fires('fast clients missed') && graceUs >= BLOCKING_OVER_STRAIN * distortion)
    return `${stress.missing} events still missing ${formatUs(graceUs)} after their phase`;
  if (fires('fast delivery rate') && deliveryRatio !== null && deliveryRatio < 0.5)
    return `fast clients getting ${fmtRatio(deliveryRatio)} of their baseline rate`;
  return undefined;
}

/** Fast clients the server closed or refused, as one line: "2 of 10 clients: closed 1013 "try again" ×2". */
export function disconnects(groups: GroupResult[]): { count: number; clients: number; detail: string; deliberate: number } {
  const fast = groups.filter(isFast);
  const clients = fast.reduce((a, g) => a + g.clients, 0);
  const kinds = new Map<string, number>();
  let count = 0;
  // the server's own decision, which no strain on the generator can cause: a close with a code of its
  // choosing other than "slow client" (a starved reader is slow), or a refused subscription
  let deliberate = 0;
  for (const g of fast) {
    for (const c of g.clientResults ?? []) {
      if (c.refused === undefined && c.closedByServer === null) continue;
      count++;
      if (c.refused === 'subscribe' || (c.refused === undefined && c.closedByServer !== CLOSE_SLOW_CLIENT && c.closedByServer !== 1006))
        deliberate++;
      const what =
        c.refused === 'connect' ? 'connect failed' : c.refused === 'subscribe' ? 'subscription refused' : `closed ${c.closedByServer}`;
      const key = `${what}${c.closeReason ? ` "${c.closeReason}"` : ''}`;
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
    }
  }
  if (count === 0) {
    // a merged or older record without per-client results: the counters still tell
    for (const g of fast) {
      for (const p of Object.values(g.phases)) count += p.slowCloses + (p.serverCloses ?? 0) + p.connectErrors + (p.subscribeRefusals ?? 0);
    }
  }
  const detail = [...kinds].map(([k, n]) => `${k} ×${n}`).join(', ');
  return { count, clients, detail, deliberate };
}

function noResult(verdict: Verdict, summary: string, evidence: HolEvidence[] = []): HolResult {
  return { verdict, index: null, p50Index: null, stallIndex: null, deliveryRatio: null, evidence, summary };
}

export function analyseHol(record: RunRecord, rulesIn: HolRules): HolResult {
  const rules = { ...DEFAULT_HOL_RULES, ...rulesIn };
  const invalid = invalidReason(record);
  const base = select(record, isFast, phasesWithRole(record, 'baseline'));
  const stress = select(record, isFast, phasesWithRole(record, 'stress'));
  const dropped = disconnects(record.groups);
  const disconnectRow: HolEvidence = {
    rule: 'fast clients closed or refused by the server',
    measured:
      dropped.count === 0
        ? `0 of ${dropped.clients}`
        : `${dropped.count} of ${dropped.clients}${dropped.detail ? `: ${dropped.detail}` : ''}`,
    bound: '0',
    triggered: dropped.count > 0,
  };
  if (base.matched === 0 || stress.matched === 0) {
    if (invalid) return noResult('invalid', `NOT A RESULT: ${invalid}`);
    return noResult('unknown', 'no verdict: the scenario has no fast group in both a baseline and a stress phase');
  }
  if (base.latency.totalCount === 0) {
    if (invalid) return noResult('invalid', `NOT A RESULT: ${invalid}`, [disconnectRow]);
    if (dropped.count > 0)
      return noResult(
        'disconnect',
        `DISCONNECT: the server closed or refused ${dropped.count} of ${dropped.clients} fast clients before they had a baseline (${dropped.detail})`,
        [disconnectRow],
      );
    return noResult('invalid', 'NOT A RESULT: the fast group received nothing in baseline, so there is nothing to compare with', [
      disconnectRow,
    ]);
  }

  const bP99 = base.latency.getValueAtPercentile(99);
  const sP99 = stress.latency.totalCount ? stress.latency.getValueAtPercentile(99) : 0;
  const index = ratio(sP99, bP99);
  const p50Index = ratio(stress.latency.totalCount ? stress.latency.getValueAtPercentile(50) : 0, base.latency.getValueAtPercentile(50));
  const stallIndex = ratio(stress.maxStallUs, base.maxStallUs);
  const bRate = base.clientSeconds > 0 ? base.arrived / base.clientSeconds : 0;
  const sRate = stress.clientSeconds > 0 ? stress.arrived / stress.clientSeconds : 0;
  const deliveryRatio = ratio(sRate, bRate);
  const noise = noiseModel(record, new Set(record.groups.filter(isFast).map((g) => g.name)), rules);
  const stallBound = Math.max(rules.maxStallUs, 2 * base.maxStallUs);
  const staleBound = Math.max(rules.maxStallUs, 3 * base.maxStalenessUs);

  const evidence: HolEvidence[] = [
    p99Rule(rules, index, sP99, bP99, noise),
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
      // the age of the oldest owed, undelivered event: a quiet stream is never a stall
      rule: `fast max stall in stress ≥ ${formatUs(rules.maxStallUs)} and ≥ 2× baseline`,
      measured: `${formatUs(stress.maxStallUs)} (baseline ${formatUs(base.maxStallUs)})`,
      bound: formatUs(stallBound),
      triggered: stress.maxStallUs >= stallBound,
    },
    {
      // a server stuck behind a slow client may stop emitting altogether: nothing is "missing"
      // then, but the newest event a fast client has grows old
      rule: `fast staleness at the end of stress ≥ ${formatUs(rules.maxStallUs)} and ≥ 3× baseline`,
      measured: `${formatUs(stress.maxStalenessUs)} (baseline ${formatUs(base.maxStalenessUs)})`,
      bound: formatUs(staleBound),
      triggered: stress.maxStalenessUs >= staleBound,
    },
  ];
  const fired = evidence.filter((e) => e.triggered);
  const all = [disconnectRow, ...evidence];
  const figures = { index, p50Index, stallIndex, deliveryRatio, noise: noiseSummary(noise) };
  const strainedOnly = invalid !== undefined && !record.invalid && !record.partial;
  if (strainedOnly && dropped.deliberate > 0) {
    return {
      verdict: 'disconnect',
      ...figures,
      evidence: all,
      summary: `DISCONNECT despite a strained generator: the server closed or refused ${dropped.count} of ${dropped.clients} fast clients (${dropped.detail}) — its own decision, not the generator's doing; a failure, but not head-of-line blocking.`,
    };
  }
  const robust = invalid && dropped.count === 0 ? robustUnderStrain(record, fired, stress, deliveryRatio) : undefined;
  if (robust) {
    const g = record.generator;
    return {
      verdict: 'hol',
      ...figures,
      evidence: all,
      summary: `HEAD-OF-LINE BLOCKING despite a strained generator: ${robust} is ≥ ${BLOCKING_OVER_STRAIN}× anything its ${formatUs(Math.max(g.eventLoopDelayP99Us, g.publisher.latenessP99Us))} delay can cause (${names(fired)})`,
    };
  }
  if (invalid) return { verdict: 'invalid', ...figures, evidence: all, summary: `NOT A RESULT: ${invalid}` };
  if (dropped.count > 0) {
    const alsoHol =
      fired.length > 0
        ? ` The HOL rules fired too (${names(fired)}), but events owed to the dropped clients count there: fix the disconnects first.`
        : '';
    return {
      verdict: 'disconnect',
      ...figures,
      evidence: all,
      summary: `DISCONNECT: the server closed or refused ${dropped.count} of ${dropped.clients} fast clients (${dropped.detail}) — a failure, but not head-of-line blocking.${alsoHol}`,
    };
  }
  if (fired.length > 0) {
    const slowPresent = record.groups.some(
      (g) =>
        (g.kind === 'slow' || g.kind === 'catchup' || g.kind === 'churn') &&
        Object.entries(g.phases).some(([name, p]) => p.clients > 0 && record.phases.find((x) => x.name === name)?.role === 'stress'),
    );
    const who = slowPresent ? 'slow clients delayed the fast ones' : 'fast clients were delayed or starved in stress';
    return { verdict: 'hol', ...figures, evidence: all, summary: `HEAD-OF-LINE BLOCKING: ${who} (${names(fired)})` };
  }
  return {
    verdict: 'none',
    ...figures,
    evidence: all,
    summary: `no head-of-line blocking: fast clients kept their baseline (p99 ${fmtRatio(index)}, ${noise.elevatedSeconds} of ${noise.stressP99s.length} stress seconds above the noise floor ${formatUs(noise.floorUs)}, delivery ${fmtRatio(deliveryRatio)}, nothing missed)`,
  };
}

function names(fired: HolEvidence[]): string {
  return fired.map((e) => e.rule.split(' (')[0]).join('; ');
}

function noiseSummary(n: NoiseModel): NonNullable<HolResult['noise']> {
  return {
    floorUs: n.floorUs,
    floorFrom: n.floorFrom,
    baselineMedianP99Us: n.baselineMedianUs,
    baselineMaxP99Us: n.baselineMaxUs,
    loopDelayP99Us: n.loopDelayUs,
    elevatedSeconds: n.elevatedSeconds,
    stressSeconds: n.stressP99s.length,
    neededSeconds: n.neededSeconds,
  };
}

/**
 * Fast p99 rose: stress ÷ baseline reaches the index limit, and the rise lasted — hol.sustain worth
 * of whole stress seconds had a p99 above the run's own noise floor.
 */
function p99Rule(rules: Required<HolRules>, index: number | null, sP99: number, bP99: number, noise: NoiseModel): HolEvidence {
  // hol.minDelta acts through the floor (at least the baseline median + minDelta)
  const risen = index !== null && index >= rules.indexLimit;
  const measured = `${fmtRatio(index)} (${formatUs(sP99)} vs ${formatUs(bP99)})`;
  if (noise.baselineP99s.length < 2 || noise.stressP99s.length < noise.neededSeconds) {
    // one or two seconds of data cannot tell a sustained rise from noise: the other rules still judge
    return {
      rule: `fast p99 stress ÷ baseline ≥ ${rules.indexLimit}, sustained for ≥ ${noise.neededSeconds}s (not judged: ${noise.baselineP99s.length} whole seconds of baseline, ${noise.stressP99s.length} of stress)`,
      measured,
      bound: `${rules.indexLimit}×`,
      triggered: false,
    };
  }
  return {
    rule: `fast p99 stress ÷ baseline ≥ ${rules.indexLimit}, sustained above the noise floor for ≥ ${noise.neededSeconds}s`,
    measured: `${measured}; ${noise.elevatedSeconds} of ${noise.stressP99s.length} stress seconds above ${formatUs(noise.floorUs)}`,
    bound: `${rules.indexLimit}× and ${noise.neededSeconds}s above ${formatUs(noise.floorUs)} (${noise.floorFrom})`,
    triggered: risen && noise.elevatedSeconds >= noise.neededSeconds,
  };
}
