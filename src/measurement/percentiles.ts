// Percentiles of an HDR histogram the way hdr-histogram-js's getValueAtPercentile finds them, for
// the live record's many small reads: five percentiles in one walk of the counts, and the summary
// of a handful of points without filling a histogram. The same rounding as the library (the tests
// hold them equal); the mean, which costs a walk of every bucket, is left at 0.
import { createHistogram, summarize, type Histogram } from './histogram.js';
import type { LatencySummary } from '../record/schema.js';

export const EMPTY_SUMMARY = summarize(createHistogram());

/** summarize() without the mean, which hdr-histogram-js computes by walking every bucket: nothing live shows it. */
export function liveSummary(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return EMPTY_SUMMARY;
  const [min, p50, p90, p99, p999] = valuesAtPercentiles(h as Walkable, [0, 50, 90, 99, 99.9]);
  return { count: h.totalCount, min: min!, p50: p50!, p90: p90!, p99: p99!, p999: p999!, max: h.maxValue, mean: 0 };
}

/** hdr-histogram-js's own bucket walk (public at run time, not in its types). */
type Walkable = Histogram & {
  countsArrayLength: number;
  getCountAtIndex(i: number): number;
  valueFromIndex(i: number): number;
  lowestEquivalentValue(v: number): number;
  highestEquivalentValue(v: number): number;
};

/** The count getValueAtPercentile walks to: the same rounding, so the same answer (tests hold them equal). */
function countAtPercentile(percentile: number, total: number): number {
  const fp = (Math.min(percentile, 100) / 100) * total;
  return Math.max(Math.ceil(fp - 2 ** (Math.floor(Math.log2(fp)) - 52)), 1); // less one ulp, as HDR does (ulp(0) = 0)
}

/**
 * getValueAtPercentile for several ascending percentiles in one walk of the counts (each call
 * walks ~17,000 buckets from the start; the live record asks five per histogram per build).
 */
function valuesAtPercentiles(h: Walkable, percentiles: number[]): number[] {
  const wanted = percentiles.map((p) => countAtPercentile(p, h.totalCount));
  const out: number[] = [];
  let next = 0;
  let seen = 0;
  for (let i = 0; i < h.countsArrayLength && next < wanted.length; i++) {
    seen += h.getCountAtIndex(i);
    while (next < wanted.length && seen >= wanted[next]!) {
      const v = h.valueFromIndex(i);
      out.push(percentiles[next] === 0 ? h.lowestEquivalentValue(v) : h.highestEquivalentValue(v));
      next++;
    }
  }
  return out;
}

/**
 * What liveSummary(a histogram of just these points) says, without the histogram: a second with
 * nothing arrived has one owed age per worker, and filling and walking ~70 KB of counts for each
 * such second on every build cost the main thread in proportion to the stall's length. The same
 * rounding as HDR's getValueAtPercentile (the tests hold the two equal).
 */
export function summaryOfPoints(points: { ageUs: number; count: number }[]): LatencySummary {
  const h = scratch() as Histogram & { lowestEquivalentValue(v: number): number; highestEquivalentValue(v: number): number };
  const sorted = points
    .filter((p) => p.count > 0)
    .map((p) => ({ v: p.ageUs > 0 ? Math.floor(p.ageUs) : 0, count: p.count }))
    .sort((a, b) => a.v - b.v);
  const total = sorted.reduce((n, p) => n + p.count, 0);
  if (total === 0) return EMPTY_SUMMARY;
  const at = (percentile: number): number => {
    const wanted = countAtPercentile(percentile, total);
    let seen = 0;
    for (const p of sorted) {
      seen += p.count;
      if (seen >= wanted) return percentile === 0 ? h.lowestEquivalentValue(p.v) : h.highestEquivalentValue(p.v);
    }
    return 0;
  };
  return { count: total, min: at(0), p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: sorted.at(-1)!.v, mean: 0 };
}

let scratchHistogram: Histogram | undefined;
/** The shared scratch histogram, emptied (read and encoded before the next call; the main thread is single-threaded). */
export function scratch(): Histogram {
  scratchHistogram ??= createHistogram();
  scratchHistogram.reset();
  return scratchHistogram;
}
