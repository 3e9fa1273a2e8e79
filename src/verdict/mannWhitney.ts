// The one-sided Mann–Whitney U test `compare` uses to ask whether a change is sustained: are the
// NEW run's per-second values stochastically larger than the BASE run's, or could the two sets of
// seconds come from one distribution? Exact for short phases, normal approximation beyond.

export interface RankTest {
  /** One-sided p-value of "next is larger than base"; null when a side has no values. */
  p: number | null;
  /** The smallest p-value these sample sizes can produce: a test that cannot reach α decides nothing. */
  minP: number | null;
  nBase: number;
  nNext: number;
}

const EXACT_MAX = 20;

/** Number of arrangements of m values of one sample and n of the other with each U, as counts[u]. */
function uCounts(m: number, n: number): number[] {
  // f[i][j][u]: arrangements of i and j values with U = u; built up one value at a time
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      // the largest value belongs to sample 1 (it beats all j others) or to sample 2
      const a = prev[j]!;
      const b = cur[j - 1]!;
      const out = new Array<number>(i * j + 1).fill(0);
      for (let u = 0; u < a.length; u++) out[u + j]! += a[u]!;
      for (let u = 0; u < b.length; u++) out[u]! += b[u]!;
      cur.push(out);
    }
    prev = cur;
  }
  return prev[n]!;
}

function normalUpperTail(z: number): number {
  // Abramowitz–Stegun 7.1.26 erfc approximation (error < 1.5e-7): ample for a 1% decision
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** P(U ≥ observed) for "next > base"; ties count one half, rounded down (the cautious side). */
export function mannWhitneyGreater(base: number[], next: number[]): RankTest {
  const m = next.length;
  const n = base.length;
  if (m === 0 || n === 0) return { p: null, minP: null, nBase: n, nNext: m };
  let u = 0;
  for (const x of next) for (const y of base) u += x > y ? 1 : x === y ? 0.5 : 0;
  if (m <= EXACT_MAX && n <= EXACT_MAX) {
    const counts = uCounts(m, n);
    const total = counts.reduce((a, c) => a + c, 0);
    let tail = 0;
    for (let k = Math.floor(u); k < counts.length; k++) tail += counts[k]!;
    return { p: tail / total, minP: 1 / total, nBase: n, nNext: m };
  }
  const mean = (m * n) / 2;
  const sd = Math.sqrt((m * n * (m + n + 1)) / 12);
  return { p: normalUpperTail((u - 0.5 - mean) / sd), minP: normalUpperTail((m * n - 0.5 - mean) / sd), nBase: n, nNext: m };
}
