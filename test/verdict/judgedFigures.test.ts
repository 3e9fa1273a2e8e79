// What the verdict says it judged: each figure (index, p50Index, stallIndex, deliveryRatio) is
// judged only when its rule could judge, a threshold on it follows that, a `none` quotes only the
// figures of rules that judged, and no infinity reaches the evidence or the record.
import { describe, expect, it } from 'vitest';
import { analyseHol } from '../../src/verdict/hol.js';
import { finalizeRecord } from '../../src/verdict/finalize.js';
import { NO_CLIENT } from '../../src/util/ticksCodec.js';
import { RULES, steady, verdictRecord, type VerdictSpec } from '../support/verdictRecord.js';

const record = (spec: Partial<VerdictSpec>) =>
  verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), ages: () => 2_000, ...spec });
const judge = (spec: Partial<VerdictSpec>) => analyseHol(record(spec), RULES);
const finalize = (spec: Partial<VerdictSpec>, thresholds: Record<string, string[]>) =>
  finalizeRecord(record(spec), { hol: RULES, thresholds });
// a single fast client reading 4 events in baseline and 3 in stress: too few for a delivery ratio
const FEW = { fastClients: 1, baseCounters: { arrived: 4 }, stressCounters: { arrived: 3 } };

describe('the none summary quotes only rules that judged', () => {
  it('every rule judged: freezes, p99 seconds and delivery are all quoted', () => {
    const r = judge({ baseCounters: { arrived: 160_000 }, stressCounters: { arrived: 200_000 } });
    expect(r.verdict).toBe('none');
    expect(r.summary).toMatch(/frozen together in stress: none/);
    expect(r.summary).toMatch(/0 of 10 stress seconds above the p99 floor/);
    expect(r.summary).toMatch(/delivery 1\.00×, nothing missed$/);
  });

  it('a delivery rule that could not judge is said so, with no ratio', () => {
    const r = judge(FEW);
    expect(r.verdict).toBe('none');
    expect(r.summary).toMatch(/delivery: not judged \(too few events\), nothing missed$/);
    expect(r.summary).not.toMatch(/delivery 0\.\d/);
  });

  it('a p99 rule without its whole seconds is said so, with no count of seconds above a floor', () => {
    const r = judge({ stress: steady(2_000, 2) });
    expect(r.verdict).toBe('none');
    expect(r.summary).toMatch(/p99: not judged \(8 whole seconds of baseline, 2 of stress\)/);
    expect(r.summary).not.toMatch(/stress seconds above the p99 floor/);
  });
});

describe('judged-ness per figure, and thresholds that read it', () => {
  it('a run where every rule judged: every figure judged, and its threshold passes or fails on its value', () => {
    const out = finalize(
      { baseCounters: { arrived: 160_000 }, stressCounters: { arrived: 200_000 } },
      { hol: ['index<1.5', 'deliveryRatio>=0.9'] },
    );
    expect(out.hol.judged).toEqual({ index: true, p50Index: true, stallIndex: true, deliveryRatio: true });
    expect(out.thresholds.map((t) => [t.passed, t.judged])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
  });

  it('index and p50index are not judged when the p99 rule had too few whole seconds: their thresholds neither pass nor fail', () => {
    const out = finalize({ stress: steady(2_000, 2) }, { hol: ['index<1.5', 'p50index<1.5', 'stallIndex<3'] });
    expect(out.hol.judged).toMatchObject({ index: false, p50Index: false, stallIndex: true });
    expect(out.thresholds.map((t) => [t.threshold, t.passed, t.judged])).toEqual([
      ['hol: index<1.5', false, false],
      ['hol: p50index<1.5', false, false],
      ['hol: stallIndex<3', true, undefined],
    ]);
    expect(out.thresholds[0]!.message).toMatch(/\(not judged: too few whole seconds of baseline or stress for the p99 rule\)$/);
  });

  it('a delivery ratio of a few events is not judged, read from the verdict, not from its text', () => {
    const out = finalize(FEW, { hol: ['deliveryRatio>=0.9'] });
    out.hol.evidence.forEach((e) => (e.rule = 'renamed')); // the rows' text is for people
    expect(out.hol.judged!.deliveryRatio).toBe(false);
    expect(out.thresholds[0]).toMatchObject({ passed: false, judged: false });
  });

  it('a baseline of 0 gives no ratio: null, not judged, and never an infinity in the record', () => {
    const out = finalize({ baseCounters: { maxStallUs: 0 }, stressCounters: { maxStallUs: 50_000 } }, { hol: ['stallIndex<3'] });
    expect(out.hol.stallIndex).toBeNull();
    expect(out.hol.judged!.stallIndex).toBe(false);
    expect(out.thresholds[0]).toMatchObject({ measured: null, passed: false, judged: false });
    expect(out.thresholds[0]!.message).toMatch(/no data \(not judged: the baseline value is 0, so there is no ratio\)/);
    expect(JSON.stringify(out.hol)).not.toMatch(/Infinity|∞|NaN/);
  });

  it('every evidence row has its stable id', () => {
    const r = judge({});
    expect(r.evidence.map((e) => e.id)).toEqual(['disconnect', 'freeze', 'p99', 'missing', 'delivery', 'stall', 'tested']);
  });
});

describe('no infinity from a silent stream, and shifted needs two seconds of baseline', () => {
  it('a server-emitted stream with no events in baseline: the freeze rule does not judge, and writes finite numbers', () => {
    const r = judge({ emitted: true, baseCounters: { arrived: 0 }, stressCounters: { arrived: 0 } });
    const row = r.evidence.find((e) => e.id === 'freeze')!;
    expect(row.judged).toBe(false);
    expect(row.rule).toMatch(/not judged: no events arrived in baseline/);
    expect(Number.isFinite(r.freezes!.countFromUs)).toBe(true);
    expect(JSON.stringify(r)).not.toMatch(/Infinity|NaN/);
    // the same stream at a healthy rate judges
    const healthy = judge({ emitted: true, baseCounters: { arrived: 16_000 }, stressCounters: { arrived: 20_000 } });
    expect(healthy.evidence.find((e) => e.id === 'freeze')!.judged).not.toBe(false);
  });

  it('a median shift over one second of baseline is not judged; over two seconds it is', () => {
    const shift = (baselineSeconds: number) => {
      const stressUs = 1_000_000 + baselineSeconds * 1_000_000;
      return judge({ baseline: steady(2_000, baselineSeconds), ages: (t) => (t >= stressUs ? 30_000 : 2_000) });
    };
    const one = shift(1);
    expect(one.evidence.find((e) => e.id === 'freeze')!.judged).toBe(false);
    expect(one.verdict).not.toBe('hol');
    expect(shift(2).verdict).toBe('hol');
  });
});

describe("the generator's share over the floor counts only ticks that measured an age", () => {
  // fast clients owed events only in the first half of each second
  const ages = (t: number): number => (t % 1_000_000 < 500_000 ? 2_000 : NO_CLIENT);

  it('late over the floor in 30% of the measured ticks (15% of all): not a result', () => {
    const r = judge({ ages, lag: (t) => (t % 1_000_000 < 150_000 ? 50_000 : 0) });
    expect(r.verdict).toBe('invalid');
    expect(r.summary).toMatch(/exceeded the .* floor 30% of the measured time/);
  });

  it('late only while nothing was measured: its lateness explained no age, the run stands', () => {
    const r = judge({ ages, lag: (t) => (t % 1_000_000 >= 500_000 && t % 1_000_000 < 800_000 ? 50_000 : 0) });
    expect(r.verdict).toBe('none');
  });
});
