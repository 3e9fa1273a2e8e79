// LatencyTally counts durations by the HDR histograms' own buckets and adds them in one pass: what
// the histograms hold afterwards must be exactly what recording each value would have left.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, LatencyTally, recordUs, summarize, type Histogram } from '../../src/measurement/histogram.js';
import { countsOf } from '../support/histogramCounts.js';

/** Everything a record reads of a histogram: counts per value, total, exact min and max, summary, and the bytes shipped. */
function figures(h: Histogram) {
  return {
    counts: countsOf(h),
    total: h.totalCount,
    max: h.maxValue,
    minNonZero: h.minNonZeroValue,
    summary: summarize(h),
    encoded: encodeHistogram(h),
  };
}

function recordedOneByOne(values: number[]): Histogram {
  const h = createHistogram();
  for (const v of values) recordUs(h, v);
  return h;
}

function tallied(values: number[], flushEvery = Infinity): Histogram {
  const h = createHistogram();
  const t = new LatencyTally();
  values.forEach((v, i) => {
    t.record(v);
    if ((i + 1) % flushEvery === 0) t.flushInto(h);
  });
  t.flushInto(h);
  return h;
}

/** Every bucket edge (2^k − 1, 2^k, 2^k + 1) up to 2^31, the tally's own limit (2^26) and values beyond it. */
const EDGES = Array.from({ length: 32 }, (_, k) => [2 ** k - 1, 2 ** k, 2 ** k + 1]).flat();

describe('LatencyTally', () => {
  it('leaves a histogram equal to recording each value: bucket edges, zero, negatives, fractions, NaN, over an hour', () => {
    const values = [...EDGES, 0, -5, 0.9, 1234.9, NaN, 2 ** 26 - 1, 2 ** 26, 3_600_000_000, 1999, 2000, 2047, 2048, 2049];
    expect(figures(tallied(values))).toEqual(figures(recordedOneByOne(values)));
  });

  it('equals recording one by one for any durations, flushed at any points into a histogram that already holds values', () => {
    const duration = fc.oneof(
      fc.integer({ min: 0, max: 5000 }),
      fc.integer({ min: 0, max: 2 ** 27 }),
      fc.double({ min: -1000, max: 2 ** 32, noNaN: true }),
      fc.constantFrom(...EDGES),
    );
    fc.assert(
      fc.property(
        fc.array(duration, { maxLength: 300 }),
        fc.array(duration, { maxLength: 20 }),
        fc.integer({ min: 1, max: 50 }),
        (values, before, every) => {
          const one = recordedOneByOne([...before, ...values]);
          const two = createHistogram();
          for (const v of before) recordUs(two, v);
          const t = new LatencyTally();
          values.forEach((v, i) => {
            t.record(v);
            if ((i + 1) % every === 0) t.flushInto(two);
          });
          t.flushInto(two);
          expect(figures(two)).toEqual(figures(one));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('adds the same counts into every histogram it is flushed into, then is empty', () => {
    const a = createHistogram();
    const b = createHistogram();
    recordUs(b, 7);
    const t = new LatencyTally();
    for (const v of [3, 3000, 90_000_000]) t.record(v);
    expect(t.empty).toBe(false);
    t.flushInto(a, b);
    expect(t.empty).toBe(true);
    expect(figures(a)).toEqual(figures(recordedOneByOne([3, 3000, 90_000_000])));
    expect(figures(b)).toEqual(figures(recordedOneByOne([7, 3, 3000, 90_000_000])));
    t.flushInto(a); // nothing left to add
    expect(a.totalCount).toBe(3);
  });

  it('the comparison sees one value more, and a max off by one unit', () => {
    expect(figures(tallied([100, 200, 300]))).not.toEqual(figures(recordedOneByOne([100, 200, 300, 300])));
    // 4097 and 4096 share a bucket (2 units wide there): only the exact max tells them apart
    expect(figures(tallied([100, 4096]))).not.toEqual(figures(recordedOneByOne([100, 4097])));
    expect(countsOf(tallied([100, 4096]))).toEqual(countsOf(recordedOneByOne([100, 4097])));
  });
});
