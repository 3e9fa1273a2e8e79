// The threshold grammar at its edges (the common forms and their errors are in
// test/verdict/thresholds.test.ts): every duration unit, the percentile range, a name with nothing
// near it, a flag with its colon misplaced, and a key naming a group or phase the scenario lacks.
import { describe, expect, it } from 'vitest';
import {
  parseThresholdExpression,
  parseThresholdFlag,
  parseThresholdKey,
  ThresholdSyntaxError,
  unknownThresholdName,
} from '../../src/scenario/thresholdGrammar.js';

const parse = (k: string, e: string) => parseThresholdExpression(parseThresholdKey(k), k, e);
const EXAMPLE = `'latency{group:fast}: p(99)<50ms'`;

describe('expressions', () => {
  it('minutes and hours are durations too', () => {
    expect(parse('stall', 'max<2m').bound).toBe(120_000_000);
    expect(parse('latency', 'p(99)<1h').bound).toBe(3_600_000_000);
    expect(parse('latency', 'max < 0.5s').bound).toBe(500_000);
  });

  it('a percentile up to 100 is one; just over is refused where it was written', () => {
    expect(parse('latency', 'p(100.0)<1s').percentile).toBe(100);
    expect(() => parse('latency', ' p(100.01)<1s')).toThrow('" p(100.01)<1s": at column 2: percentile 100.01 is outside 0..100');
  });

  it('a name with nothing near it: no guess, the names it could be', () => {
    expect(() => parseThresholdKey('zzz')).toThrow(
      '"zzz": at column 1: unknown metric "zzz" (expected latency, uncorrected, missing, delivered, duplicates, outOfOrder, stall, hol, generator)',
    );
    expect(() => parse('hol', 'zzz<1')).toThrow(
      '"zzz<1": at column 1: "zzz" is not an aggregation of hol (expected index, p50index, stallIndex, deliveryRatio)',
    );
    expect(() => parse('generator', 'bond==true')).toThrow('(did you mean bound? expected bound, cpuPercent, eventLoopDelayP99)');
    // p99 means p(99) only when that is all there is
    for (const agg of ['xp99', 'p99x'])
      expect(() => parse('latency', `${agg}<1s`)).toThrow(
        `"${agg}" is not an aggregation of latency (expected p(N), max, min, mean, count)`,
      );
  });
});

describe('parseThresholdFlag', () => {
  it('nothing after the colon: an expression is needed', () => {
    expect(() => parseThresholdFlag('hol:   ')).toThrow(
      `"hol:   ": expected 'metric{tags}: expression', such as ${EXAMPLE} (no expression after "hol")`,
    );
    expect(() => parseThresholdFlag('latency{group:fast}:')).toThrow(`(no expression after "latency{group:fast}")`);
  });

  it('an aggregation without its metric names the metric it belongs to; a word that is neither lists the metrics', () => {
    expect(() => parseThresholdFlag('index<3')).toThrow(`"index" is not a metric (write 'hol: index<3')`);
    expect(() => parseThresholdFlag('latncy p(99)<5ms')).toThrow(/"latncy" is not a metric \(metrics: latency, uncorrected, /);
    expect(() => parseThresholdFlag('index<3')).not.toThrow(/no expression after/);
  });

  it('no metric before the colon: the form expected, and nothing more to say', () => {
    const message = (text: string): string => {
      try {
        parseThresholdFlag(text);
      } catch (e) {
        expect(e).toBeInstanceOf(ThresholdSyntaxError);
        return (e as Error).message;
      }
      return 'parsed';
    };
    expect(message(': index<3')).toBe(`": index<3": expected 'metric{tags}: expression', such as ${EXAMPLE}`);
    expect(message('')).toBe(`"": expected 'metric{tags}: expression', such as ${EXAMPLE}`);
  });

  it("a missing colon's column counts the leading spaces", () => {
    expect(() => parseThresholdFlag('  latency p(99)<50ms')).toThrow(
      `"  latency p(99)<50ms": at column 10: expected ':' between "latency" and "p(99)<50ms" (write 'latency: p(99)<50ms')`,
    );
  });

  it('the colon that splits is the first one after the tags, or the first one without tags', () => {
    expect(parseThresholdFlag('latency{phase:stress}:p(99)<5ms')).toEqual({ key: 'latency{phase:stress}', expression: 'p(99)<5ms' });
    expect(parseThresholdFlag('missing:count==0')).toEqual({ key: 'missing', expression: 'count==0' });
  });
});

describe('unknownThresholdName', () => {
  const names = { groups: ['fast', 'stalled'], phases: ['warmup', 'baseline', 'stress'] };

  it("a key whose names are all the scenario's, or that names none, is fine", () => {
    expect(unknownThresholdName(parseThresholdKey('latency{group:fast,phase:stress}'), names)).toBeUndefined();
    expect(unknownThresholdName(parseThresholdKey('hol'), names)).toBeUndefined();
  });

  it('an unknown group or phase: what exists, and what was probably meant', () => {
    expect(unknownThresholdName(parseThresholdKey('latency{group:fsat}'), names)).toBe(
      'no group "fsat" in this scenario (did you mean "fast"? groups: fast, stalled)',
    );
    expect(unknownThresholdName(parseThresholdKey('latency{group:zzz}'), names)).toBe(
      'no group "zzz" in this scenario (groups: fast, stalled)',
    );
    expect(unknownThresholdName(parseThresholdKey('latency{group:fast,phase:stres}'), names)).toBe(
      'no phase "stres" in this scenario (did you mean "stress"? phases: warmup, baseline, stress)',
    );
  });
});

describe("each metric's aggregations, as the docs list them", () => {
  // the table a user reads in docs/thresholds: what each metric takes, and whether its bound is a duration
  const TABLE: [metric: string, aggs: string[], percentiles: boolean, duration: boolean][] = [
    ['latency', ['max', 'min', 'mean', 'count'], true, true],
    ['uncorrected', ['max', 'min', 'mean', 'count'], true, true],
    ['missing', ['count', 'rate'], false, false],
    ['delivered', ['count', 'rate'], false, false],
    ['duplicates', ['count'], false, false],
    ['outOfOrder', ['count'], false, false],
    ['stall', ['max'], false, true],
    ['hol', ['index', 'p50index', 'stallIndex', 'deliveryRatio'], false, false],
    ['generator', ['bound', 'cpuPercent', 'eventLoopDelayP99'], false, false],
  ];
  const every = [...new Set(TABLE.flatMap(([, aggs]) => aggs))];

  it.each(TABLE)('%s takes %j, a percentile: %s, a duration: %s — and nothing else', (metric, aggs, percentiles, duration) => {
    for (const agg of aggs) {
      if (agg === 'bound') {
        expect(parse(metric, 'bound == true').bound).toBe(1);
        continue;
      }
      const timed = duration && agg !== 'count'; // a count is a number even of a duration
      const parsed = parse(metric, timed ? `${agg} < 2ms` : `${agg} < 2`);
      expect(parsed).toMatchObject({ aggregation: agg, operator: '<', bound: timed ? 2_000 : 2 });
      if (timed) expect(() => parse(metric, `${agg} < 2`)).toThrow(`${metric} ${agg} is a duration: give a unit`);
      else expect(() => parse(metric, `${agg} < 2ms`)).toThrow(`unit "ms" on ${metric} ${agg}, which is not a duration`);
    }
    for (const other of every.filter((a) => !aggs.includes(a)))
      expect(() => parse(metric, `${other} < 2`), `${metric} ${other}`).toThrow(`"${other}" is not an aggregation of ${metric}`);
    if (percentiles) expect(parse(metric, 'p( 99.9 ) < 1s')).toMatchObject({ aggregation: 'p(99.9)', percentile: 99.9, bound: 1_000_000 });
    else expect(() => parse(metric, 'p(99) < 1')).toThrow(`"p(99)" is not an aggregation of ${metric}`);
  });

  it('p99.9 written bare is read as meaning p(99.9), where percentiles exist', () => {
    expect(() => parse('latency', 'p99.9<1s')).toThrow('did you mean p(99.9)?');
    expect(() => parse('latency', 'p99<1s')).toThrow('did you mean p(99)?');
  });

  it('a flag with no colon, an aggregation for its metric, spaces kept out of the key', () => {
    expect(() => parseThresholdFlag('  latency{group:fast}  p(99)<50ms')).toThrow(
      `"  latency{group:fast}  p(99)<50ms": at column 22: expected ':' between "latency{group:fast}" and "p(99)<50ms" (write 'latency{group:fast}: p(99)<50ms')`,
    );
    expect(() => parseThresholdFlag('deliveryRatio>0.9')).toThrow(`(write 'hol: deliveryRatio>0.9')`);
    expect(() => parseThresholdFlag('latency{group:fast}')).toThrow('(no expression after "latency{group:fast}")');
    expect(() => parseThresholdKey(' 9lat')).toThrow('" 9lat": at column 2: expected metric or metric{tag:value,…}');
  });
});
