// Counts judged with their uncertainty: a few events a second cannot carry a ratio rule. Two
// Poisson counts (events in baseline and in stress) are compared the standard way, conditionally:
// given n = a + b events in all, under "the same rate in both" the stress count b is
// Binomial(n, Ts / (Tb + Ts)), and a fall is real only when a count as low as b is unlikely.

/** Φ(z), the standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** P(X ≤ k) for X ~ Binomial(n, p): exact up to 20,000 trials, the normal approximation (continuity-corrected) above. */
export function binomialAtMost(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n || p <= 0) return 1;
  if (p >= 1) return 0;
  if (n > 20_000) return normalCdf((k + 0.5 - n * p) / Math.sqrt(n * p * (1 - p)));
  let log = n * Math.log1p(-p); // P(X = 0)
  let sum = Math.exp(log);
  const odds = Math.log(p / (1 - p));
  for (let i = 1; i <= k; i++) {
    log += Math.log((n - i + 1) / i) + odds;
    sum += Math.exp(log);
  }
  return Math.min(1, sum);
}

/**
 * How surprising it is that stress got only `stress` events in `stressS` seconds when baseline got
 * `baseline` in `baselineS`, if the rate had not changed: the one-sided p-value.
 */
export function fallPValue(baseline: number, baselineS: number, stress: number, stressS: number): number {
  if (!(baselineS > 0) || !(stressS > 0)) return 1;
  // no events at all is P(X ≤ 0) of Binomial(0, p): 1, nothing fell
  return binomialAtMost(Math.round(stress), Math.round(baseline) + Math.round(stress), stressS / (baselineS + stressS));
}
