// The run's noise floor over per-second p99s: which bound sets it, which seconds feed it, and how the
// generator's own lateness widens it second by second. Latencies under 2048 µs, which an HDR
// histogram of three significant digits holds exactly, so every p99 here is the value recorded.
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, recordUs } from '../../src/measurement/histogram.js';
import { lagBySecond, median, noiseModel, perSecondP99, perSecondP99At } from '../../src/verdict/noise.js';
import type { IntervalRecord, RunRecord } from '../../src/record/schema.js';
import { verdictRecord } from '../support/verdictRecord.js';

const flat = (us: number): number[] => Array.from({ length: 100 }, () => us);
const FAST = new Set(['fast']);
const RULES = { indexLimit: 3, minDeltaUs: 500, sustainUs: 3_000_000 };

/** Baseline from 1 s after t0, then stress; each second's fast p99 as given. */
function record(baseline: number[], stress: number[], loopDelayP99Us = 0, lag?: (sinceT0Us: number) => number): RunRecord {
  const rec = verdictRecord({ baseline: baseline.map(flat), stress: stress.map(flat), ...(lag ? { lag } : {}) });
  rec.generator.eventLoopDelayP99Us = loopDelayP99Us;
  return rec;
}

function interval(group: string, startUs: number, values: number[]): IntervalRecord {
  const h = createHistogram();
  for (const v of values) recordUs(h, v);
  return {
    group,
    startUs,
    delivered: values.length,
    missing: 0,
    arrived: values.length,
    maxStallUs: 0,
    p50Us: 0,
    p99Us: 0,
    maxUs: 0,
    histogram: encodeHistogram(h),
  };
}

describe('median', () => {
  it('the middle value, or the mean of the two middle ones; NaN of nothing; the input left as it was', () => {
    const values = [9, 1, 8, 2, 5];
    expect(median(values)).toBe(5);
    expect(values).toEqual([9, 1, 8, 2, 5]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
});

describe('noiseModel: the floor is the highest of four bounds, named', () => {
  const eight = (us: number): number[] => Array.from({ length: 8 }, () => us);

  it("indexLimit × the baseline's median; a stress second is elevated above it, not at it", () => {
    const m = noiseModel(record(eight(300), [300, 900, 901, 300, 300, 300, 300, 300, 300, 300]), FAST, RULES);
    expect(m).toEqual({
      baselineP99s: eight(300),
      stressP99s: [300, 900, 901, 300, 300, 300, 300, 300, 300, 300],
      baselineMedianUs: 300,
      baselineMaxUs: 300,
      loopDelayUs: 0,
      floorUs: 900,
      floorFrom: "3× the baseline's median per-second p99",
      elevatedSeconds: 1,
      neededSeconds: 3,
    });
  });

  it('the median + hol.minDelta', () => {
    const m = noiseModel(record(eight(300), [1_300, 1_301]), FAST, { ...RULES, minDeltaUs: 1_000 });
    expect(m).toMatchObject({ floorUs: 1_300, floorFrom: 'the baseline median + hol.minDelta', elevatedSeconds: 1 });
  });

  it('the median + 4 robust standard deviations (1.4826 × the MAD), for a baseline that wanders', () => {
    const m = noiseModel(record([200, 200, 200, 200, 1_000, 1_000, 1_000, 1_000], [300]), FAST, RULES);
    expect(m).toMatchObject({
      baselineMedianUs: 600,
      baselineMaxUs: 1_000,
      floorUs: 2_972, // 600 + 4 × 1.4826 × 400
      floorFrom: 'the baseline median + 4 robust standard deviations',
    });
  });

  it("without per-tick lateness (an older record): the median + twice the generator's loop delay p99", () => {
    const m = noiseModel(record(eight(300), [2_000]), FAST, RULES);
    expect(m.elevatedSeconds).toBe(1);
    const loaded = noiseModel(record(eight(300), [2_000], 2_000), FAST, RULES);
    expect(loaded).toMatchObject({
      loopDelayUs: 2_000,
      floorUs: 4_300,
      floorFrom: "the baseline median + twice the generator's loop delay p99",
      elevatedSeconds: 0,
    });
  });

  it("with per-tick lateness: the loop delay is not used; each stress second must clear the floor + twice the generator's worst lateness in it", () => {
    // stress starts 9 s after t0; the generator was 50 µs late in its first second, 49 µs in its second
    const lag = (t: number): number => (t >= 9_000_000 && t < 10_000_000 ? 50 : t >= 10_000_000 && t < 11_000_000 ? 49 : 0);
    const m = noiseModel(record(eight(300), [1_000, 1_000, 1_200, 300], 5_000, lag), FAST, RULES);
    expect(m).toMatchObject({
      loopDelayUs: 0,
      floorUs: 900,
      floorFrom: "3× the baseline's median per-second p99; each second also above twice the generator's lateness in it",
      elevatedSeconds: 2, // 1000 is not above 900 + 2 × 50; it is above 900 + 2 × 49
    });
  });

  it('no baseline seconds: the floor is hol.minDelta over zero, not NaN', () => {
    const m = noiseModel(record([], [300, 600]), FAST, RULES);
    expect(m).toMatchObject({ baselineP99s: [], baselineMedianUs: 0, baselineMaxUs: 0, floorUs: 500, elevatedSeconds: 1 });
  });

  it('the seconds a sustained rise needs: hol.sustain rounded up, at least one', () => {
    const rec = record(eight(300), [300]);
    expect(noiseModel(rec, FAST, { ...RULES, sustainUs: 2_500_000 }).neededSeconds).toBe(3);
    expect(noiseModel(rec, FAST, { ...RULES, sustainUs: 0 }).neededSeconds).toBe(1);
  });
});

describe('perSecondP99At: which seconds, and what each one holds', () => {
  it("every fast group's histograms of a second are added; other groups, empty seconds and seconds not wholly in the phase are left out", () => {
    // baseline 1 s → 4 s (the second at 2 s has no events), stress 4 s → 6 s
    const rec = verdictRecord({ baseline: [flat(300), [], flat(300)], stress: [flat(300), flat(300)] });
    rec.intervals.push(
      interval('fast2', 3_000_000, flat(1_500)),
      interval('slow', 1_000_000, flat(1_900)),
      interval('fast', 0, flat(1_800)), // warmup
      interval('fast', 3_500_000, flat(1_700)), // straddles baseline and stress
    );
    const both = new Set(['fast', 'fast2']);
    expect(perSecondP99At(rec, 'baseline', both)).toEqual([
      [1_000_000, 300],
      [3_000_000, 1_500],
    ]);
    expect(perSecondP99(rec, 'stress', both)).toEqual([300, 300]);
    expect(perSecondP99(rec, 'baseline', FAST)).toEqual([300, 300]);
  });

  it('seconds come out in time order, whatever order the record lists them in, and from every phase of the role', () => {
    const rec = verdictRecord({ baseline: [flat(100), flat(200), flat(300)], stress: [flat(400), flat(500)] });
    rec.intervals.reverse();
    expect(perSecondP99At(rec, 'baseline', FAST)).toEqual([
      [1_000_000, 100],
      [2_000_000, 200],
      [3_000_000, 300],
    ]);
    rec.phases = [...rec.phases, { name: 'baseline2', role: 'baseline', startUs: 4_000_000, durationUs: 2_000_000 }];
    expect(perSecondP99(rec, 'baseline', FAST)).toEqual([100, 200, 300, 400, 500]);
  });
});

describe('lagBySecond', () => {
  it("the generator's worst lateness among the ticks of each second, and nothing from the ticks beside it", () => {
    const late = new Map([
      [990_000, 70],
      [1_000_000, 20],
      [1_500_000, 30],
      [2_000_000, 80],
    ]);
    const lag = (t: number): number => late.get(t) ?? 0;
    const lagAt = lagBySecond(record([300, 300], [300, 300], 0, lag))!;
    expect([0, 1_000_000, 2_000_000, 3_000_000].map(lagAt)).toEqual([70, 30, 80, 0]);
  });

  it('none for a record without a lateness series, or with one that is not a series', () => {
    expect(lagBySecond(record([300], [300]))).toBeUndefined();
    const bad = record([300], [300]);
    bad.generator.lagTicks = deflateRawSync(Buffer.from([1, 2, 3])).toString('base64');
    expect(lagBySecond(bad)).toBeUndefined();
  });
});
