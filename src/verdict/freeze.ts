// Freezes: how long the fast clients were frozen together, judged in time, not whole seconds. Each
// tracked fast client's age is sampled every 10 ms (measurement/ageTicks.ts); at each tick the
// youngest of them is how long *every* fast client had been waiting — what one shared queue does
// to all of them at once. The generator's own lateness at that tick is taken off, so a pause of the
// runner is never counted as the server's. A tick is frozen when that age is above the run's floor
// (robust statistics over the baseline's per-second maxima, so one bad second cannot switch
// detection off); a run of frozen ticks is a freeze, and it counts once its peak is a real stall.
import type { HolRules } from '../scenario/types.js';
import type { RunRecord } from '../record/schema.js';
import { NO_CLIENT, TICK_US } from '../util/ticksCodec.js';
import { decodeAges, decodeLag, maxTicksOf } from '../record/tickSeries.js';
import { formatUs } from '../util/units.js';
import { median } from './noise.js';
import { phasesOf } from './select.js';

export interface Freeze {
  /** µs since t0. */
  startUs: number;
  durationUs: number;
  /** The fast clients' shared age at its worst, the generator's lateness taken off. */
  peakUs: number;
}

export interface FreezePhase {
  /** Measured time: ticks at which some tracked fast client was owed events. */
  measuredUs: number;
  /** Time above the floor, all of it (short excursions included). */
  aboveFloorUs: number;
  /** Freezes whose peak reached the counting bound. */
  freezes: Freeze[];
  frozenUs: number;
  /** The worst shared age seen (generator lateness taken off), counted or not. */
  worstUs: number;
  /** The shared age at the median tick: what the fast clients lived with most of the time. */
  medianUs: number;
}

export interface FreezeView {
  judged: boolean;
  /** Why the rule could not judge (too little baseline, too few events for a freeze to show). */
  notJudged?: string;
  floorUs: number;
  floorFrom: string;
  /** A freeze counts when its peak reaches this: the run cannot see a shorter one. */
  countFromUs: number;
  countFrom: string;
  clients: number;
  baseline: FreezePhase;
  stress: FreezePhase;
  /** Share of measured ticks at which the generator's own lateness exceeded the floor. */
  generatorOverFloorShare: number;
  /**
   * Set when stress had one freeze that does not stand out from the baseline's own worst: one pause
   * each cannot be told from the machine's, but it is not "no freeze" either (why, in words).
   */
  lone?: string;
  triggered: boolean;
  sustained: boolean;
}

/** Chance of a stream's silence being taken for a freeze, for the bound below. */
const CHANCE = 0.01;
/** Share of stress above the floor that makes a rise sustained (at least hol.sustain of it, or half a short stress). */
const SUSTAINED_SHARE = 0.25;
/** Stress must be frozen at least this many times as often as baseline. */
const OVER_BASELINE = 2;
/** A lone freeze is blocking when it reaches this many times the baseline's worst shared age; under it, it is a question. */
const LONE_OVER_BASELINE = 1.5;

interface Series {
  /** Youngest tracked fast client's age per tick, generator lateness taken off; NaN where no client was owed events. */
  age: Float64Array;
  lag: Uint32Array;
  clients: number;
}

function series(record: RunRecord, fast: Set<string>): Series | undefined {
  const groups = record.groups.filter((g) => fast.has(g.name) && g.ages);
  if (groups.length === 0) return undefined;
  const ticks = maxTicksOf(record);
  const age = new Float64Array(ticks).fill(NaN);
  let clients = 0;
  for (const g of groups) {
    const together = decodeAges(record, g.ages, 'together');
    if (!together) return undefined;
    clients += g.ages!.clients;
    for (let j = 0; j < together.length; j++) {
      const t = together[j]!;
      if (t !== NO_CLIENT && !(age[j]! <= t)) age[j] = t;
    }
  }
  // without the per-tick series only the run's loop delay p99 is known: it is taken off every tick alike,
  // as the noise floor widens every second alike, and no share of time late can be told from it
  const known = decodeLag(record);
  const lag = known ?? new Uint32Array(0);
  const flat = known ? 0 : (record.generator?.eventLoopDelayP99Us ?? 0);
  // a tick no client was owed anything at stays NaN (NaN − lag is NaN)
  for (let j = 0; j < age.length; j++) age[j] = Math.max(0, age[j]! - (lag[j] ?? flat));
  return { age, lag, clients };
}

/** Tick ranges [from, to) of the phases with `role`. */
function ticksOf(record: RunRecord, role: string): [number, number][] {
  return phasesOf(record, role).map((p) => [Math.ceil(p.startUs / TICK_US), Math.ceil((p.startUs + p.durationUs) / TICK_US)]);
}

function phaseFreezes(s: Series, ranges: [number, number][], floorUs: number, countFromUs: number): FreezePhase {
  const out: FreezePhase = { measuredUs: 0, aboveFloorUs: 0, freezes: [], frozenUs: 0, worstUs: 0, medianUs: 0 };
  const all: number[] = [];
  for (const [from, to] of ranges) {
    let run: { start: number; n: number; peak: number } | undefined;
    const close = (): void => {
      if (run && run.peak >= countFromUs) {
        out.freezes.push({ startUs: run.start * TICK_US, durationUs: run.n * TICK_US, peakUs: run.peak });
        out.frozenUs += run.n * TICK_US;
      }
      run = undefined;
    };
    for (let j = from; j < Math.min(to, s.age.length); j++) {
      const a = s.age[j]!;
      if (Number.isNaN(a)) {
        close();
        continue;
      }
      out.measuredUs += TICK_US;
      all.push(a);
      out.worstUs = Math.max(out.worstUs, a);
      if (a > floorUs) {
        out.aboveFloorUs += TICK_US;
        run ??= { start: j, n: 0, peak: 0 };
        run.n++;
        run.peak = Math.max(run.peak, a);
      } else close();
    }
    close();
  }
  out.medianUs = all.length ? median(all) : 0;
  return out;
}

/** Per whole second of the ranges, the worst tick (seconds with less than half their ticks measured are left out). */
function perSecondWorst(s: Series, ranges: [number, number][]): number[] {
  const out: number[] = [];
  const perSecond = 1_000_000 / TICK_US;
  for (const [from, to] of ranges) {
    for (let k = from; k + perSecond <= Math.min(to, s.age.length); k += perSecond) {
      let worst = 0;
      let n = 0;
      for (let j = k; j < k + perSecond; j++) {
        const a = s.age[j]!;
        if (Number.isNaN(a)) continue;
        n++;
        worst = Math.max(worst, a);
      }
      if (n * 2 >= perSecond) out.push(worst);
    }
  }
  return out;
}

/**
 * The floor, from the baseline's per-second worst ages: the largest of indexLimit × their median,
 * the median + minDelta, and the median + 4 robust standard deviations (1.4826 × MAD) — a median
 * and a MAD ignore one bad second, where a maximum would let it switch detection off.
 */
export function robustFloor(
  perSecond: number[],
  rules: Pick<Required<HolRules>, 'indexLimit' | 'minDeltaUs'>,
): { floorUs: number; from: string } {
  const m = median(perSecond);
  const mad = median(perSecond.map((v) => Math.abs(v - m)));
  const candidates: [number, string][] = [
    [rules.indexLimit * m, `${rules.indexLimit}× the baseline's median`],
    [m + rules.minDeltaUs, 'the baseline median + hol.minDelta'],
    [m + 4 * 1.4826 * mad, "the baseline median + 4 robust SD's"],
  ];
  const [floorUs, from] = candidates.reduce((a, c) => (c[0] > a[0] ? c : a));
  return { floorUs: Math.round(floorUs), from };
}

/**
 * For a stream the server emits on its own, a silence is a freeze only when it is longer than the
 * stream's own gaps can be by chance: with λ events a second over a stress of T seconds, a gap longer
 * than ln(λT / 1%) / λ happens by chance in under 1% of runs (exponential gaps: the worst case for a
 * given rate).
 */
export function chanceGapUs(ratePerSec: number, stressUs: number): number {
  if (!(ratePerSec > 0)) return Infinity;
  const n = Math.max(1, (ratePerSec * stressUs) / 1e6);
  return Math.round((Math.log(n / CHANCE) / ratePerSec) * 1e6);
}

export interface FreezeInputs {
  rules: Required<HolRules>;
  fast: Set<string>;
  /** Set for a server-emitted stream: the events per second a fast client received in baseline. */
  emittedRatePerSec?: number;
}

export function freezeView(record: RunRecord, inputs: FreezeInputs): FreezeView | undefined {
  const s = series(record, inputs.fast);
  if (!s) return undefined;
  const { rules } = inputs;
  const base = ticksOf(record, 'baseline');
  const stressRanges = ticksOf(record, 'stress');
  const perSecond = perSecondWorst(s, base);
  const { floorUs, from } = perSecond.length ? robustFloor(perSecond, rules) : { floorUs: rules.minDeltaUs, from: 'hol.minDelta' };
  const stressUs = stressRanges.reduce((a, [f, t]) => a + (t - f) * TICK_US, 0);
  const rate = inputs.emittedRatePerSec;
  // a server-emitted stream that carried nothing in baseline gives no gap to compare a silence with
  const silent = rate !== undefined && !(rate > 0);
  const chance = rate !== undefined && rate > 0 ? chanceGapUs(rate, stressUs) : 0;
  // a busy machine freezes everyone now and then: a freeze counts only beyond twice what the baseline
  // itself reached in its second-worst second (its worst may be one hiccup, which must not hide blocking)
  const ranked = [...perSecond].sort((a, b) => b - a);
  // (with under three seconds, twice the floor is always at least twice any of them)
  const usual = ranked[1] ?? 0;
  const bounds: [number, string][] = [
    [rules.minFreezeUs, 'hol.minFreeze'],
    [2 * floorUs, 'twice the floor'],
    [2 * usual, "twice the baseline's second-worst second"],
    [chance, `the longest silence a stream of ${rate?.toFixed(1)} events/s has by chance`],
  ];
  const [countFromUs, countFrom] = bounds.reduce((a, c) => (c[0] > a[0] ? c : a));
  const baseline = phaseFreezes(s, base, floorUs, countFromUs);
  const stress = phaseFreezes(s, stressRanges, floorUs, countFromUs);
  let lagOver = 0;
  let measured = 0;
  for (const [f, t] of [...base, ...stressRanges]) {
    for (let j = f; j < Math.min(t, s.lag.length); j++) {
      if (Number.isNaN(s.age[j])) continue; // nothing measured at this tick: its lateness explained no age
      measured++;
      if (s.lag[j]! > floorUs) lagOver++;
    }
  }
  let notJudged: string | undefined;
  if (perSecond.length < 2) notJudged = `${perSecond.length} whole seconds of baseline measured: no floor to judge against`;
  else if (silent) notJudged = 'no events arrived in baseline: a silence in stress cannot be told from the stream having nothing to say';
  else if (countFromUs >= rules.maxStallUs)
    notJudged =
      chance >= countFromUs
        ? `too few events: a freeze under ${formatUs(countFromUs)} cannot be told from the stream's own gaps`
        : `the baseline itself was frozen up to ${formatUs(floorUs)} a second: a freeze under ${formatUs(countFromUs)} cannot be told from it`;
  else if (stress.measuredUs === 0) notJudged = 'no stress time measured';
  const share = (p: FreezePhase, us: number): number => (p.measuredUs > 0 ? us / p.measuredUs : 0);
  // two or more freezes are a rate, judged against the baseline's. One alone is a single event: a
  // busy machine descheduling the server once looks exactly like it, so it is blocking only when it
  // stands out from everything the baseline showed; under that it is neither blocking nor "no freeze"
  const lone = stress.freezes.length === 1 ? stress.freezes[0]! : undefined;
  const loneStandsOut = lone !== undefined && lone.peakUs >= LONE_OVER_BASELINE * baseline.worstUs;
  const freezesOver =
    stress.freezes.length >= 2 ? share(stress, stress.frozenUs) > OVER_BASELINE * share(baseline, baseline.frozenUs) : loneStandsOut;
  const sustainedUs = Math.min(rules.sustainUs, stress.measuredUs / 2);
  const risen =
    stress.aboveFloorUs >= sustainedUs &&
    share(stress, stress.aboveFloorUs) >= SUSTAINED_SHARE &&
    share(stress, stress.aboveFloorUs) >= 3 * share(baseline, baseline.aboveFloorUs);
  // a rise that lasts moves the median tick: every fast client waits longer most of the time, which a
  // noisy baseline's worst seconds cannot hide (too few events and a silence's median is chance)
  const shifted =
    !silent &&
    perSecond.length >= 2 &&
    chance < rules.maxStallUs &&
    baseline.measuredUs > 0 &&
    stress.measuredUs > 0 &&
    stress.medianUs >= rules.indexLimit * baseline.medianUs &&
    stress.medianUs >= baseline.medianUs + rules.minDeltaUs;
  const triggered = (notJudged === undefined && (freezesOver || risen)) || shifted;
  const loneWords =
    notJudged === undefined && lone && !loneStandsOut
      ? `one freeze of ${formatUs(lone.peakUs)} in stress; ${baselineWorst(baseline)}: ${baseline.freezes.length === 1 ? 'a single freeze each' : `a single freeze under ${LONE_OVER_BASELINE}× the baseline's worst`} cannot be told from the machine's pauses; run longer`
      : undefined;
  return {
    judged: notJudged === undefined || shifted,
    notJudged,
    floorUs,
    floorFrom: from,
    countFromUs,
    countFrom,
    clients: s.clients,
    baseline,
    stress,
    generatorOverFloorShare: measured > 0 ? lagOver / measured : 0,
    ...(loneWords ? { lone: loneWords } : {}),
    triggered,
    sustained: triggered && (risen || shifted || stress.freezes.some((f) => f.durationUs >= rules.sustainUs)),
  };
}

/** What the baseline showed that a lone freeze in stress is compared with. */
function baselineWorst(p: FreezePhase): string {
  const n = p.freezes.length;
  if (n === 0) return `the baseline's worst shared age was ${formatUs(p.worstUs)}`;
  return `the baseline had ${n === 1 ? 'one' : n} of ${formatUs(p.worstUs)}${n === 1 ? '' : ' at worst'}`;
}

/** "2 freezes (worst 312ms, 0.6s of 12.0s)" or "none". */
export function describeFreezes(p: FreezePhase): string {
  if (p.freezes.length === 0) return `none (worst shared age ${formatUs(p.worstUs)})`;
  const worst = Math.max(...p.freezes.map((f) => f.peakUs));
  return `${p.freezes.length} freeze${p.freezes.length === 1 ? '' : 's'} (worst ${formatUs(worst)}; ${formatUs(p.frozenUs)} frozen of ${formatUs(p.measuredUs)})`;
}
