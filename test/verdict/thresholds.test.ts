// Unit tests of the threshold grammar and evaluator, value by value: every metric and aggregation,
// every operator at its boundary, every error with its column, and the selection rules (tags, an
// untagged key skips warmup, no data is a failure). Written so a mutant of the grammar or evaluator fails:
// records are built inside each test, never while the file loads, because a file that throws while
// it collects its tests reports no failed test, and Stryker then counts the mutant as survived.
import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, recordUs, summarize } from '../../src/measurement/histogram.js';
import { zeroCounters } from '../../src/measurement/recorder.js';
import type { PhaseCounters, PhaseResult, RunRecord } from '../../src/record/schema.js';
import { evaluateThresholds, formatMeasure } from '../../src/verdict/thresholds.js';
import {
  METRICS,
  parseThresholdExpression,
  parseThresholdFlag,
  parseThresholdKey,
  parseThresholds,
  ThresholdSyntaxError,
} from '../../src/scenario/thresholdGrammar.js';
import { generateSamples, recordFromSamples } from '../support/fixtureRecord.js';

describe('parseThresholdKey', () => {
  it('a bare metric, and tags in any order with spaces around them', () => {
    expect(parseThresholdKey('hol')).toEqual({ metric: 'hol', tags: {} });
    expect(parseThresholdKey('  latency{ phase : stress , group:fast }')).toEqual({
      metric: 'latency',
      tags: { group: 'fast', phase: 'stress' },
    });
    expect(parseThresholdKey('outOfOrder{group:a-1.b}')).toEqual({ metric: 'outOfOrder', tags: { group: 'a-1.b' } });
    expect(METRICS).toEqual(['latency', 'uncorrected', 'missing', 'delivered', 'duplicates', 'outOfOrder', 'stall', 'hol', 'generator']);
    for (const m of METRICS) expect(parseThresholdKey(m).metric).toBe(m);
  });

  it.each([
    ['latency{group:fast', '"latency{group:fast": at column 8: expected metric or metric{tag:value,…}'],
    ['  lat-ency', '"  lat-ency": at column 6: expected metric or metric{tag:value,…}'],
    ['9lives', '"9lives": at column 1: expected metric or metric{tag:value,…}'],
    [
      '  latncy',
      '"  latncy": at column 3: unknown metric "latncy" (did you mean latency? expected latency, uncorrected, missing, delivered, duplicates, outOfOrder, stall, hol, generator)',
    ],
    ['latency{}', '"latency{}": at column 9: bad tag "" (expected tag:value)'],
    ['latency{group:fast, grp:x}', '"latency{group:fast, grp:x}": at column 21: unknown tag "grp" (expected group, phase)'],
    ['latency{group:fast,  oops}', '"latency{group:fast,  oops}": at column 22: bad tag "oops" (expected tag:value)'],
    ['latency{group:two words}', '"latency{group:two words}": at column 9: bad tag "group:two words" (expected tag:value)'],
    ['latency{group:}', '"latency{group:}": at column 9: bad tag "group:" (expected tag:value)'],
    ['latency{1group:fast}', '"latency{1group:fast}": at column 9: bad tag "1group:fast" (expected tag:value)'],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseThresholdKey(text)).toThrow(ThresholdSyntaxError);
    expect(() => parseThresholdKey(text)).toThrow(message);
  });
});

describe('parseThresholdExpression', () => {
  const key = (text: string) => parseThresholdKey(text);
  const parse = (k: string, e: string) => parseThresholdExpression(key(k), k, e);

  it('every operator, kept as written', () => {
    for (const op of ['<', '<=', '>', '>=', '==', '!='] as const)
      expect(parse('missing', `count${op}3`)).toMatchObject({ operator: op, bound: 3 });
    expect(parse('missing', 'count  <=  3').operator).toBe('<=');
  });

  it('percentiles: p(N) with decimals and spaces, 0 and 100 included', () => {
    expect(parse('latency', 'p(99.9)<1ms')).toMatchObject({ aggregation: 'p(99.9)', percentile: 99.9, bound: 1000 });
    expect(parse('latency', 'p(99.95)<1ms').percentile).toBe(99.95);
    expect(parse('uncorrected', 'p(99.95)<1ms').percentile).toBe(99.95);
    expect(parse('latency', ' p( 50 ) < 2s')).toMatchObject({ aggregation: 'p(50)', percentile: 50, bound: 2_000_000 });
    expect(parse('latency', 'p(0)<1ms').percentile).toBe(0);
    expect(parse('latency', 'p(100)<1ms').percentile).toBe(100);
    expect(parse('latency', 'max<1ms').percentile).toBeUndefined();
  });

  it('units: µs, us, ms, s scale a duration; a number without unit is a plain bound elsewhere', () => {
    expect(['5us', '5µs', '5ms', '5s', '1.5ms', '1.25ms', '5 ms'].map((v) => parse('stall', `max<${v}`).bound)).toEqual([
      5, 5, 5000, 5_000_000, 1500, 1250, 5000,
    ]);
    expect(parse('hol', 'index<2.5').bound).toBe(2.5);
    expect(parse('generator', 'cpuPercent<90%').bound).toBe(90);
    expect(parse('missing', 'rate<=0.5%').bound).toBe(0.5);
    expect(parse('delivered', 'rate>=-1').bound).toBe(-1);
    // count of latency is a number of events, not a duration
    expect(parse('latency', 'count>=100').bound).toBe(100);
    expect(parse('uncorrected', 'count>=100').bound).toBe(100);
  });

  it('booleans: generator bound only; true is 1, false is 0', () => {
    expect(parse('generator', 'bound==true').bound).toBe(1);
    expect(parse('generator', 'bound != false').bound).toBe(0);
  });

  it('the source text is the key and the trimmed expression', () => {
    expect(parse('latency{group:fast}', '  p(99) < 5ms  ').source).toBe('latency{group:fast}: p(99) < 5ms');
    expect(parse('latency{group:fast}', 'p(99)<5ms').key).toEqual({ metric: 'latency', tags: { group: 'fast' } });
  });

  it.each([
    ['latency', '', '"": at column 1: expected an aggregation such as p(99), max, count, index, bound'],
    ['latency', '<5ms', '"<5ms": at column 1: expected an aggregation such as p(99), max, count, index, bound'],
    ['latency', '  median<5ms', '"  median<5ms": at column 3: "median" is not an aggregation of latency'],
    [
      'latency',
      'p99<100ms',
      '"p99<100ms": at column 1: "p99" is not an aggregation of latency (did you mean p(99)? expected p(N), max, min, mean, count)',
    ],
    ['latency', 'p99.9<1s', 'did you mean p(99.9)?'],
    ['latency', 'mx<1s', '"mx" is not an aggregation of latency (did you mean max? expected'],
    ['stall', 'p99<1s', '"p99" is not an aggregation of stall (expected max)'],
    ['latency', 'p(99)5ms', '"p(99)5ms": at column 6: expected an operator (<, <=, >, >=, ==, !=)'],
    ['latency', 'p(99) =< 5ms', '"p(99) =< 5ms": at column 6: expected an operator (<, <=, >, >=, ==, !=)'],
    ['latency', 'p(100.5)<5ms', '"p(100.5)<5ms": at column 1: percentile 100.5 is outside 0..100'],
    ['latency', '  p(101)<5ms', '"  p(101)<5ms": at column 3: percentile 101 is outside 0..100'],
    ['latency', 'p(99)<x5ms', '"p(99)<x5ms": at column 7: expected a number with an optional unit (µs, ms, s, m, h) or true/false'],
    ['latency', 'x p(101)<5ms', '"x p(101)<5ms": at column 1: "x" is not an aggregation of latency'],
    ['latency', 'p(99)<  soon', '"p(99)<  soon": at column 9: expected a number with an optional unit (µs, ms, s, m, h) or true/false'],
    [
      'latency',
      'p(99)<5ms extra',
      '"p(99)<5ms extra": at column 7: expected a number with an optional unit (µs, ms, s, m, h) or true/false',
    ],
    ['latency', 'p(99)<5', '"p(99)<5": at column 8: latency p(99) is a duration: give a unit (µs, ms, s)'],
    ['stall', 'max < 5 ', '"max < 5 ": at column 9: stall max is a duration: give a unit (µs, ms, s)'],
    ['missing', 'count<5ms', '"count<5ms": at column 8: unit "ms" on missing count, which is not a duration'],
    ['latency', 'count<5s', '"count<5s": at column 8: unit "s" on latency count, which is not a duration'],
    ['hol', 'index==true', '"index==true": at column 8: true/false only compares with generator bound'],
    ['missing', 'max<5', '"max<5": at column 1: "max" is not an aggregation of missing'],
    ['duplicates', 'rate<5', '"rate<5": at column 1: "rate" is not an aggregation of duplicates'],
    ['outOfOrder', 'rate<5', '"rate<5": at column 1: "rate" is not an aggregation of outOfOrder'],
    ['stall', 'p(99)<5ms', '"p(99)<5ms": at column 1: "p(99)" is not an aggregation of stall'],
    ['generator', 'busy<5', '"busy<5": at column 1: "busy" is not an aggregation of generator'],
    ['hol', 'xindex<5', '"xindex<5": at column 1: "xindex" is not an aggregation of hol'],
    ['hol', 'indexes<5', '"indexes<5": at column 1: "indexes" is not an aggregation of hol'],
  ])('%s: %j is refused', (k, e, message) => {
    expect(() => parse(k, e)).toThrow(ThresholdSyntaxError);
    expect(() => parse(k, e)).toThrow(message);
  });

  it('aggregation names match whole: no prefix, no suffix', () => {
    const names: Record<string, string[]> = {
      latency: ['max', 'p(99)'],
      uncorrected: ['max', 'p(99)'],
      missing: ['count', 'rate'],
      delivered: ['count', 'rate'],
      duplicates: ['count'],
      outOfOrder: ['count'],
      stall: ['max'],
      hol: ['index'],
      generator: ['bound', 'cpuPercent'],
    };
    for (const [metric, aggs] of Object.entries(names)) {
      for (const agg of aggs) {
        const literal = agg.startsWith('p(') ? ['xp(99)'] : [`x${agg}`, `${agg}x`];
        for (const bad of literal) expect(() => parse(metric, `${bad}<1`), `${metric}: ${bad}`).toThrow('is not an aggregation of');
      }
    }
  });

  it('each metric takes exactly its aggregations', () => {
    const ok: Record<string, string[]> = {
      latency: ['p(99)<1ms', 'max<1ms', 'min<1ms', 'mean<1ms', 'count>1'],
      uncorrected: ['p(99)<1ms', 'max<1ms', 'min<1ms', 'mean<1ms', 'count>1'],
      missing: ['count<1', 'rate<1'],
      delivered: ['count>1', 'rate>1'],
      duplicates: ['count<1'],
      outOfOrder: ['count<1'],
      stall: ['max<1s'],
      hol: ['index<3', 'p50index<3', 'stallIndex<3', 'deliveryRatio>0.9'],
      generator: ['bound==false', 'cpuPercent<90', 'eventLoopDelayP99<20000'],
    };
    for (const [metric, exprs] of Object.entries(ok))
      for (const e of exprs) expect(() => parse(metric, e), `${metric}: ${e}`).not.toThrow();
  });
});

describe('parseThresholds and parseThresholdFlag', () => {
  it('one key, several expressions', () => {
    const ts = parseThresholds('latency{group:fast}', ['p(99)<50ms', 'max<1s']);
    expect(ts.map((t) => t.source)).toEqual(['latency{group:fast}: p(99)<50ms', 'latency{group:fast}: max<1s']);
    expect(parseThresholds('hol', [])).toEqual([]);
    expect(() => parseThresholds('nope', [])).toThrow('unknown metric "nope"');
  });

  it('a flag splits at the colon after the tags, or at the first colon without tags', () => {
    expect(parseThresholdFlag('latency{group:fast,phase:stress}: p(99)<50ms')).toEqual({
      key: 'latency{group:fast,phase:stress}',
      expression: 'p(99)<50ms',
    });
    expect(parseThresholdFlag('  hol :  index<3 ')).toEqual({ key: 'hol', expression: 'index<3' });
    expect(parseThresholdFlag('hol:index<3')).toEqual({ key: 'hol', expression: 'index<3' });
    expect(() => parseThresholdFlag('index<3')).toThrow(`"index<3": expected 'metric{tags}: expression'`);
    expect(() => parseThresholdFlag(': index<3')).toThrow(ThresholdSyntaxError);
    // a metric without its colon: where the colon goes, written out
    expect(() => parseThresholdFlag('latency p(99)<50ms')).toThrow(
      `"latency p(99)<50ms": at column 8: expected ':' between "latency" and "p(99)<50ms" (write 'latency: p(99)<50ms')`,
    );
    expect(() => parseThresholdFlag('latency{group:fast} p(99)<50ms')).toThrow(`(write 'latency{group:fast}: p(99)<50ms')`);
    expect(() => parseThresholdFlag('latency{group:fast}')).toThrow(`(no expression after "latency{group:fast}")`);
    expect(parseThresholdFlag('x:y')).toEqual({ key: 'x', expression: 'y' });
  });
});

// --- evaluation on a record with known values --------------------------------------------------

function phase(values: number[], counters: Partial<PhaseCounters>, clients: number, uncorrected: number[] = values): PhaseResult {
  const h = createHistogram();
  for (const v of values) recordUs(h, v);
  const u = createHistogram();
  for (const v of uncorrected) recordUs(u, v);
  const c = createHistogram();
  return {
    ...zeroCounters(),
    ...counters,
    clients,
    latencyUs: summarize(h),
    uncorrectedUs: summarize(u),
    connectUs: summarize(c),
    ackUs: summarize(c),
    deliveredPerClientPerSec: 0,
    histogram: encodeHistogram(h),
    uncorrectedHistogram: encodeHistogram(u),
    connectHistogram: encodeHistogram(c),
    ackHistogram: encodeHistogram(c),
  };
}

/** fast: warmup (values 90 ms, to be skipped), baseline ~1 ms, stress 0.5–2 ms; slow: stress only. Values HDR keeps exactly. */
function knownRecord(): RunRecord {
  const r = structuredClone(recordFromSamples(generateSamples(3)));
  r.phases = [
    { name: 'warmup', role: 'warmup', startUs: 0, durationUs: 1_000_000 },
    { name: 'baseline', role: 'baseline', startUs: 1_000_000, durationUs: 2_000_000 },
    { name: 'stress', role: 'stress', startUs: 3_000_000, durationUs: 4_000_000 },
  ];
  const fast = r.groups.find((g) => g.name === 'fast')!;
  fast.phases = {
    warmup: phase([90_000, 90_000], { delivered: 2, arrived: 2, missing: 9, duplicates: 50, outOfOrder: 50, maxStallUs: 9_000_000 }, 2),
    baseline: phase([1000, 1000, 1001, 1001], { delivered: 4, arrived: 4, missing: 0, duplicates: 1, maxStallUs: 20_000 }, 2),
    stress: phase(
      [500, 1000, 1500, 2000],
      { delivered: 3, arrived: 6, missing: 1, outOfOrder: 2, maxStallUs: 300_000 },
      2,
      [500, 500, 500, 500],
    ),
  };
  const slow = r.groups.find((g) => g.name === 'stalled')!;
  slow.phases = { stress: phase([2047], { delivered: 0, arrived: 0, missing: 1, maxStallUs: 4_000_000 }, 1) };
  r.hol = { ...r.hol, verdict: 'hol', index: 4, p50Index: 1.5, stallIndex: 15, deliveryRatio: 0.75 };
  r.generator = { ...r.generator, bound: false, cpuPercent: 41.5, eventLoopDelayP99Us: 2100 };
  return r;
}

describe('evaluateThresholds', () => {
  const one = (key: string, expr: string) => evaluateThresholds(knownRecord(), { [key]: [expr] })[0]!;

  it('latency: percentiles, min, max, mean and count of the selected histograms', () => {
    expect(one('latency{group:fast,phase:stress}', 'p(50)<1s').measured).toBe(1000);
    expect(one('latency{group:fast,phase:stress}', 'p(75)<1s').measured).toBe(1500);
    expect(one('latency{group:fast,phase:stress}', 'p(100)<1s').measured).toBe(2000);
    expect(one('latency{group:fast,phase:stress}', 'max<1s').measured).toBe(2000);
    expect(one('latency{group:fast,phase:stress}', 'min<1s').measured).toBe(500);
    expect(one('latency{group:fast,phase:stress}', 'mean<1s').measured).toBe(1250);
    expect(one('latency{group:fast,phase:stress}', 'count>0')).toMatchObject({ measured: 4, unit: '' });
    expect(one('uncorrected{group:fast,phase:stress}', 'max<1s')).toMatchObject({ measured: 500, unit: 'µs' });
    expect(one('uncorrected{group:fast,phase:stress}', 'count>0').measured).toBe(4);
    // a mean of 1000.5 is rounded to a whole microsecond
    expect(one('latency{group:fast,phase:baseline}', 'mean<1s').measured).toBe(1001);
  });

  it('an untagged or group-only key covers every phase but warmup, and every group', () => {
    expect(one('latency{group:fast}', 'max<1s').measured).toBe(2000); // the 90 ms warmup values are left out
    expect(one('latency{group:fast}', 'count>0').measured).toBe(8);
    expect(one('missing', 'count==0').measured).toBe(2); // fast stress 1 + stalled 1, not warmup's 9
    expect(one('missing{phase:warmup}', 'count==0').measured).toBe(9); // … unless asked for by name
    expect(one('latency{phase:stress}', 'max<1s').measured).toBe(2047);
    expect(one('stall', 'max<10s').measured).toBe(4_000_000);
    expect(one('stall{group:fast}', 'max<10s')).toMatchObject({ measured: 300_000, unit: 'µs' });
  });

  it('counters: missing (count, rate), delivered (count, rate per client-second), duplicates, out of order', () => {
    expect(one('missing{group:fast,phase:stress}', 'rate<1')).toMatchObject({ measured: 0.25, unit: '' });
    expect(one('missing{group:fast,phase:stress}', 'count<9')).toMatchObject({ measured: 1, unit: '' });
    expect(one('missing{group:stalled}', 'rate<1').measured).toBe(1);
    expect(one('delivered{group:fast}', 'count>0')).toMatchObject({ measured: 7, unit: '' });
    // arrived 4 + 6 over 2 clients × (2 s + 4 s)
    expect(one('delivered{group:fast}', 'rate>0')).toMatchObject({ measured: 10 / 12, unit: '/s' });
    expect(one('duplicates{group:fast}', 'count==0')).toMatchObject({ measured: 1, unit: '' });
    expect(one('outOfOrder{group:fast}', 'count==0')).toMatchObject({ measured: 2, unit: '' });
  });

  it('no owed events and no client-seconds give a rate of 0, not NaN', () => {
    const r = knownRecord();
    r.groups[0]!.phases.stress = phase([], { delivered: 0, missing: 0 }, 0);
    const [missing, delivered] = evaluateThresholds(r, {
      'missing{group:fast,phase:stress}': ['rate==0'],
      'delivered{group:fast,phase:stress}': ['rate==0'],
    });
    expect(missing).toMatchObject({ measured: 0, passed: true });
    expect(delivered).toMatchObject({ measured: 0, passed: true });
  });

  it('hol: index, p50index, stallIndex, deliveryRatio from the verdict, in ×', () => {
    expect(one('hol', 'index<3')).toMatchObject({ measured: 4, unit: '×', passed: false });
    expect(one('hol', 'p50index<3').measured).toBe(1.5);
    expect(one('hol', 'stallIndex<3').measured).toBe(15);
    expect(one('hol', 'deliveryRatio>=0.9')).toMatchObject({
      measured: 0.75,
      passed: false,
      message: 'hol: deliveryRatio>=0.9: measured 0.75× against bound >= 0.9×',
    });
    const r = knownRecord();
    r.hol.index = null;
    expect(evaluateThresholds(r, { hol: ['index<3'] })[0]).toMatchObject({
      measured: null,
      passed: false,
      message: 'hol: index<3: no data (nothing matched hol)',
    });
  });

  it('generator: bound as a boolean, cpuPercent in %, eventLoopDelayP99 in µs', () => {
    expect(one('generator', 'bound==false')).toMatchObject({
      measured: 0,
      unit: 'bool',
      passed: true,
      message: 'generator: bound==false: measured false within bound == false',
    });
    const bound = knownRecord();
    bound.generator.bound = true;
    expect(evaluateThresholds(bound, { generator: ['bound==false'] })[0]).toMatchObject({
      measured: 1,
      passed: false,
      message: 'generator: bound==false: measured true against bound == false',
    });
    expect(one('generator', 'cpuPercent<40')).toMatchObject({
      measured: 41.5,
      unit: '%',
      passed: false,
      message: 'generator: cpuPercent<40: measured 41.5% against bound < 40%',
    });
    expect(one('generator', 'eventLoopDelayP99<20000')).toMatchObject({ measured: 2100, unit: 'µs', passed: true });
  });

  it('every operator at its boundary', () => {
    const at = (expr: string): boolean => one('latency{group:fast,phase:stress}', expr).passed;
    expect([at('max<2ms'), at('max<=2ms'), at('max>2ms'), at('max>=2ms'), at('max==2ms'), at('max!=2ms')]).toEqual([
      false,
      true,
      false,
      true,
      true,
      false,
    ]);
    expect([at('max<2001us'), at('max<=1999us'), at('max>1999us'), at('max>=2001us'), at('max!=1999us'), at('max==1999us')]).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    expect([at('max>=1999us'), at('max<=2001us')]).toEqual([true, true]);
  });

  it('nothing matched, or an empty histogram, is no data and a failure — never a pass', () => {
    expect(one('latency{group:nobody}', 'p(99)<1s')).toMatchObject({
      measured: null,
      unit: '',
      passed: false,
      message: 'latency{group:nobody}: p(99)<1s: no data (nothing matched latency{group:nobody})',
    });
    expect(one('missing{phase:nope}', 'count==0')).toMatchObject({ measured: null, passed: false });
    const r = knownRecord();
    r.groups[0]!.phases.stress = phase([], {}, 2);
    const [p99, count] = evaluateThresholds(r, { 'latency{group:fast,phase:stress}': ['p(99)<1s', 'count==0'] });
    expect(p99).toMatchObject({ measured: null, unit: 'µs', passed: false });
    expect(count).toMatchObject({ measured: 0, passed: true });
  });

  it('messages carry the measured value beside the bound, in the unit of the metric', () => {
    expect(one('latency{group:fast,phase:stress}', 'p(99)<1ms')).toEqual({
      threshold: 'latency{group:fast,phase:stress}: p(99)<1ms',
      measured: 2000,
      operator: '<',
      bound: 1000,
      unit: 'µs',
      passed: false,
      message: 'latency{group:fast,phase:stress}: p(99)<1ms: measured 2.00ms against bound < 1.00ms',
    });
    expect(one('missing{group:fast,phase:stress}', 'count<=1').message).toBe(
      'missing{group:fast,phase:stress}: count<=1: measured 1 within bound <= 1',
    );
    expect(evaluateThresholds(knownRecord(), { missing: ['count==0', 'count<5'], hol: ['index<5'] }).map((o) => o.passed)).toEqual([
      false,
      true,
      true,
    ]);
  });
});

describe('formatMeasure', () => {
  it('µs as durations, booleans as words, ratios with ×, others rounded to 3 decimals with their unit', () => {
    expect(formatMeasure(850, 'µs')).toBe('850µs');
    expect(formatMeasure(12_345, 'µs')).toBe('12.3ms');
    expect(formatMeasure(1, 'bool')).toBe('true');
    expect(formatMeasure(0, 'bool')).toBe('false');
    expect(formatMeasure(1.23456, '×')).toBe('1.235×');
    expect(formatMeasure(41.5, '%')).toBe('41.5%');
    expect(formatMeasure(2 / 3, '/s')).toBe('0.667/s');
    expect(formatMeasure(7, '')).toBe('7');
  });
});
