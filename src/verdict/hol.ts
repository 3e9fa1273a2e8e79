// The verdict: did slow clients delay the fast ones? Every rule is printed with its measured value
// and bound, so the verdict carries its own evidence. In order of precedence:
//   invalid    — the generator was the bottleneck, a worker failed, the run was cut short, or the
//                fast group has no baseline: not a result, never a pass;
//   disconnect — the server closed or refused fast clients (codes and reasons listed): a failure,
//                but not head-of-line blocking;
//   hol        — any HOL rule fired: the fast clients froze together (time above the run's floor,
//                per 10 ms, the generator's own lateness taken off); their p99 rose above the
//                floor for several seconds; they missed events; their delivery rate fell beyond
//                chance; one stalled;
//   inconclusive — nothing fired, but the run could not have seen blocking: the slow clients never
//                pushed back on the server (or nothing was replayed), the rules that could show
//                blocking could not judge (too short, too few events), or stress had one freeze that
//                does not stand out from the baseline's own worst: never a pass;
//   none       — the run tested the server and no rule fired.
import { DEFAULT_HOL_RULES, type HolRules } from '../scenario/types.js';
import { formatUs } from '../util/units.js';
import {
  noVerdict,
  type GroupResult,
  type HolEvidence,
  type HolFiguresJudged,
  type HolResult,
  type HolRuleId,
  type RunRecord,
} from '../record/schema.js';
import { noiseModel, type NoiseModel } from './noise.js';
import { hasClientsIn, isFast, phasesWithRole, select, windowOf } from './select.js';
import { CLOSE_SLOW_CLIENT } from '../protocol/v0.js';
import { describeFreezes, freezeView, type FreezePhase, type FreezeView } from './freeze.js';
import { fallPValue } from './counts.js';
import { testedBy, type Tested } from './tested.js';

/** stress ÷ baseline; null when the baseline is 0 (no ratio, and never an infinity in the record). */
const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 100) / 100 : null);
export const fmtRatio = (r: number | null): string => (r === null ? 'n/a' : `${r.toFixed(2)}×`);

/** A fall in delivery counts only when a count that low had under this chance at the baseline's rate. */
const DELIVERY_P = 0.001;
/** The generator's own lateness above the floor for this share of the measured time: its figures are not the server's. */
const LAG_OVER_FLOOR_SHARE = 0.2;

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
  const fires = (id: HolRuleId): boolean => fired.some((e) => e.id === id);
  if (fires('stall') && stress.maxStallUs >= BLOCKING_OVER_STRAIN * distortion) return `a ${formatUs(stress.maxStallUs)} stall`;
  if (fires('missing') && graceUs >= BLOCKING_OVER_STRAIN * distortion)
    return `${stress.missing} events still missing ${formatUs(graceUs)} after their phase`;
  if (fires('delivery') && deliveryRatio !== null && deliveryRatio < 0.5)
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
      if (c.frameFaults?.worker_budget_exceeded) continue; // the runner's own message budget failed it, not the server
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

export function analyseHol(record: RunRecord, rulesIn: HolRules): HolResult {
  const rules: Required<HolRules> = { ...DEFAULT_HOL_RULES, ...rulesIn } as Required<HolRules>;
  let invalid = invalidReason(record);
  const base = select(record, isFast, phasesWithRole(record, 'baseline'));
  const stress = select(record, isFast, phasesWithRole(record, 'stress'));
  const dropped = disconnects(record.groups);
  const disconnectRow: HolEvidence = {
    id: 'disconnect',
    rule: 'fast clients closed or refused by the server',
    measured:
      dropped.count === 0
        ? `0 of ${dropped.clients}`
        : `${dropped.count} of ${dropped.clients}${dropped.detail ? `: ${dropped.detail}` : ''}`,
    bound: '0',
    triggered: dropped.count > 0,
  };
  if (base.matched === 0 || stress.matched === 0) {
    if (invalid) return noVerdict('invalid', `NOT A RESULT: ${invalid}`);
    return noVerdict('unknown', 'no verdict: the scenario has no fast group in both a baseline and a stress phase');
  }
  if (base.latency.totalCount === 0) {
    if (invalid) return noVerdict('invalid', `NOT A RESULT: ${invalid}`, [disconnectRow]);
    if (dropped.count > 0)
      return noVerdict(
        'disconnect',
        `DISCONNECT: the server closed or refused ${dropped.count} of ${dropped.clients} fast clients before they had a baseline (${dropped.detail})`,
        [disconnectRow],
      );
    return noVerdict('invalid', 'NOT A RESULT: the fast group received nothing in baseline, so there is nothing to compare with', [
      disconnectRow,
    ]);
  }

  const bP99 = base.latency.getValueAtPercentile(99);
  // an empty histogram's percentiles are 0: a stress in which nothing arrived has a p99 of 0
  const sP99 = stress.latency.getValueAtPercentile(99);
  const index = ratio(sP99, bP99);
  const p50Index = ratio(stress.latency.getValueAtPercentile(50), base.latency.getValueAtPercentile(50));
  const stallIndex = ratio(stress.maxStallUs, base.maxStallUs);
  const bRate = base.clientSeconds > 0 ? base.arrived / base.clientSeconds : 0;
  const sRate = stress.clientSeconds > 0 ? stress.arrived / stress.clientSeconds : 0;
  const deliveryRatio = ratio(sRate, bRate);
  const fast = new Set(record.groups.filter(isFast).map((g) => g.name));
  const noise = noiseModel(record, fast, rules);
  const emitted = serverEmitted(record);
  const freeze = freezeView(record, { rules, fast, emittedRatePerSec: emitted ? bRate : undefined });
  const tested = testedBy(record, rules.sustainUs);
  const stallBound = Math.max(rules.maxStallUs, 2 * base.maxStallUs);
  const staleBound = Math.max(rules.maxStallUs, 3 * base.maxStalenessUs);
  if (!invalid && freeze && freeze.generatorOverFloorShare >= LAG_OVER_FLOOR_SHARE)
    invalid = `the load generator could not keep up: its own lateness exceeded the ${formatUs(freeze.floorUs)} floor ${Math.round(freeze.generatorOverFloorShare * 100)}% of the measured time (≥ ${LAG_OVER_FLOOR_SHARE * 100}%)`;
  const unknown = emitted ? unknownAfterAllLeft(record, bRate) : undefined;
  const delivery = deliveryRule(rules, deliveryRatio, bRate, sRate, stress.clientSeconds, record);
  // each figure is judged when the rule behind it could judge, and when it is a ratio at all
  const judged: HolFiguresJudged = {
    index: index !== null && p99Judged(noise),
    p50Index: p50Index !== null && p99Judged(noise),
    stallIndex: stallIndex !== null,
    deliveryRatio: deliveryRatio !== null && delivery.judged !== false,
  };

  const evidence: HolEvidence[] = [
    ...(freeze ? [freezeRule(freeze)] : []),
    p99Rule(rules, index, sP99, bP99, noise),
    {
      id: 'missing',
      rule: 'fast clients missed events in stress',
      measured: `${stress.missing} missing of ${stress.delivered + stress.missing}${unknown ? `; ${unknown}` : ''}`,
      bound: '0',
      triggered: stress.missing > 0,
    },
    delivery,
    {
      // the age of the oldest owed, undelivered event: a quiet stream is never a stall
      id: 'stall',
      rule: `fast max stall in stress ≥ ${formatUs(rules.maxStallUs)} and ≥ 2× baseline`,
      measured: `${formatUs(stress.maxStallUs)} (baseline ${formatUs(base.maxStallUs)})`,
      bound: formatUs(stallBound),
      triggered: stress.maxStallUs >= stallBound,
    },
    // records without age series: a server stuck behind a slow client may stop emitting altogether,
    // and the newest event a fast client has grows old (the freeze rule sees this in time)
    ...(freeze
      ? []
      : [
          {
            id: 'staleness' as const,
            rule: `fast staleness at the end of stress ≥ ${formatUs(rules.maxStallUs)} and ≥ 3× baseline`,
            measured: `${formatUs(stress.maxStalenessUs)} (baseline ${formatUs(base.maxStalenessUs)})`,
            bound: formatUs(staleBound),
            triggered: stress.maxStalenessUs >= staleBound,
          },
        ]),
    testedRow(tested),
  ];
  const fired = evidence.filter((e) => e.triggered);
  const all = [disconnectRow, ...evidence];
  const resolutionUs = freeze?.judged ? freeze.countFromUs : noise.baselineP99s.length >= 2 ? noise.floorUs : undefined;
  const figures = {
    index,
    p50Index,
    stallIndex,
    deliveryRatio,
    judged,
    noise: noiseSummary(noise),
    ...(freeze ? { freezes: freezeSummary(freeze) } : {}),
    tested,
    ...(resolutionUs !== undefined ? { resolutionUs } : {}),
  };
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
      summary: `DISCONNECT: the server closed or refused ${dropped.count} of ${dropped.clients} fast clients (${dropped.detail}) — a failure, but not head-of-line blocking.${alsoHol}${unknown ? ` Missing: ${unknown}.` : ''}`,
    };
  }
  if (fired.length > 0) {
    const slowPresent = record.groups.some(
      (g) => (g.kind === 'slow' || g.kind === 'catchup' || g.kind === 'churn') && hasClientsIn(record, g, 'stress'),
    );
    const who = slowPresent ? 'slow clients delayed the fast ones' : 'fast clients were delayed or starved in stress';
    const how = freeze?.triggered ? (freeze.sustained ? ' (sustained)' : ' (transient)') : '';
    return { verdict: 'hol', ...figures, evidence: all, summary: `HEAD-OF-LINE BLOCKING${how}: ${who} (${names(fired)})` };
  }
  return quietVerdict({ ...figures, evidence: all }, tested, freeze, noise, delivery);
}

/**
 * No rule fired: `none` only when the run tested the server, a rule that sees blocking in time could
 * judge it, and no freeze was left unexplained; otherwise `inconclusive`, with why.
 */
function quietVerdict(
  result: Omit<HolResult, 'verdict' | 'summary'>,
  tested: Tested,
  freeze: FreezeView | undefined,
  noise: NoiseModel,
  delivery: HolEvidence,
): HolResult {
  if (tested.tested !== true) {
    return {
      verdict: 'inconclusive',
      ...result,
      summary: `INCONCLUSIVE: no rule fired, but the run could not have seen blocking — ${tested.detail}`,
    };
  }
  const unjudged = [
    freeze ? (freeze.judged ? undefined : `freezes: ${freeze.notJudged}`) : 'freezes: no age series',
    p99Judged(noise) ? undefined : 'p99: too few whole seconds',
  ].filter((x): x is string => x !== undefined);
  if (unjudged.length === 2) {
    return {
      verdict: 'inconclusive',
      ...result,
      summary: `INCONCLUSIVE: no rule fired, but the rules that see blocking in time could not judge this run (${unjudged.join('; ')})`,
    };
  }
  if (freeze?.judged && freeze.lone) {
    return { verdict: 'inconclusive', ...result, summary: `INCONCLUSIVE: no rule fired, but ${freeze.lone}` };
  }
  // only the figures of rules that judged: a figure of a rule that could not judge is no check that held
  const figures = [
    freeze?.judged
      ? `frozen together in stress: ${describeFreezes(freeze.stress)}, baseline: ${describeFreezes(freeze.baseline)} (a freeze from ${formatUs(freeze.countFromUs)} would show)`
      : `freezes: not judged (${freeze ? freeze.notJudged : 'no age series'})`,
    p99Judged(noise)
      ? `${noise.elevatedSeconds} of ${noise.stressP99s.length} stress seconds above the p99 floor ${formatUs(noise.floorUs)}`
      : `p99: not judged (${noise.baselineP99s.length} whole seconds of baseline, ${noise.stressP99s.length} of stress)`,
    delivery.judged === false ? 'delivery: not judged (too few events)' : `delivery ${fmtRatio(result.deliveryRatio)}`,
    'nothing missed',
  ];
  return {
    verdict: 'none',
    ...result,
    summary: `no head-of-line blocking: the server was tested (${tested.detail}) and fast clients kept their baseline: ${figures.join(', ')}`,
  };
}

/** A stream the server emits on its own: which events exist is learned from what arrives. */
function serverEmitted(record: RunRecord): boolean {
  const t = record.scenario.spec?.target;
  return t?.kind === 'url' && t.generic?.publish.kind === 'server';
}

/**
 * Unknown is not zero: once every fast client has been closed, what a server-emitted stream carried
 * meanwhile is unknown. Estimated from its baseline rate, and labelled so.
 */
function unknownAfterAllLeft(record: RunRecord, ratePerClientSec: number): string | undefined {
  const stress = windowOf(record, 'stress');
  if (!stress) return undefined;
  const { endUs } = stress;
  const clients = record.groups.filter(isFast).flatMap((g) => g.clientResults ?? []);
  if (clients.length === 0 || clients.some((c) => c.closedAtUs === undefined || c.closedAtUs >= endUs)) return undefined;
  const lastUs = Math.max(...clients.map((c) => c.closedAtUs!));
  // none at all at a baseline rate of 0, or for a gap too short to miss one
  const perClient = Math.round((ratePerClientSec * (endUs - lastUs)) / 1e6);
  if (perClient <= 0) return undefined;
  return `unknown after every fast client was closed (${formatUs(lastUs)}): ≈${perClient} events each (${perClient * clients.length} in all), estimated from the stream's baseline rate`;
}

function testedRow(t: Tested): HolEvidence {
  return {
    id: 'tested',
    rule: 'the run tested the server (a slow client pushed back, a backlog was replayed, or churn connected, in stress)',
    measured: t.detail,
    bound:
      'yes: a slow reader before the last hol.sustain of stress; a catch-up client that connected in stress and was replayed a backlog; churn that connected in stress',
    triggered: false,
    informational: true,
  };
}

function freezeRule(f: FreezeView): HolEvidence {
  const rule = `fast clients frozen together in stress (every one of ${f.clients} tracked, above the ${formatUs(f.floorUs)} floor; a freeze counts from ${formatUs(f.countFromUs)})`;
  const share = (p: FreezePhase): string => (p.measuredUs > 0 ? `${Math.round((p.aboveFloorUs / p.measuredUs) * 100)}%` : 'n/a');
  const measured =
    `stress: ${describeFreezes(f.stress)}, above the floor ${share(f.stress)} of the time, median shared age ${formatUs(f.stress.medianUs)}; ` +
    `baseline: ${describeFreezes(f.baseline)}, ${share(f.baseline)}, median ${formatUs(f.baseline.medianUs)}`;
  const bound =
    "2 or more freezes over 2× the baseline's share, or one ≥ 1.5× the baseline's worst shared age; or above the floor ≥ 25% of stress and ≥ 3× baseline's; or a median shared age ≥ indexLimit × baseline's and ≥ its + minDelta";
  if (!f.judged) return { id: 'freeze', rule: `${rule} (not judged: ${f.notJudged})`, measured, bound, triggered: false, judged: false };
  return {
    id: 'freeze',
    rule,
    measured: f.triggered ? `${measured} — ${f.sustained ? 'sustained' : 'transient'}` : f.lone ? `${measured} — ${f.lone}` : measured,
    bound,
    triggered: f.triggered,
  };
}

function freezeSummary(f: FreezeView): NonNullable<HolResult['freezes']> {
  const phase = (p: FreezePhase) => ({
    measuredUs: p.measuredUs,
    aboveFloorUs: p.aboveFloorUs,
    frozenUs: p.frozenUs,
    worstUs: p.worstUs,
    freezes: p.freezes.slice(0, 50),
    count: p.freezes.length,
    medianUs: p.medianUs,
  });
  return {
    floorUs: f.floorUs,
    countFromUs: f.countFromUs,
    clients: f.clients,
    baseline: phase(f.baseline),
    stress: phase(f.stress),
    sustained: f.sustained,
  };
}

/**
 * Delivery fell: stress ÷ baseline below the bound, and a count that low is unlikely at the
 * baseline's rate (Poisson counts compared conditionally, per client: every fast client reads the
 * same stream, so their counts are not independent samples). A few events a second cannot carry it.
 */
function deliveryRule(
  rules: Required<HolRules>,
  deliveryRatio: number | null,
  bRate: number,
  sRate: number,
  stressClientSeconds: number,
  record: RunRecord,
): HolEvidence {
  const seconds = (role: string): number => windowOf(record, role)?.seconds ?? 0;
  const tb = seconds('baseline');
  const ts = seconds('stress');
  const nb = bRate * tb;
  const ns = sRate * ts;
  const p = fallPValue(nb, tb, ns, ts);
  // no fast client-seconds in baseline is a rate of 0, which no fall can be seen from; none in stress
  // is no rate at all (it would read as a fall to 0)
  const canSee = fallPValue(nb, tb, 0, ts) < DELIVERY_P && stressClientSeconds > 0;
  const measured = `${fmtRatio(deliveryRatio)} (${sRate.toFixed(1)} vs ${bRate.toFixed(1)} events/s per client; chance of so few at the baseline's rate ${p < 1e-6 ? '< 1e-6' : p.toPrecision(2)})`;
  const rule = `fast delivery rate stress ÷ baseline < ${rules.minDeliveryRatio}, beyond chance (p < ${DELIVERY_P})`;
  if (!canSee)
    return {
      id: 'delivery',
      rule: `${rule} (not judged: too few events — ${Math.round(nb)} per client in baseline)`,
      measured,
      bound: `${rules.minDeliveryRatio}×`,
      triggered: false,
      judged: false,
    };
  return {
    id: 'delivery',
    rule,
    measured,
    bound: `${rules.minDeliveryRatio}×`,
    triggered: deliveryRatio !== null && deliveryRatio < rules.minDeliveryRatio && p < DELIVERY_P,
  };
}

function p99Judged(noise: NoiseModel): boolean {
  return noise.baselineP99s.length >= 2 && noise.stressP99s.length >= noise.neededSeconds;
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
  const measured = `${fmtRatio(index)} (${formatUs(sP99)} vs ${formatUs(bP99)})`;
  if (!p99Judged(noise)) {
    // one or two seconds of data cannot tell a sustained rise from noise: the other rules still judge
    return {
      id: 'p99',
      rule: `fast p99 above the noise floor for ≥ ${noise.neededSeconds}s of stress (not judged: ${noise.baselineP99s.length} whole seconds of baseline, ${noise.stressP99s.length} of stress)`,
      measured,
      bound: `${rules.indexLimit}×`,
      triggered: false,
      judged: false,
    };
  }
  return {
    id: 'p99',
    rule: `fast p99 above the noise floor (≥ ${rules.indexLimit}× the baseline's typical second) for ≥ ${noise.neededSeconds}s of stress`,
    measured: `${noise.elevatedSeconds} of ${noise.stressP99s.length} stress seconds above ${formatUs(noise.floorUs)}; whole phase ${measured}`,
    bound: `${noise.neededSeconds}s above ${formatUs(noise.floorUs)} (${noise.floorFrom})`,
    // an elevated second is already above indexLimit × the baseline's median second: the whole-phase
    // index is shown, not required (one hiccup in baseline inflates its p99 and would hide a real rise)
    triggered: noise.elevatedSeconds >= noise.neededSeconds,
  };
}
