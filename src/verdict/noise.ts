// The run's own noise floor: how much the fast clients' per-second p99 wanders in baseline, when
// nothing slow is connected, and the generator's own event-loop delay. A rise in stress counts
// as blocking only above this floor and only when it lasts, so the same server on the same
// machine does not flip verdicts from run to run.
import { decodeHistogram, mergeEncoded } from '../measurement/histogram.js';
import type { RunRecord } from '../record/schema.js';
import { TICK_US } from '../util/ticksCodec.js';
import { decodeLag } from '../record/tickSeries.js';
import { phasesOf } from './select.js';

export interface NoiseModel {
  /** Per-second p99 of the fast groups in each whole second of baseline and stress (µs). */
  baselineP99s: number[];
  stressP99s: number[];
  baselineMedianUs: number;
  baselineMaxUs: number;
  loopDelayUs: number;
  /** A stress second is elevated when its p99 is above this. */
  floorUs: number;
  /** How the floor was set, in words. */
  floorFrom: string;
  elevatedSeconds: number;
  /** Elevated seconds needed for the rise to count as sustained (a shorter stress phase cannot show one). */
  neededSeconds: number;
}

export interface NoiseRules {
  indexLimit: number;
  minDeltaUs: number;
  sustainUs: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The p99 of one encoded histogram, remembered: the live dashboard judges its provisional record
 * every second, and every second already judged comes back with the same encoding, so without this
 * each build would decode the whole run again (its cost growing with the run's length). Bounded.
 */
const p99OfEncoding = new Map<string, number>();
const P99_CACHE_ENTRIES = 4096;

function p99Of(encoded: string): number {
  let p99 = p99OfEncoding.get(encoded);
  if (p99 === undefined) {
    p99 = decodeHistogram(encoded).getValueAtPercentile(99);
    if (p99OfEncoding.size >= P99_CACHE_ENTRIES) p99OfEncoding.delete(p99OfEncoding.keys().next().value!);
    p99OfEncoding.set(encoded, p99);
  }
  return p99;
}

/** p99 per whole second of each phase with `role`, for the groups `isFast` picks (their parts added, never averaged). */
export function perSecondP99(record: RunRecord, role: string, groups: Set<string>): number[] {
  return perSecondP99At(record, role, groups).map(([, p99]) => p99);
}

/** [start of the second (µs since t0), p99] per whole second of each phase with `role`. */
export function perSecondP99At(record: RunRecord, role: string, groups: Set<string>): [number, number][] {
  const out: [number, number][] = [];
  for (const ph of phasesOf(record, role)) {
    const bySecond = new Map<number, string[]>();
    for (const iv of record.intervals) {
      if (!groups.has(iv.group) || !iv.histogram) continue;
      if (iv.startUs < ph.startUs || iv.startUs + 1_000_000 > ph.startUs + ph.durationUs) continue;
      (bySecond.get(iv.startUs) ?? bySecond.set(iv.startUs, []).get(iv.startUs)!).push(iv.histogram);
    }
    for (const [startUs, parts] of [...bySecond].sort((a, b) => a[0] - b[0])) {
      out.push([startUs, parts.length === 1 ? p99Of(parts[0]!) : mergeEncoded(parts).getValueAtPercentile(99)]);
    }
  }
  return out;
}

/** The generator's worst lateness in each second since t0 (from its per-tick lag), or undefined for a record without it. */
export function lagBySecond(record: RunRecord): ((startUs: number) => number) | undefined {
  const ticks = decodeLag(record);
  if (!ticks) return undefined;
  const perSecond = 1_000_000 / TICK_US;
  return (startUs) => {
    let worst = 0;
    const from = Math.floor(startUs / TICK_US);
    for (let j = Math.max(0, from); j < Math.min(ticks.length, from + perSecond); j++) worst = Math.max(worst, ticks[j]!);
    return worst;
  };
}

/**
 * The floor is set from the baseline's per-second p99s with robust statistics — a median and a
 * median absolute deviation, which one bad second cannot move much, where the baseline's worst
 * second would let a single hiccup switch detection off. The generator's own delay is taken per
 * second: a stress second is elevated only above the floor plus twice the generator's worst
 * lateness *in that second*, so a strained moment of the runner neither hides a rise elsewhere nor
 * counts as one.
 */
export function noiseModel(record: RunRecord, fastGroups: Set<string>, rules: NoiseRules): NoiseModel {
  const baselineP99s = perSecondP99(record, 'baseline', fastGroups);
  const stressAt = perSecondP99At(record, 'stress', fastGroups);
  const stressP99s = stressAt.map(([, v]) => v);
  const med = baselineP99s.length ? median(baselineP99s) : 0;
  const mad = baselineP99s.length ? median(baselineP99s.map((v) => Math.abs(v - med))) : 0;
  const max = baselineP99s.length ? Math.max(...baselineP99s) : 0;
  const lagAt = lagBySecond(record);
  // a record without per-tick lateness carries only the run's loop delay p99: it widens every second alike
  const loop = lagAt ? 0 : (record.generator?.eventLoopDelayP99Us ?? 0);
  const candidates: [number, string][] = [
    [rules.indexLimit * med, `${rules.indexLimit}× the baseline's median per-second p99`],
    [med + rules.minDeltaUs, 'the baseline median + hol.minDelta'],
    [med + 4 * 1.4826 * mad, 'the baseline median + 4 robust standard deviations'],
    [med + 2 * loop, "the baseline median + twice the generator's loop delay p99"],
  ];
  const [floorUs, floorFrom] = candidates.reduce((a, c) => (c[0] > a[0] ? c : a));
  const elevatedSeconds = stressAt.filter(([startUs, v]) => v > floorUs + 2 * (lagAt?.(startUs) ?? 0)).length;
  const neededSeconds = Math.max(1, Math.ceil(rules.sustainUs / 1e6));
  return {
    baselineP99s,
    stressP99s,
    baselineMedianUs: med,
    baselineMaxUs: max,
    loopDelayUs: loop,
    floorUs: Math.round(floorUs),
    floorFrom: lagAt ? `${floorFrom}; each second also above twice the generator's lateness in it` : floorFrom,
    elevatedSeconds,
    neededSeconds,
  };
}
