// The live record's percentiles equal hdr-histogram-js's own getValueAtPercentile, figure by figure,
// for histograms of every shape and for a handful of points summarised without a histogram.
import { describe, expect, it } from 'vitest';
import { createHistogram, recordUs } from '../../src/measurement/histogram.js';
import { EMPTY_SUMMARY, liveSummary, summaryOfPoints } from '../../src/measurement/percentiles.js';

/** A repeatable pseudo-random sequence in [0, 1). */
function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** What the live view's summary must equal: hdr-histogram-js's own getValueAtPercentile, figure by figure. */
function hdrSummary(h: ReturnType<typeof createHistogram>) {
  const at = (q: number): number => h.getValueAtPercentile(q);
  return { count: h.totalCount, min: at(0), p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: h.maxValue, mean: 0 };
}

describe('summaryOfPoints', () => {
  it('says what an HDR histogram of the same points says, for every figure the live view shows', () => {
    const random = seeded(42);
    for (let trial = 0; trial < 500; trial++) {
      const points = Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
        // ages from sub-millisecond to a minute, fractional, sometimes 0 or negative (clock skew)
        ageUs: random() < 0.05 ? -5 : random() ** 3 * 60_000_000,
        count: 1 + Math.floor(random() * (random() < 0.5 ? 3 : 5000)),
      }));
      const h = createHistogram();
      for (const p of points) recordUs(h, p.ageUs, p.count);
      expect(summaryOfPoints(points), JSON.stringify(points)).toEqual(hdrSummary(h));
    }
  });
});

describe('liveSummary', () => {
  it("gives getValueAtPercentile's answers in one walk, for histograms of every shape", () => {
    const random = seeded(7);
    for (let trial = 0; trial < 200; trial++) {
      const h = createHistogram();
      const values = 1 + Math.floor(random() * (random() < 0.3 ? 3 : 3000));
      for (let i = 0; i < values; i++) recordUs(h, random() ** 4 * (random() < 0.1 ? 60_000_000 : 200_000), 1 + Math.floor(random() * 20));
      expect(liveSummary(h)).toEqual(hdrSummary(h));
    }
  });
});

describe('the counts a percentile walks to', () => {
  it('99.9% of 1000, which float math puts a hair above 999, is the 999th value, as in HDR (not the 1000th)', () => {
    expect((99.9 / 100) * 1000).toBeGreaterThan(999); // the case: without HDR's one-ulp correction it would round up to 1000
    const h = createHistogram();
    const points = Array.from({ length: 1000 }, (_, i) => ({ ageUs: i + 1, count: 1 }));
    for (const p of points) recordUs(h, p.ageUs, p.count);
    expect(liveSummary(h)).toEqual(hdrSummary(h));
    expect(summaryOfPoints(points)).toEqual(hdrSummary(h));
    expect(liveSummary(h).p999).toBe(999);
    expect(liveSummary(h).max).toBe(1000);
  });
});

describe('empty input', () => {
  it('no points, or points that each count nothing: the empty summary; a point counting nothing is not the max', () => {
    expect(summaryOfPoints([])).toEqual(EMPTY_SUMMARY);
    expect(summaryOfPoints([{ ageUs: 5_000, count: 0 }])).toEqual(EMPTY_SUMMARY);
    const h = createHistogram();
    recordUs(h, 100, 5);
    expect(
      summaryOfPoints([
        { ageUs: 9_000, count: 0 },
        { ageUs: 100, count: 5 },
      ]),
    ).toEqual(hdrSummary(h));
    expect(
      summaryOfPoints([
        { ageUs: 100, count: 5 },
        { ageUs: 9_000, count: 0 },
      ]).max,
    ).toBe(100);
    expect(liveSummary(createHistogram())).toEqual(EMPTY_SUMMARY);
  });
});
