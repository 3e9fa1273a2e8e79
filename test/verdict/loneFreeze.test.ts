// One freeze in stress: blocking when it stands out from the baseline's own worst (≥ 1.5×), a
// question otherwise (inconclusive, never none); two or more are judged by their share of stress.
import { describe, expect, it } from 'vitest';
import { analyseHol } from '../../src/verdict/hol.js';
import { RULES, steady, verdictRecord } from '../support/verdictRecord.js';

// baseline runs 1 s → 9 s after t0, stress 9 s → 19 s
const STRESS_US = 9_000_000;
/** A shared age of 2 ms, rising by 1 µs per µs inside each freeze [start, start + length). */
const freezes =
  (list: [startUs: number, lengthUs: number][]) =>
  (t: number): number => {
    for (const [s, l] of list) if (t >= s && t < s + l) return 2_000 + (t - s);
    return 2_000;
  };
const judge = (list: [number, number][]) =>
  analyseHol(verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), ages: freezes(list) }), RULES);
const freezeRow = (r: ReturnType<typeof judge>) => r.evidence.find((e) => e.id === 'freeze')!;

// a 200 ms hiccup in baseline: its worst shared age is 192 ms (the last tick inside it), 1.5× that is 288 ms;
// a freeze of L ms (from a tick) peaks at L − 8 ms
const HICCUP: [number, number] = [5_000_000, 200_000];

describe('a lone freeze against a baseline hiccup', () => {
  it('one freeze under 1.5× the baseline worst: inconclusive, with both freezes and what to do', () => {
    const r = judge([HICCUP, [STRESS_US + 4_000_000, 280_000]]);
    expect(r.freezes!.stress.count).toBe(1);
    expect(r.freezes!.baseline.worstUs).toBe(192_000);
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toBe(
      "INCONCLUSIVE: no rule fired, but one freeze of 272.0ms in stress; the baseline had one of 192.0ms: a single freeze each cannot be told from the machine's pauses; run longer",
    );
    expect(freezeRow(r).triggered).toBe(false);
    expect(freezeRow(r).measured).toMatch(/a single freeze each cannot be told from the machine's pauses/);
  });

  it('one freeze at 1.5× the baseline worst is blocking; a tick under it is not', () => {
    expect(judge([HICCUP, [STRESS_US + 4_000_000, 300_000]]).verdict).toBe('hol'); // peaks at 292 ms ≥ 288 ms
    expect(judge([HICCUP, [STRESS_US + 4_000_000, 290_000]]).verdict).toBe('inconclusive'); // peaks at 282 ms
  });

  it('a 200 ms hiccup in baseline does not hide one 450 ms freeze when a catch-up client joins', () => {
    const r = judge([HICCUP, [STRESS_US, 450_000]]);
    expect(r.verdict).toBe('hol');
    expect(r.summary).toMatch(/^HEAD-OF-LINE BLOCKING \(transient\)/);
  });

  it('the baseline hiccup alone, and a clean stress: none', () => {
    expect(judge([HICCUP]).verdict).toBe('none');
  });

  it('a clean baseline: one freeze from the counting bound is blocking; under the bound it is none', () => {
    expect(judge([[STRESS_US + 4_000_000, 110_000]]).verdict).toBe('hol');
    expect(judge([[STRESS_US + 4_000_000, 90_000]]).verdict).toBe('none');
  });

  it('a baseline whose worst was no counted freeze is named so', () => {
    // a 95 ms pause in baseline (under the 100 ms counting bound), one 120 ms freeze in stress
    const r = judge([
      [5_000_000, 95_000],
      [STRESS_US + 4_000_000, 120_000],
    ]);
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toMatch(
      /one freeze of 112\.0ms in stress; the baseline's worst shared age was 92\.0ms: a single freeze under 1\.5× the baseline's worst cannot be told/,
    );
  });

  it('two freezes of the smaller size are judged by their share: over twice the baseline share is blocking', () => {
    const two = judge([HICCUP, [STRESS_US + 2_000_000, 280_000], [STRESS_US + 7_000_000, 280_000]]);
    expect(two.freezes!.stress.count).toBe(2);
    expect(two.verdict).toBe('hol');
  });
});
