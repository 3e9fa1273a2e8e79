// Counts judged with their uncertainty: the normal CDF, the binomial tail (exact, then the normal
// approximation above 20,000 trials) and the one-sided p-value of a fall in a Poisson rate.
import { describe, expect, it } from 'vitest';
import { binomialAtMost, fallPValue, normalCdf } from '../../src/verdict/counts.js';

describe('normalCdf', () => {
  it("Φ at known points, on both sides of zero (within the approximation's 1.5e-7)", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1)).toBeCloseTo(0.8413447, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 6);
    expect(normalCdf(8)).toBeCloseTo(1, 12);
  });
});

describe('binomialAtMost', () => {
  it('exact for small n: P(X ≤ k), with p other than one half (so the odds term is not zero)', () => {
    // Binomial(10, 0.3): 0.7^10 + 10 × 0.3 × 0.7^9 + 45 × 0.09 × 0.7^8
    expect(binomialAtMost(2, 10, 0.3)).toBeCloseTo(0.3827828, 7);
    expect(binomialAtMost(0, 10, 0.5)).toBeCloseTo(1 / 1024, 12);
    // Binomial(7, 1/3): (2/3)^7 + 7 × (1/3)(2/3)^6
    expect(binomialAtMost(1, 7, 1 / 3)).toBeCloseTo(576 / 2187, 10);
  });

  it('the edges: below zero nothing, from n up everything, p of 0 and of 1', () => {
    expect(binomialAtMost(-1, 10, 0.5)).toBe(0);
    expect(binomialAtMost(10, 10, 0.5)).toBe(1);
    expect(binomialAtMost(12, 10, 0.5)).toBe(1);
    expect(binomialAtMost(3, 10, 0)).toBe(1);
    expect(binomialAtMost(3, 10, 1)).toBe(0);
  });

  it('exact up to 20,000 trials, where the normal approximation would be off in the tail', () => {
    // Binomial(20000, 0.001) has mean 20: P(X ≤ 10) ≈ 0.0108 (Poisson(20) gives 0.0108); the normal curve says 0.0168
    const exact = binomialAtMost(10, 20_000, 0.001);
    expect(exact).toBeGreaterThan(0.0095);
    expect(exact).toBeLessThan(0.012);
  });

  it('above 20,000 trials, the continuity-corrected normal approximation', () => {
    const n = 30_000;
    const p = 0.001;
    expect(binomialAtMost(15, n, p)).toBeCloseTo(normalCdf((15 + 0.5 - n * p) / Math.sqrt(n * p * (1 - p))), 12);
    expect(binomialAtMost(15, n, p)).toBeGreaterThan(0.0038); // the exact tail is ≈ 0.0035
  });
});

describe('fallPValue', () => {
  it('the chance of a count this low in stress if the rate had not changed', () => {
    // 7 events in all, stress a third of the time: P(X ≤ 1) for Binomial(7, 1/3)
    expect(fallPValue(6, 2, 1, 1)).toBeCloseTo(576 / 2187, 10);
    // counts are whole events
    expect(fallPValue(5.6, 2, 0.6, 1)).toBeCloseTo(576 / 2187, 10);
    // the same rate in both: nothing surprising
    expect(fallPValue(4, 1, 3, 1)).toBeCloseTo(0.5, 10);
  });

  it('a fall of a few events is chance; the same fall over many events is not', () => {
    expect(fallPValue(10, 1, 5, 1)).toBeGreaterThan(0.1);
    expect(fallPValue(1_000, 1, 500, 1)).toBeLessThan(1e-6);
  });

  it('no events, or no time on either side: nothing can be said (p = 1)', () => {
    expect(fallPValue(0, 8, 0, 10)).toBe(1);
    expect(fallPValue(10, 0, 5, 10)).toBe(1);
    expect(fallPValue(10, 8, 5, 0)).toBe(1);
    expect(fallPValue(10, Number.NaN, 5, 10)).toBe(1);
  });
});
