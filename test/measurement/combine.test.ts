// Parts measured apart (worker threads, shards) added into record parts: histograms added, never
// averaged; counters summed, maxima kept; the replay's rate is the median client's.
import { describe, expect, it } from 'vitest';
import { combineInterval, combinePhase, combineReplays, type PhasePart } from '../../src/measurement/combine.js';
import { createHistogram, decodeHistogram, encodeHistogram, recordUs } from '../../src/measurement/histogram.js';
import { zeroCounters } from '../../src/measurement/recorder.js';

const encoded = (...values: number[]): string => {
  const h = createHistogram();
  for (const v of values) recordUs(h, v);
  return encodeHistogram(h);
};

const phasePart = (base: number, counters: Partial<ReturnType<typeof zeroCounters>>): PhasePart => ({
  latency: encoded(base),
  uncorrected: encoded(base + 1),
  connect: encoded(base + 2),
  ack: encoded(base + 3),
  counters: { ...zeroCounters(), ...counters },
});

const replay = (r: Partial<NonNullable<Parameters<typeof combineReplays>[0][number]>>) => ({
  expected: 100,
  received: 100,
  missing: 0,
  duplicates: 0,
  outOfOrder: 0,
  ratePerSec: 1000,
  timeToLiveUsMax: 1000 as number | null,
  ...r,
});

describe('combinePhase', () => {
  it("adds two workers' histograms count for count, each kind into its own summary, and sums counters (maxima kept)", () => {
    const a = phasePart(100, { delivered: 10, arrived: 12, missing: 2, maxStallUs: 700, maxStalenessUs: 30 });
    const b = phasePart(500, { delivered: 5, arrived: 13, missing: 1, maxStallUs: 400, maxStalenessUs: 90 });
    const r = combinePhase([a, b], 2, 5_000_000);
    expect(r).toMatchObject({ clients: 2, delivered: 15, arrived: 25, missing: 3, maxStallUs: 700, maxStalenessUs: 90 });
    expect(r.latencyUs).toMatchObject({ count: 2, min: 100, max: 500 });
    expect(r.uncorrectedUs).toMatchObject({ count: 2, min: 101, max: 501 });
    expect(r.connectUs).toMatchObject({ count: 2, min: 102, max: 502 });
    expect(r.ackUs).toMatchObject({ count: 2, min: 103, max: 503 });
    // the histograms travel on encoded, each its own
    expect(decodeHistogram(r.histogram).minNonZeroValue).toBe(100);
    expect(decodeHistogram(r.uncorrectedHistogram).minNonZeroValue).toBe(101);
    expect(decodeHistogram(r.connectHistogram).minNonZeroValue).toBe(102);
    expect(decodeHistogram(r.ackHistogram).minNonZeroValue).toBe(103);
  });

  it('the delivery rate is arrivals per client per second of the phase, to one decimal; with no clients it is 0', () => {
    // 25 arrivals / 2 clients / 4 s = 3.125 a second
    expect(combinePhase([phasePart(1, { arrived: 25 })], 2, 4_000_000).deliveredPerClientPerSec).toBe(3.1);
    expect(combinePhase([phasePart(1, { arrived: 600 })], 3, 2_000_000).deliveredPerClientPerSec).toBe(100);
    expect(combinePhase([phasePart(1, { arrived: 25 })], 0, 4_000_000).deliveredPerClientPerSec).toBe(0);
    // a phase of no time (a run stopped at its start) is 0, never Infinity or NaN in the record
    expect(combinePhase([phasePart(1, { arrived: 25 })], 2, 0).deliveredPerClientPerSec).toBe(0);
  });

  it('no parts: empty summaries, not NaN', () => {
    const r = combinePhase([], 0, 1_000_000);
    expect(r.latencyUs).toEqual({ count: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
    expect(r.delivered).toBe(0);
  });
});

describe('combineInterval', () => {
  it("adds the parts of one second: counts summed, the worst stall, the latency of every part's events", () => {
    const iv = combineInterval('fast', 3_000_000, [
      { delivered: 4, missing: 1, arrived: 5, maxStallUs: 250_000, histogram: encoded(1000, 2000, 3000) },
      { delivered: 2, missing: 3, arrived: 7, maxStallUs: 900_000, histogram: encoded(400_000) },
      { delivered: 0, missing: 0, arrived: 1, maxStallUs: 10, histogram: '' }, // nothing intended in that second
    ]);
    expect(iv).toMatchObject({ group: 'fast', startUs: 3_000_000, delivered: 6, missing: 4, arrived: 13, maxStallUs: 900_000 });
    expect(iv.p50Us).toBe(2000);
    expect(iv.maxUs).toBeGreaterThanOrEqual(399_000);
    expect(decodeHistogram(iv.histogram).totalCount).toBe(4);
  });

  it('a second in which nothing was intended has no histogram and zero percentiles', () => {
    const iv = combineInterval('fast', 0, [{ delivered: 0, missing: 0, arrived: 3, maxStallUs: 5, histogram: '' }]);
    expect(iv).toMatchObject({ arrived: 3, maxStallUs: 5, p50Us: 0, p99Us: 0, maxUs: 0, histogram: '' });
  });

  it('parts from an older worker without arrivals or stalls count them as 0, not NaN', () => {
    const old = { delivered: 1, missing: 0, histogram: '' } as unknown as Parameters<typeof combineInterval>[2][number];
    const iv = combineInterval('fast', 0, [old, { delivered: 1, missing: 0, arrived: 2, maxStallUs: 7, histogram: '' }]);
    expect(iv).toMatchObject({ delivered: 2, arrived: 2, maxStallUs: 7 });
  });
});

describe('combineReplays', () => {
  it('no catch-up clients: no replay', () => {
    expect(combineReplays([])).toBeUndefined();
  });

  it("counts are summed; the rate is the median client's, not the mean; time to live the worst", () => {
    const parts = [
      replay({ ratePerSec: 9000, timeToLiveUsMax: 2000 }),
      replay({ ratePerSec: 100, missing: 3, received: 97, timeToLiveUsMax: 9000 }),
      replay({ ratePerSec: 500, duplicates: 2, outOfOrder: 1, timeToLiveUsMax: 4000 }),
    ];
    expect(combineReplays(parts)).toEqual({
      expected: 300,
      received: 297,
      missing: 3,
      duplicates: 2,
      outOfOrder: 1,
      ratePerSec: 500,
      timeToLiveUsMax: 9000,
    });
  });

  it("the median of every client's rate when the workers pass them, else of the parts' rates", () => {
    const parts = [replay({ ratePerSec: 10 }), replay({ ratePerSec: 20 })];
    const clientRates = [700, 50, 300, 9000, 40];
    expect(combineReplays(parts, clientRates)!.ratePerSec).toBe(300);
    expect(clientRates).toEqual([700, 50, 300, 9000, 40]); // the caller's list is left as it was
    expect(combineReplays(parts, [])!.ratePerSec).toBe(20);
    expect(combineReplays([replay({ ratePerSec: 30 }), replay({ ratePerSec: 10 }), replay({ ratePerSec: 20 })])!.ratePerSec).toBe(20);
  });

  it('a client that never went live makes the worst time to live unknown (null), not the best of the others', () => {
    expect(combineReplays([replay({ timeToLiveUsMax: 5000 }), replay({ timeToLiveUsMax: null })])!.timeToLiveUsMax).toBeNull();
    expect(combineReplays([replay({ timeToLiveUsMax: null })])!.timeToLiveUsMax).toBeNull();
  });
});
