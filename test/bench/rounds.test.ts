// The bench's medians are the medians of the rounds printed beside them (BENCHMARKS.md quotes them).
import { describe, expect, it } from 'vitest';
import { renderResult } from '../../src/bench/main.js';
import { alternate, finiteRounds, median, medians } from '../../src/bench/rounds.js';

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
    expect(text).toMatch(/^a\s+279,295$/m);
    expect(text).toMatch(/^b\s+293,273 \(2 of 3 rounds\)$/m);
    expect(text).toMatch(/^a\s+1\s+436,402$/m);
    expect(text).toMatch(/^b\s+2\s+—$/m);
  });
});
