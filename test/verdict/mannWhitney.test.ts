// The one-sided Mann–Whitney U test `compare` asks whether NEW's seconds are higher than BASE's:
// exact (every arrangement counted) up to 20 values a side, the normal approximation with its
// continuity correction beyond; ties count one half, rounded down. Reference values are counted by
// hand from the distribution of U (the q-binomial coefficients) or computed from the normal CDF.
import { describe, expect, it } from 'vitest';
import { mannWhitneyGreater } from '../../src/verdict/mannWhitney.js';
import { normalCdf } from '../../src/verdict/counts.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('exact, up to 20 values a side', () => {
  it('P(U ≥ u) counted over every arrangement: 4 and 4 interleaved, 2 against 3', () => {
    // U = 10 of 16 for m = n = 4; arrangements with U ≥ 10: 7+5+5+3+2+1+1 of C(8,4) = 70
    expect(mannWhitneyGreater([1, 3, 5, 7], [2, 4, 6, 8])).toEqual({ p: 24 / 70, minP: 1 / 70, nBase: 4, nNext: 4 });
    // m = 3, n = 2, U = 4 of 6: arrangements 1,1,2,2,2,1,1 of C(5,2) = 10, so P(U ≥ 4) = 4/10
    expect(mannWhitneyGreater([1, 4], [2, 3, 5])).toEqual({ p: 4 / 10, minP: 1 / 10, nBase: 2, nNext: 3 });
    // nothing above: every arrangement has U ≥ 0
    expect(mannWhitneyGreater([5, 6, 7], [1, 2]).p).toBe(1);
  });

  it('20 a side is still exact: every NEW value above every BASE value is one arrangement of C(40, 20)', () => {
    const t = mannWhitneyGreater(range(20), range(20, 100));
    expect(t.p).toBe(1 / 137_846_528_820);
    expect(t.minP).toBe(1 / 137_846_528_820);
  });

  it('an empty side decides nothing, whichever it is', () => {
    expect(mannWhitneyGreater([1, 2], [])).toEqual({ p: null, minP: null, nBase: 2, nNext: 0 });
    expect(mannWhitneyGreater([], [1, 2, 3])).toEqual({ p: null, minP: null, nBase: 0, nNext: 3 });
  });
});

describe('the normal approximation, beyond 20 values on either side', () => {
  /** P(U ≥ u) from the normal approximation, continuity-corrected. */
  const normal = (u: number, m: number, n: number): number =>
    1 - normalCdf((u - 0.5 - (m * n) / 2) / Math.sqrt((m * n * (m + n + 1)) / 12));

  it('21 NEW values against 2 BASE values, all above: the approximation, not the exact 1/C(23, 2)', () => {
    const t = mannWhitneyGreater([1, 2], range(21, 10));
    expect(t.p!).toBeCloseTo(normal(42, 21, 2), 9);
    expect(t.p!).not.toBeCloseTo(1 / 253, 3);
    expect(t.minP!).toBeCloseTo(normal(42, 21, 2), 9);
  });

  it('21 BASE values against 2 NEW values: also approximated', () => {
    const t = mannWhitneyGreater(range(21, 10), [100, 101]);
    expect(t.p!).toBeCloseTo(normal(42, 2, 21), 9);
  });

  it('in both tails: NEW higher gives a small p, NEW lower a p near 1, each where the normal CDF puts it', () => {
    const base = range(30);
    const higher = mannWhitneyGreater(base, range(30, 12));
    // U counts the pairs NEW > BASE (ties one half): 30 × 30 minus the 18 × 19 / 2 below, minus half the 18 ties
    const u = 900 - (18 * 17) / 2 - 18 / 2;
    expect(higher.p!).toBeCloseTo(normal(u, 30, 30), 9);
    expect(higher.p!).toBeLessThan(0.01);
    const lower = mannWhitneyGreater(base, range(30, -12));
    expect(lower.p!).toBeCloseTo(normal(900 - u, 30, 30), 9);
    expect(lower.p!).toBeGreaterThan(0.99);
    expect(higher.minP!).toBeCloseTo(normal(900, 30, 30), 12);
  });
});
