// The bench's medians are the medians of the rounds printed beside them (BENCHMARKS.md quotes them).
import { describe, expect, it } from 'vitest';
import { renderResult } from '../../bench/main.js';
import { alternate, finiteRounds, median, medians } from '../../bench/rounds.js';

describe('median of rounds', () => {
  it('the middle round of an odd count, the mean of the middle two of an even count', () => {
    // the generator rounds BENCHMARKS.md lists
    expect(median([436_402, 279_295, 223_464])).toBe(279_295);
    expect(median([357_615, 286_195, 228_931])).toBe(286_195);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('a round without a figure is left out, and finiteRounds says so', () => {
    expect(median([NaN, 5, 9, Infinity])).toBe(7);
    expect(median([NaN])).toBeNaN();
    expect(finiteRounds([{ a: 1 }, { a: NaN }, {}], 'a')).toBe(1);
    expect(medians([{ a: 1, b: 10 }, { a: 3 }, { a: 2, b: 30 }])).toEqual({ a: 2, b: 20 });
  });

  it('alternate rotates the order each round; renderResult prints every round beside the median', async () => {
    const order: string[] = [];
    const make = (name: string, values: number[]) => ({
      name,
      measure: async (round: number) => (order.push(name), { perSec: values[round]! }),
    });
    const results = await alternate([make('a', [436_402, 279_295, 223_464]), make('b', [357_615, NaN, 228_931])], 3, () => {});
    expect(order).toEqual(['a', 'b', 'b', 'a', 'a', 'b']);
    expect(results.map((r) => r.median.perSec)).toEqual([279_295, (357_615 + 228_931) / 2]);
    const text = renderResult({ name: 'gen', what: 'w', contenders: results, ratios: {}, params: {}, notes: [] });
    expect(text).toMatch(/^a\s+perSec\s+223,464\s+279,295\s+436,402\s+3\/3$/m);
    expect(text).toMatch(/^b\s+perSec\s+228,931\s+293,273\s+357,615\s+2\/3$/m);
    expect(text).toMatch(/^a\s+1\s+436,402$/m);
    expect(text).toMatch(/^b\s+2\s+—$/m);
  });
});

describe('min / median / max, targets, pinning and the connection plan', () => {
  it('summarize keeps min and max of the finite rounds beside the median', async () => {
    const { summarize } = await import('../../bench/rounds.js');
    const c = summarize('x', [{ a: 5, b: NaN }, { a: 1 }, { a: 9, b: 2 }]);
    expect(c.median).toEqual({ a: 5, b: 2 });
    expect(c.min).toEqual({ a: 1, b: 2 });
    expect(c.max).toEqual({ a: 9, b: 2 });
    const text = renderResult({ name: 'n', what: 'w', contenders: [c], ratios: {}, params: {}, notes: [] });
    expect(text).toMatch(/^x\s+a\s+1\.00\s+5\.00\s+9\.00\s+3\/3$/m);
    expect(text).toMatch(/^\s+b\s+2\.00\s+2\.00\s+2\.00\s+1\/3$/m);
  });

  it('a target is reached, not reached, or not measured; the ratio per round pairs round i with round i', async () => {
    const { target, reachedText, roundRatios, summarize } = await import('../../bench/rounds.js');
    expect(reachedText(target('t', 1.6, '>=', 1.5, '×'))).toBe('reached');
    expect(reachedText(target('t', 1.2, '<=', 1.1, '×'))).toBe('NOT reached');
    expect(reachedText(target('t', NaN, '<=', 1.1, '×'))).toBe('not measured');
    const a = summarize('a', [{ v: 2 }, { v: 6 }, { v: 3 }]);
    const b = summarize('b', [{ v: 1 }, { v: 2 }, { v: 3 }]);
    expect(roundRatios(a, b, 'v')).toEqual({ min: 1, median: 2, max: 3 });
  });

  it('renderTargets prints value, bound and reached per target', async () => {
    const { renderTargets } = await import('../../bench/main.js');
    const { target } = await import('../../bench/rounds.js');
    const text = renderTargets([
      target('saturation ratio', 1.66, '>=', 1.5, '×', 'round by round 1.5–1.8×'),
      target('memory', 11.8, '<=', 8, 'KiB'),
    ]);
    expect(text).toMatch(/^saturation ratio\s+1\.66×\s+≥ 1\.50×\s+reached\s+round by round 1\.5–1\.8×$/m);
    expect(text).toMatch(/^memory\s+11\.8 KiB\s+≤ 8\.00 KiB\s+NOT reached$/m);
  });

  it('parseCpuList and planPinning', async () => {
    const { parseCpuList, planPinning } = await import('../../bench/pinning.js');
    expect(parseCpuList('0-1')).toEqual([0, 1]);
    expect(parseCpuList('0,2-4,7\n')).toEqual([0, 2, 3, 4, 7]);
    const off = planPinning(true);
    expect(off.enabled).toBe(false);
    expect(off.reason).toMatch(/--unpinned/);
  });

  it('planHold caps at the descriptor limit (and says why), shards and spreads source addresses', async () => {
    const { planHold } = await import('../../bench/connections.js');
    const here = planHold(50_000, 20_000, 28_232);
    expect(here.clients).toBe(19_000);
    expect(here.capped).toMatch(/RLIMIT_NOFILE hard limit 20000/);
    expect(here.shards).toBe(1);
    expect(here.sourceAddresses).toEqual([]);
    const big = planHold(50_000, 1_048_576, 28_232);
    expect(big.clients).toBe(50_000);
    expect(big.capped).toBeUndefined();
    expect(big.shards).toBe(2);
    expect(big.sourceAddresses).toEqual(['127.0.0.2', '127.0.0.3']);
  });
});
