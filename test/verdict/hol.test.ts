// The verdict's rules, each in both directions and at its boundary, on records made to order.
import { describe, expect, it } from 'vitest';
import { analyseHol, disconnects, fmtRatio, invalidReason } from '../../src/verdict/hol.js';
import { DEFAULT_HOL_RULES } from '../../src/scenario/types.js';
import type { ClientRecord } from '../../src/record/schema.js';
import { median, noiseModel } from '../../src/verdict/noise.js';
import { RULES, second, steady, verdictRecord, type VerdictSpec } from '../support/verdictRecord.js';

const judge = (spec: VerdictSpec, rules = RULES) => analyseHol(verdictRecord(spec), rules);
const rule = (r: ReturnType<typeof judge>, prefix: string) => r.evidence.find((e) => e.rule.startsWith(prefix))!;

describe('none', () => {
  it('the same latency in baseline and stress: none, every rule quiet, the floor stated', () => {
    const r = judge({ baseline: steady(5_000), stress: steady(5_000, 10) });
    expect(r.verdict).toBe('none');
    expect(r.evidence.every((e) => !e.triggered)).toBe(true);
    expect(r.index).toBeCloseTo(1, 1);
    expect(r.deliveryRatio).toBe(1);
    expect(r.noise).toMatchObject({ stressSeconds: 10, elevatedSeconds: 0, neededSeconds: 3 });
    expect(r.summary).toMatch(/^no head-of-line blocking/);
  });
});

describe('the p99 rule: above the noise floor, and sustained', () => {
  const spiky = (n: number, us = 50_000) => [...steady(5_000, 10 - n), ...steady(us, n)];

  it('one or two bad seconds are noise, not blocking', () => {
    for (const n of [1, 2]) {
      const r = judge({ baseline: steady(5_000), stress: spiky(n) });
      expect(r.verdict, `${n} seconds`).toBe('none');
      expect(r.noise!.elevatedSeconds).toBe(n);
    }
  });

  it('three seconds above the floor (hol.sustain 3s) are blocking', () => {
    const r = judge({ baseline: steady(5_000), stress: spiky(3) });
    expect(r.verdict).toBe('hol');
    expect(rule(r, 'fast p99').triggered).toBe(true);
    expect(r.summary).toMatch(/^HEAD-OF-LINE BLOCKING: slow clients delayed the fast ones \(fast p99/);
  });

  it('hol.sustain sets how many seconds it takes', () => {
    expect(judge({ baseline: steady(5_000), stress: spiky(3) }, { ...RULES, sustainUs: 4_000_000 }).verdict).toBe('none');
    expect(judge({ baseline: steady(5_000), stress: spiky(4) }, { ...RULES, sustainUs: 4_000_000 }).verdict).toBe('hol');
  });

  it('one bad baseline second does not switch detection off: the floor is robust (median and MAD), not the worst second', () => {
    const baseline = [...steady(5_000, 7), second(200_000)];
    const r = judge({ baseline, stress: steady(60_000, 10) });
    expect(r.noise!.floorUs).toBeLessThan(20_000);
    expect(r.noise!.floorFrom).not.toMatch(/worst/);
    expect(r.noise!.elevatedSeconds).toBe(10);
    // the whole-phase index is under 3 (the hiccup inflates the baseline's p99), yet the rise is sustained
    expect(r.index!).toBeLessThan(3);
    expect(r.verdict).toBe('hol');
    // and a stress like that baseline (one such second) is still noise
    expect(judge({ baseline, stress: [...steady(5_000, 9), second(200_000)] }).verdict).toBe('none');
  });

  it("the floor's boundary: seconds above indexLimit × the baseline's median second are elevated, at it they are not", () => {
    const r = judge({ baseline: steady(10_000), stress: spiky(8, 31_000) });
    expect(r.verdict).toBe('hol');
    expect(judge({ baseline: steady(10_000), stress: spiky(8, 31_000) }, { ...RULES, indexLimit: 3.5 }).verdict).toBe('none');
  });

  it('the floor is at least indexLimit × the baseline median', () => {
    // 12 ms is 2.4× a 5 ms baseline: above max(B) and median + minDelta, below 3×
    const r = judge({ baseline: steady(5_000), stress: spiky(6, 12_000) });
    expect(r.noise!.floorUs).toBeGreaterThanOrEqual(3 * 5_000);
    expect(r.verdict).toBe('none');
  });

  it('a rise smaller than hol.minDelta is not blocking, however large the ratio', () => {
    const r = judge({ baseline: steady(200), stress: spiky(8, 3_000) });
    expect(r.index!).toBeGreaterThanOrEqual(3);
    expect(r.verdict).toBe('none');
    expect(judge({ baseline: steady(200), stress: spiky(8, 3_000) }, { ...RULES, minDeltaUs: 1_000 }).verdict).toBe('hol');
  });

  it("a record without per-tick lateness: the generator's loop delay raises the whole floor", () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: spiky(6, 35_000) });
    expect(analyseHol(rec, RULES).verdict).toBe('hol');
    rec.generator.eventLoopDelayP99Us = 19_000;
    const r = analyseHol(rec, RULES);
    expect(r.noise!.floorUs).toBeGreaterThanOrEqual(5_000 + 2 * 19_000);
    expect(r.verdict).toBe('none');
  });

  it("with per-tick lateness, the generator's delay widens only the seconds it happened in", () => {
    // baseline ~2 ms; every stress second +20 ms; the generator 19 ms late in one stress second only
    const stressStart = 9_000_000;
    const lagged = {
      baseline: steady(2_000),
      stress: steady(22_000, 10),
      lag: (t: number) => (t >= stressStart && t < stressStart + 1_000_000 ? 19_000 : 0),
    };
    const r = judge(lagged);
    expect(r.noise!.elevatedSeconds).toBe(9);
    expect(r.verdict).toBe('hol');
    // late in every second: no second can be told from the generator's own delay
    expect(judge({ ...lagged, lag: () => 19_000 }).noise!.elevatedSeconds).toBe(0);
  });

  it('a stress phase shorter than the sustain time cannot show a sustained rise: the rule says it did not judge', () => {
    const r = judge({ baseline: steady(5_000), stress: steady(500_000, 2) });
    expect(rule(r, 'fast p99').triggered).toBe(false);
    expect(rule(r, 'fast p99').rule).toContain('not judged: 8 whole seconds of baseline, 2 of stress');
    expect(judge({ baseline: steady(5_000), stress: steady(500_000, 3) }).verdict).toBe('hol');
  });

  it('without a per-second baseline the rule does not judge either: with no other time rule, the run is inconclusive, never none', () => {
    const r = judge({ baseline: [second(5_000)], stress: steady(50_000, 5) });
    expect(rule(r, 'fast p99').rule).toContain('not judged: 1 whole seconds of baseline');
    expect(rule(r, 'fast p99').judged).toBe(false);
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toMatch(/could not judge this run/);
  });
});

describe('starvation rules', () => {
  it('any missing event in stress is blocking; none is not', () => {
    expect(judge({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { missing: 1 } }).verdict).toBe('hol');
    expect(
      rule(judge({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { missing: 0 } }), 'fast clients missed').triggered,
    ).toBe(false);
  });

  it('delivery rate: below the ratio and beyond chance is blocking, at it is not', () => {
    const base = steady(5_000);
    // 2,000 events/s per client in baseline
    const at = judge({ baseline: base, stress: steady(5_000), baseCounters: { arrived: 160_000 }, stressCounters: { arrived: 144_000 } });
    expect(at.deliveryRatio).toBe(0.9);
    expect(at.verdict).toBe('none');
    const below = judge({
      baseline: base,
      stress: steady(5_000),
      baseCounters: { arrived: 160_000 },
      stressCounters: { arrived: 142_400 },
    });
    expect(below.deliveryRatio).toBe(0.89);
    expect(below.verdict).toBe('hol');
    expect(rule(below, 'fast delivery rate').measured).toMatch(
      /^0\.89× \(1780\.0 vs 2000\.0 events\/s per client; chance of so few at the baseline's rate < 1e-6\)/,
    );
  });

  it('delivery rate: a few events a second cannot carry the ratio — a fall within chance does not fire, too few cannot be judged', () => {
    // 20 events/s per client: 160 in baseline, 142 in stress (0.89×) is within chance
    const chance = judge({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { arrived: 1424 } });
    expect(chance.deliveryRatio).toBe(0.89);
    expect(rule(chance, 'fast delivery rate').triggered).toBe(false);
    expect(chance.verdict).toBe('none');
    // 1 event/s: 4 in baseline against 5 in a longer stress (0.83×) — the healthy low-rate run that once read as hol
    const low = judge({
      baseline: steady(5_000, 4),
      stress: steady(5_000, 6),
      fastClients: 1,
      baseCounters: { arrived: 4 },
      stressCounters: { arrived: 5 },
    });
    expect(rule(low, 'fast delivery rate').judged).toBe(false);
    expect(rule(low, 'fast delivery rate').rule).toMatch(/not judged: too few events/);
    expect(low.verdict).not.toBe('hol');
    // the same client getting nothing in a long stress is beyond chance
    const stopped = judge({
      baseline: steady(5_000, 8),
      stress: steady(5_000, 12),
      fastClients: 1,
      baseCounters: { arrived: 16 },
      stressCounters: { arrived: 0 },
    });
    expect(rule(stopped, 'fast delivery rate').triggered).toBe(true);
  });

  it('max stall: at hol.maxStall is blocking, just under it is not', () => {
    expect(judge({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { maxStallUs: 1_000_000 } }).verdict).toBe('hol');
    expect(judge({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { maxStallUs: 999_999 } }).verdict).toBe('none');
  });

  it("max stall must also be twice the baseline's", () => {
    const r = judge({
      baseline: steady(5_000),
      stress: steady(5_000),
      baseCounters: { maxStallUs: 800_000 },
      stressCounters: { maxStallUs: 1_500_000 },
    });
    expect(rule(r, 'fast max stall').bound).toBe('1.60s');
    expect(r.verdict).toBe('none');
    expect(
      judge({
        baseline: steady(5_000),
        stress: steady(5_000),
        baseCounters: { maxStallUs: 800_000 },
        stressCounters: { maxStallUs: 1_600_000 },
      }).verdict,
    ).toBe('hol');
  });

  it('staleness: at max(maxStall, 3× baseline) is blocking, under it is not', () => {
    expect(
      judge({
        baseline: steady(5_000),
        stress: steady(5_000),
        baseCounters: { maxStalenessUs: 500_000 },
        stressCounters: { maxStalenessUs: 1_499_999 },
      }).verdict,
    ).toBe('none');
    expect(
      judge({
        baseline: steady(5_000),
        stress: steady(5_000),
        baseCounters: { maxStalenessUs: 500_000 },
        stressCounters: { maxStalenessUs: 1_500_000 },
      }).verdict,
    ).toBe('hol');
  });

  it('names the slow clients only when some were connected in stress', () => {
    const r = judge({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { missing: 10 } });
    expect(r.summary).toMatch(/^HEAD-OF-LINE BLOCKING: slow clients delayed the fast ones \(fast clients missed events in stress\)$/);
    // a slow group that was connected only in baseline, or had no clients in stress, delayed nobody in stress
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { missing: 10 } });
    const slow = rec.groups[1]!;
    slow.phases.baseline = { ...slow.phases.stress!, clients: 1 };
    slow.phases.stress = { ...slow.phases.stress!, clients: 0 };
    expect(analyseHol(rec, RULES).summary).toMatch(/^HEAD-OF-LINE BLOCKING: fast clients were delayed or starved in stress/);
    slow.kind = 'churn';
    slow.phases.stress = { ...slow.phases.stress!, clients: 2 };
    expect(analyseHol(rec, RULES).summary).toMatch(/^HEAD-OF-LINE BLOCKING: slow clients delayed/);
    slow.kind = 'catchup';
    expect(analyseHol(rec, RULES).summary).toMatch(/^HEAD-OF-LINE BLOCKING: slow clients delayed/);
  });

  it('the evidence, as every report prints it', () => {
    const r = judge({
      baseline: steady(5_000),
      stress: [...steady(5_000, 6), ...steady(50_000, 4)],
      stressCounters: { missing: 3, arrived: 150_000, maxStallUs: 1_200_000, maxStalenessUs: 40_000 },
      baseCounters: { arrived: 160_000, maxStalenessUs: 10_000 },
      slowInStress: false,
    });
    expect(r.evidence.map((e) => [e.rule, e.measured, e.bound, e.triggered])).toEqual([
      ['fast clients closed or refused by the server', '0 of 10', '0', false],
      [
        "fast p99 above the noise floor (≥ 3× the baseline's typical second) for ≥ 3s of stress",
        '4 of 10 stress seconds above 16.5ms; whole phase 9.97× (54.7ms vs 5.49ms)',
        "3s above 16.5ms (3× the baseline's median per-second p99)",
        true,
      ],
      ['fast clients missed events in stress', '3 missing of 2003', '0', true],
      [
        'fast delivery rate stress ÷ baseline < 0.9, beyond chance (p < 0.001)',
        "0.75× (1500.0 vs 2000.0 events/s per client; chance of so few at the baseline's rate < 1e-6)",
        '0.9×',
        true,
      ],
      ['fast max stall in stress ≥ 1.00s and ≥ 2× baseline', '1.20s (baseline 5.50ms)', '1.00s', true],
      ['fast staleness at the end of stress ≥ 1.00s and ≥ 3× baseline', '40.0ms (baseline 10.0ms)', '1.00s', false],
      [
        'the run tested the server (a slow client pushed back, a backlog was replayed, or churn connected, in stress)',
        'nothing in stress could block: no slow, catch-up or churn clients',
        'yes: a slow reader before the last hol.sustain of stress; a catch-up client that connected in stress and was replayed a backlog; churn that connected in stress',
        false,
      ],
    ]);
    expect(r.evidence.map((e) => e.id)).toEqual(['disconnect', 'p99', 'missing', 'delivery', 'stall', 'staleness', 'tested']);
    expect(r.summary).toBe(
      'HEAD-OF-LINE BLOCKING: fast clients were delayed or starved in stress (fast p99 above the noise floor; fast clients missed events in stress; fast delivery rate stress ÷ baseline < 0.9, beyond chance; fast max stall in stress ≥ 1.00s and ≥ 2× baseline)',
    );
    expect(judge({ baseline: steady(2_000), stress: steady(2_000) }).evidence[1]!.bound).toMatch(
      /\(the baseline median \+ hol\.minDelta\)$/,
    );
  });
});

describe('disconnect', () => {
  it('a fast client the server closed: disconnect, with the code and reason, even though the HOL rules fire', () => {
    const r = judge({
      baseline: steady(5_000),
      stress: steady(5_000),
      stressCounters: { missing: 5000, serverCloses: 2 },
      clientResults: [
        { closedByServer: 1013, closeReason: 'try again later' },
        { closedByServer: 1013, closeReason: 'try again later' },
      ],
    });
    expect(r.verdict).toBe('disconnect');
    expect(r.summary).toContain('closed or refused 2 of 10 fast clients (closed 1013 "try again later" ×2)');
    expect(r.summary).toContain('The HOL rules fired too (fast clients missed events in stress)');
    expect(rule(r, 'fast clients closed').triggered).toBe(true);
  });

  it('one of ten is enough (the delivery ratio alone would say 0.90×: none)', () => {
    const r = judge({
      baseline: steady(5_000),
      stress: steady(5_000),
      stressCounters: { arrived: 1440 },
      clientResults: [{ closedByServer: 1011, closeReason: '' }],
    });
    expect(r.verdict).toBe('disconnect');
    expect(rule(r, 'fast clients closed').measured).toBe('1 of 10: closed 1011 ×1');
  });

  it('refused connects and refused subscriptions count too', () => {
    const r = judge({
      baseline: steady(5_000),
      stress: steady(5_000),
      clientResults: [
        { refused: 'connect', closeReason: 'Unexpected server response: 503' },
        {},
        { refused: 'subscribe', closeReason: 'subscribe refused: 403' },
      ],
    });
    expect(r.verdict).toBe('disconnect');
    expect(
      disconnects(verdictRecord({ baseline: [], stress: [], clientResults: [{ refused: 'connect', closeReason: 'x' }] }).groups),
    ).toMatchObject({ count: 1, clients: 10, detail: 'connect failed "x" ×1' });
  });

  it('a record without client results still counts closes from its counters', () => {
    for (const counter of ['slowCloses', 'serverCloses', 'connectErrors', 'subscribeRefusals'] as const) {
      const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { [counter]: 2 } });
      rec.groups[0]!.clientResults = [];
      expect(disconnects(rec.groups).count, counter).toBe(2);
      expect(analyseHol(rec, RULES).verdict, counter).toBe('disconnect');
    }
    const none = verdictRecord({ baseline: steady(5_000), stress: steady(5_000) });
    none.groups[0]!.clientResults = [];
    expect(analyseHol(none, RULES).verdict).toBe('none');
  });

  it('clients closed before they had a baseline: disconnect, not unknown', () => {
    const r = judge({
      baseline: steady(0).map(() => []),
      stress: steady(5_000),
      clientResults: Array.from({ length: 10 }, () => ({ refused: 'connect' as const, closeReason: 'ECONNREFUSED' })),
    });
    expect(r.verdict).toBe('disconnect');
  });
});

describe('invalid: not a result, whatever the rules say', () => {
  const bad = (): VerdictSpec => ({ baseline: steady(5_000), stress: steady(5_000_000), stressCounters: { missing: 100 } });

  it('a generator-bound run (a saturated client thread)', () => {
    const rec = verdictRecord(bad());
    rec.generator.bound = true;
    rec.generator.eventLoopUtilization = 0.95;
    rec.generator.reasons = ['client worker 0 was busy 95% of a second (≥ 90%)'];
    const r = analyseHol(rec, RULES);
    expect(r.verdict).toBe('invalid');
    expect(r.summary).toBe(
      'NOT A RESULT: the load generator, not the server, was the bottleneck (client worker 0 was busy 95% of a second (≥ 90%))',
    );
    // the evidence is still there to read
    expect(r.evidence.some((e) => e.triggered)).toBe(true);
  });

  it('a strained (not saturated) generator keeps a blocking verdict far beyond its own delay', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { maxStallUs: 5_000_000 } });
    rec.generator = {
      ...rec.generator,
      bound: true,
      eventLoopDelayP99Us: 30_000,
      eventLoopUtilization: 0.2,
      reasons: ['client worker 0 event-loop delay p99 30.0ms (≥ 20.0ms)'],
    };
    const r = analyseHol(rec, RULES);
    expect(r.verdict).toBe('hol');
    expect(r.summary).toMatch(
      /^HEAD-OF-LINE BLOCKING despite a strained generator: a 5.00s stall is ≥ 20× anything its 30.0ms delay can cause/,
    );
    // a stall under 20× the delay could be the generator's own doing
    rec.groups[0]!.phases.stress!.maxStallUs = 599_999 * 2;
    rec.generator.eventLoopDelayP99Us = 60_000;
    expect(analyseHol(rec, RULES).verdict).toBe('invalid');
    // a saturated generator proves nothing either way
    rec.groups[0]!.phases.stress!.maxStallUs = 5_000_000;
    rec.generator.eventLoopUtilization = 0.95;
    expect(analyseHol(rec, RULES).verdict).toBe('invalid');
  });

  it('a strained generator and missing events: they stand when the grace period dwarfs the delay; delivery when under half', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { missing: 10 } });
    rec.scenario.spec = { graceUs: 1_000_000 } as typeof rec.scenario.spec;
    rec.generator = { ...rec.generator, bound: true, eventLoopDelayP99Us: 50_000, reasons: ['x'] };
    expect(analyseHol(rec, RULES).verdict).toBe('hol');
    rec.generator.eventLoopDelayP99Us = 50_001;
    expect(analyseHol(rec, RULES).verdict).toBe('invalid');
    const starved = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { arrived: 790 } });
    starved.generator = { ...starved.generator, bound: true, eventLoopDelayP99Us: 50_000, reasons: ['x'] };
    expect(analyseHol(starved, RULES)).toMatchObject({ verdict: 'hol', deliveryRatio: 0.49 });
    starved.groups[0]!.phases.stress!.arrived = 800;
    expect(analyseHol(starved, RULES).verdict).toBe('invalid');
  });

  it('a failed worker, and a run cut short', () => {
    const failed = verdictRecord(bad());
    failed.invalid = true;
    failed.invalidReason = 'client worker 1 crashed';
    expect(analyseHol(failed, RULES)).toMatchObject({ verdict: 'invalid', summary: 'NOT A RESULT: client worker 1 crashed' });
    const cut = verdictRecord(bad());
    cut.partial = true;
    cut.partialReason = 'interrupted';
    expect(invalidReason(cut)).toBe('the run was cut short (interrupted)');
    expect(analyseHol(cut, RULES).verdict).toBe('invalid');
  });

  it('a baseline in which the fast group received nothing', () => {
    expect(judge({ baseline: steady(0).map(() => []), stress: steady(5_000) }).verdict).toBe('invalid');
  });

  it('a strained generator does not hide a close the server chose (1013), but a 4008 could be its doing', () => {
    const rec = verdictRecord({ ...bad(), clientResults: [{ closedByServer: 1013, closeReason: 'try again later' }] });
    rec.generator = {
      ...rec.generator,
      bound: true,
      eventLoopDelayP99Us: 70_000,
      reasons: ['client worker 0 event-loop delay p99 70.0ms (≥ 20.0ms)'],
    };
    expect(analyseHol(rec, RULES)).toMatchObject({ verdict: 'disconnect' });
    expect(analyseHol(rec, RULES).summary).toMatch(
      /^DISCONNECT despite a strained generator: the server closed or refused 1 of 10 fast clients \(closed 1013 "try again later" ×1\)/,
    );
    rec.groups[0]!.clientResults[0]!.closedByServer = 4008;
    expect(analyseHol(rec, RULES).verdict).toBe('invalid');
    rec.groups[0]!.clientResults[0] = { ...rec.groups[0]!.clientResults[0]!, closedByServer: null, refused: 'subscribe' };
    expect(analyseHol(rec, RULES).verdict).toBe('disconnect');
    rec.invalid = true; // a failed worker: nothing stands
    expect(analyseHol(rec, RULES).verdict).toBe('invalid');
  });

  it('precedes disconnect', () => {
    const rec = verdictRecord({ ...bad(), clientResults: [{ closedByServer: 4008 }] });
    rec.generator.bound = true;
    rec.generator.eventLoopDelayP99Us = 30_000;
    expect(analyseHol(rec, RULES).verdict).toBe('invalid');
  });
});

describe('unknown', () => {
  it('a scenario without a stress phase has nothing to compare', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000) });
    rec.phases = rec.phases.filter((p) => p.role !== 'stress');
    expect(analyseHol(rec, RULES).verdict).toBe('unknown');
  });
});

describe('noise model', () => {
  it('median of odd and even lists, NaN for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('per-second p99s of whole seconds only, the groups added', () => {
    const rec = verdictRecord({ baseline: [second(1_000), second(2_000)], stress: [second(3_000), second(4_000), second(100_000)] });
    const n = noiseModel(rec, new Set(['fast']), RULES);
    expect(n.baselineP99s).toHaveLength(2);
    expect(n.stressP99s).toHaveLength(3);
    expect(n.baselineMaxUs).toBe(Math.max(...n.baselineP99s));
    expect(n.elevatedSeconds).toBe(1);
    expect(noiseModel(rec, new Set(['nobody']), RULES).stressP99s).toEqual([]);
  });
});

describe('the words and the edges every report prints', () => {
  it('a ratio is n/a over a baseline of 0 (never an infinity), two decimals otherwise', () => {
    expect([fmtRatio(null), fmtRatio(0.894), fmtRatio(3)]).toEqual(['n/a', '0.89×', '3.00×']);
    const stall = (base: number, stress: number) =>
      judge({ baseline: steady(5_000), stress: steady(5_000), baseCounters: { maxStallUs: base }, stressCounters: { maxStallUs: stress } });
    expect(stall(0, 0).stallIndex).toBeNull();
    expect(stall(0, 10_000).stallIndex).toBeNull();
    expect(stall(10_000, 25_000).stallIndex).toBe(2.5);
    const delivery = (arrived: number) =>
      rule(
        judge({ baseline: steady(5_000), stress: steady(5_000), baseCounters: { arrived: 0 }, stressCounters: { arrived } }),
        'fast delivery',
      );
    expect(delivery(0).measured).toMatch(/^n\/a \(0\.0 vs 0\.0 events\/s per client/);
    expect(delivery(800).measured).toMatch(/^n\/a \(10\.0 vs 0\.0 events\/s per client/);
  });

  it('the defaults a scenario gets, and a rule the scenario sets wins over its default', () => {
    expect(DEFAULT_HOL_RULES).toEqual({
      indexLimit: 3,
      minDeltaUs: 5_000,
      minDeliveryRatio: 0.9,
      maxStallUs: 1_000_000,
      sustainUs: 3_000_000,
      minFreezeUs: 100_000,
    });
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { maxStallUs: 1_000_000 } });
    expect(analyseHol(rec, DEFAULT_HOL_RULES).verdict).toBe('hol');
    expect(analyseHol(rec, { ...DEFAULT_HOL_RULES, maxStallUs: 1_000_001 }).verdict).toBe('none');
    // hol.minFreeze left out (RULES has none): the default counts a 102 ms freeze, not an 82 ms one
    const freeze = (lengthUs: number) =>
      judge({
        baseline: steady(2_000),
        stress: steady(2_000, 10),
        ages: (t) => (t >= 12_000_000 && t < 12_000_000 + lengthUs ? 2_000 + t - 12_000_000 : 2_000),
      });
    expect(freeze(110_000).verdict).toBe('hol');
    expect(freeze(80_000).verdict).toBe('none');
  });

  it('why a run is not a result: a failed worker, a bound generator (every reason), a run cut short; in that order', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000) });
    expect(invalidReason(rec)).toBeUndefined();
    rec.partial = true;
    expect(invalidReason(rec)).toBe('the run was cut short (partial)');
    rec.generator = { ...rec.generator, bound: true, reasons: ['a', 'b'] };
    expect(invalidReason(rec)).toBe('the load generator, not the server, was the bottleneck (a; b)');
    rec.invalid = true;
    expect(invalidReason(rec)).toBe('a runner worker failed');
  });

  it('the healthy none, in full: tested, freezes not judged (no age series), the p99 floor, delivery, nothing missed', () => {
    const r = judge({ baseline: steady(5_000), stress: steady(5_000, 10) });
    expect(r.summary).toBe(
      "no head-of-line blocking: the server was tested (stalled #10 pushed back 500.0ms into stress (the server's send queue full, more held by the server)) and fast clients kept their baseline: freezes: not judged (no age series), 0 of 10 stress seconds above the p99 floor 16.5ms, delivery 1.00×, nothing missed",
    );
    // the row that says whether the run tested the server informs; it is not a rule that passes or fails
    expect(rule(r, 'the run tested the server').informational).toBe(true);
    // without an age series the run can resolve what its p99 floor can, and has no freezes to keep
    expect(r.resolutionUs).toBe(r.noise!.floorUs);
    expect('freezes' in r).toBe(false);
  });

  it('with an age series, the none says how long the fast clients froze together and what the run could see', () => {
    const r = judge({ baseline: steady(2_000), stress: steady(2_000, 10), ages: () => 2_000 });
    expect(r.verdict).toBe('none');
    expect(r.summary).toContain(
      'fast clients kept their baseline: frozen together in stress: none (worst shared age 2.00ms), baseline: none (worst shared age 2.00ms) (a freeze from 100.0ms would show),',
    );
    expect(r.resolutionUs).toBe(100_000);
    // the freeze rule sees a stalled stream in time: no staleness row beside it
    expect(r.evidence.some((e) => e.rule.startsWith('fast staleness'))).toBe(false);
    // an age series the freeze rule cannot judge (a silence at 1 event/s is chance): the p99 floor is the resolution
    const slow = judge({
      baseline: steady(2_000),
      stress: steady(2_000, 10),
      emitted: true,
      ages: (t) => t % 1_000_000,
      baseCounters: { arrived: 80 },
      stressCounters: { arrived: 100 },
    });
    expect(slow.freezes).toBeDefined();
    expect(slow.resolutionUs).toBe(slow.noise!.floorUs);
  });

  it('neither time rule could judge: inconclusive, with why each could not', () => {
    expect(judge({ baseline: [second(5_000)], stress: steady(5_000, 5) }).summary).toBe(
      'INCONCLUSIVE: no rule fired, but the rules that see blocking in time could not judge this run (freezes: no age series; p99: too few whole seconds)',
    );
    expect(judge({ baseline: [second(5_000)], stress: steady(5_000, 5), ages: () => 2_000 }).summary).toMatch(
      /could not judge this run \(freezes: \d+ whole seconds of baseline measured: no floor to judge against; p99: too few whole seconds\)$/,
    );
  });

  it('nothing slow in stress: inconclusive, saying so', () => {
    expect(judge({ baseline: steady(5_000), stress: steady(5_000), slowInStress: false }).summary).toBe(
      'INCONCLUSIVE: no rule fired, but the run could not have seen blocking — nothing in stress could block: no slow, catch-up or churn clients',
    );
  });

  it('the p99 rule judges from two whole seconds of baseline and hol.sustain of stress; one second less is not judged', () => {
    const two = judge({ baseline: steady(5_000, 2), stress: steady(500_000, 3) });
    expect(rule(two, 'fast p99').judged).not.toBe(false);
    expect(rule(two, 'fast p99').triggered).toBe(true);
    expect(two.resolutionUs).toBe(two.noise!.floorUs);
    const short = judge({ baseline: steady(5_000, 2), stress: steady(500_000, 2) });
    expect(rule(short, 'fast p99')).toMatchObject({ judged: false, triggered: false, bound: '3×' });
    const one = judge({ baseline: steady(5_000, 1), stress: steady(5_000, 3) });
    expect(one.resolutionUs).toBeUndefined();
  });

  it('delivery not judged: the rule says how few events the baseline had, and its bound', () => {
    const low = judge({
      baseline: steady(5_000, 4),
      stress: steady(5_000, 6),
      fastClients: 1,
      baseCounters: { arrived: 4 },
      stressCounters: { arrived: 5 },
    });
    expect(rule(low, 'fast delivery rate')).toMatchObject({
      rule: 'fast delivery rate stress ÷ baseline < 0.9, beyond chance (p < 0.001) (not judged: too few events — 4 per client in baseline)',
      bound: '0.9×',
      triggered: false,
    });
    // a fall within chance prints its chance
    const chance = judge({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { arrived: 1424 } });
    expect(rule(chance, 'fast delivery rate').measured).toMatch(
      /^0\.89× \(17\.8 vs 20\.0 events\/s per client; chance of so few at the baseline's rate 0\.\d\d\)$/,
    );
  });

  it('no fast client connected in stress: no rate to compare, so delivery is not judged (it would read as 0×)', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), baseCounters: { arrived: 160_000 } });
    rec.groups[0]!.phases.stress!.clients = 0;
    const r = analyseHol(rec, RULES);
    expect(r.deliveryRatio).toBe(0);
    expect(rule(r, 'fast delivery rate')).toMatchObject({ judged: false, triggered: false });
    expect(r.verdict).not.toBe('hol');
  });

  it('the record keeps the first 50 freezes of a phase and counts them all', () => {
    const starts = Array.from({ length: 66 }, (_, k) => 9_000_000 + k * 150_000);
    const ages = (t: number): number => {
      for (const s of starts) if (t >= s && t < s + 110_000) return 2_000 + (t - s);
      return 2_000;
    };
    const r = judge({ baseline: steady(2_000), stress: steady(2_000, 10), ages });
    expect(r.verdict).toBe('hol');
    expect(r.freezes!.stress.count).toBe(66);
    expect(r.freezes!.stress.freezes).toHaveLength(50);
  });
});

describe('not a result, at the edges', () => {
  const strained = (spec: VerdictSpec, delayUs: number, elu = 0.2) => {
    const rec = verdictRecord(spec);
    rec.generator = { ...rec.generator, bound: true, eventLoopDelayP99Us: delayUs, eventLoopUtilization: elu, reasons: ['x'] };
    return rec;
  };
  const stalled = { baseline: steady(5_000), stress: steady(5_000), stressCounters: { maxStallUs: 5_000_000 } };

  it('a generator busy 90% of the time is saturated: nothing stands; just under, a stall 20× its delay does', () => {
    expect(analyseHol(strained(stalled, 30_000, 0.9), RULES).verdict).toBe('invalid');
    expect(analyseHol(strained(stalled, 30_000, 0.89), RULES).verdict).toBe('hol');
  });

  it('a stall of exactly 20× the delay stands', () => {
    const at = { ...stalled, stressCounters: { maxStallUs: 1_200_000 } };
    expect(analyseHol(strained(at, 60_000), RULES).verdict).toBe('hol');
    expect(analyseHol(strained(at, 60_001), RULES).verdict).toBe('invalid');
  });

  it('a strained run cut short, or with a failed worker, is not a result whatever it measured', () => {
    const cut = strained(stalled, 30_000);
    cut.partial = true;
    expect(analyseHol(cut, RULES).verdict).toBe('invalid');
    const failed = strained(stalled, 30_000);
    failed.invalid = true;
    expect(analyseHol(failed, RULES)).toMatchObject({ verdict: 'invalid', summary: 'NOT A RESULT: a runner worker failed' });
  });

  it('the evidence that stands is named: the stall when it stands, though other rules fired too', () => {
    // 60 ms of delay: the stall (5 s) is ≥ 20×, the 1 s grace is not
    const both = strained({ ...stalled, stressCounters: { maxStallUs: 5_000_000, missing: 10 } }, 60_000);
    expect(analyseHol(both, RULES).summary).toMatch(
      /^HEAD-OF-LINE BLOCKING despite a strained generator: a 5\.00s stall is ≥ 20× anything its 60\.0ms delay can cause \(fast clients missed events in stress; fast max stall/,
    );
  });

  it("missing events stand when the scenario's grace period is ≥ 20× the delay", () => {
    const missing = (graceUs?: number) => {
      const rec = strained({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { missing: 10 } }, 100_000);
      rec.scenario.spec = (graceUs === undefined ? {} : { graceUs }) as typeof rec.scenario.spec;
      return analyseHol(rec, RULES);
    };
    expect(missing(2_000_000).summary).toBe(
      'HEAD-OF-LINE BLOCKING despite a strained generator: 10 events still missing 2.00s after their phase is ≥ 20× anything its 100.0ms delay can cause (fast clients missed events in stress)',
    );
    // the default grace is 1 s: 10× the delay
    expect(missing().verdict).toBe('invalid');
  });

  it('delivery that fell under half stands, and says so', () => {
    const starved = strained({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { arrived: 790 } }, 50_000);
    expect(analyseHol(starved, RULES).summary).toMatch(
      /^HEAD-OF-LINE BLOCKING despite a strained generator: fast clients getting 0\.49× of their baseline rate is ≥ 20×/,
    );
  });

  it('a generator late above the floor (not bound) is not a result, even with a stall; the reason says how often', () => {
    const late = (t: number) => (Math.floor(t / 1_000_000) % 4 === 0 ? 50_000 : 0);
    const r = judge({ ...stalled, ages: () => 2_000, lag: late });
    expect(r.verdict).toBe('invalid');
    expect(r.summary).toMatch(
      /^NOT A RESULT: the load generator could not keep up: its own lateness exceeded the [\d.]+ms floor 2\d% of the measured time \(≥ 20%\)$/,
    );
    // a run cut short says that first
    const rec = verdictRecord({ ...stalled, ages: () => 2_000, lag: late });
    rec.partial = true;
    rec.partialReason = 'interrupted';
    expect(analyseHol(rec, RULES).summary).toBe('NOT A RESULT: the run was cut short (interrupted)');
  });

  it('late above the floor for exactly a fifth of the measured time is not a result; one tick less is', () => {
    // the measured ticks run from 1 s to 17 s (1,600 of them): 320 late ticks are 20%
    const lateFor = (ticks: number) =>
      judge({
        baseline: steady(2_000),
        stress: steady(2_000),
        ages: () => 2_000,
        lag: (t) => (t >= 1_000_000 && t < 1_000_000 + ticks * 10_000 ? 50_000 : 0),
      });
    expect(lateFor(320).verdict).toBe('invalid');
    expect(lateFor(319).verdict).not.toBe('invalid');
  });

  it('no stress phase in a run cut short: not a result (not unknown); no stress phase otherwise: unknown, saying why', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000) });
    rec.phases = rec.phases.filter((p) => p.role !== 'stress');
    expect(analyseHol(rec, RULES)).toMatchObject({
      verdict: 'unknown',
      summary: 'no verdict: the scenario has no fast group in both a baseline and a stress phase',
      evidence: [],
    });
    rec.partial = true;
    rec.partialReason = 'interrupted';
    expect(analyseHol(rec, RULES)).toMatchObject({
      verdict: 'invalid',
      summary: 'NOT A RESULT: the run was cut short (interrupted)',
      index: null,
    });
  });

  it('nothing received in baseline: not a result, with the one row that explains it; a run cut short says so first', () => {
    const empty = { baseline: steady(0).map(() => []), stress: steady(5_000) };
    const r = judge(empty);
    expect(r.summary).toBe('NOT A RESULT: the fast group received nothing in baseline, so there is nothing to compare with');
    expect(r.evidence.map((e) => e.rule)).toEqual(['fast clients closed or refused by the server']);
    const refused = verdictRecord({
      ...empty,
      clientResults: Array.from({ length: 10 }, () => ({ refused: 'connect' as const, closeReason: 'ECONNREFUSED' })),
    });
    expect(analyseHol(refused, RULES).summary).toBe(
      'DISCONNECT: the server closed or refused 10 of 10 fast clients before they had a baseline (connect failed "ECONNREFUSED" ×10)',
    );
    refused.partial = true;
    expect(analyseHol(refused, RULES)).toMatchObject({ verdict: 'invalid', summary: 'NOT A RESULT: the run was cut short (partial)' });
    expect(analyseHol(refused, RULES).evidence).toHaveLength(1);
  });

  it('a strained run cut short does not keep a close the server chose: nothing stands', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), clientResults: [{ closedByServer: 1013 }] });
    rec.generator = { ...rec.generator, bound: true, eventLoopDelayP99Us: 70_000, reasons: ['x'] };
    expect(analyseHol(rec, RULES).verdict).toBe('disconnect');
    rec.partial = true;
    expect(analyseHol(rec, RULES).verdict).toBe('invalid');
  });
});

describe('who was closed, and whose decision it was', () => {
  const one = (c: Partial<ClientRecord>) => disconnects(verdictRecord({ baseline: [], stress: [], clientResults: [c] }).groups);

  it("the server's own decision: a close with its code (not 4008 slow client, not 1006 abnormal), a refused subscription", () => {
    expect(one({ closedByServer: 1013 })).toMatchObject({ count: 1, deliberate: 1, detail: 'closed 1013 ×1' });
    expect(one({ closedByServer: 4008, closeReason: 'slow client' })).toMatchObject({ count: 1, deliberate: 0 });
    expect(one({ closedByServer: 1006 })).toMatchObject({ count: 1, deliberate: 0 });
    expect(one({ refused: 'connect' })).toMatchObject({ count: 1, deliberate: 0, detail: 'connect failed ×1' });
    expect(one({ refused: 'subscribe', closeReason: '403' })).toMatchObject({
      count: 1,
      deliberate: 1,
      detail: 'subscription refused "403" ×1',
    });
    expect(one({})).toMatchObject({ count: 0, clients: 10, deliberate: 0, detail: '' });
  });

  it('several kinds, each counted, in one line', () => {
    const rec = verdictRecord({
      baseline: [],
      stress: [],
      clientResults: [
        { refused: 'connect', closeReason: 'ECONNRESET' },
        { closedByServer: 1013 },
        { refused: 'connect', closeReason: 'ECONNRESET' },
      ],
    });
    expect(disconnects(rec.groups).detail).toBe('connect failed "ECONNRESET" ×2, closed 1013 ×1');
  });

  it('counted from the counters, the row has no detail to add', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { serverCloses: 2 } });
    rec.groups[0]!.clientResults = [];
    expect(rule(analyseHol(rec, RULES), 'fast clients closed').measured).toBe('2 of 10');
  });
});

describe('a stream the server emits on its own: unknown is not zero', () => {
  // baseline: 20 events/s per fast client; stress (8 s after an 8 s baseline) ends 17 s after t0
  const STRESS_END_US = 17_000_000;
  const emitted = (closedAtUs: (id: number) => number | undefined, closedByServer: number | null = null) =>
    analyseHol(
      verdictRecord({
        baseline: steady(5_000),
        stress: steady(5_000),
        emitted: true,
        clientResults: Array.from({ length: 10 }, (_, id) => ({ closedAtUs: closedAtUs(id), closedByServer })),
      }),
      RULES,
    );
  const missed = (r: ReturnType<typeof judge>) => rule(r, 'fast clients missed').measured;

  it('every fast client closed 2 s before the end: what the stream carried meanwhile is estimated and labelled', () => {
    const unknown =
      "unknown after every fast client was closed (15.00s): ≈40 events each (400 in all), estimated from the stream's baseline rate";
    expect(missed(emitted(() => 15_000_000))).toBe(`0 missing of 1600; ${unknown}`);
    // the latest close counts
    expect(missed(emitted((id) => (id === 3 ? 15_000_000 : 12_000_000)))).toContain('(15.00s): ≈40 events each');
    const closed = emitted(() => 15_000_000, 1013);
    expect(closed.verdict).toBe('disconnect');
    expect(closed.summary).toMatch(new RegExp(` Missing: ${unknown.replace(/[().]/g, '\\$&')}\\.$`));
  });

  it('not when one fast client stayed to the end, closed at it, or too briefly gone to miss an event; not for a published stream', () => {
    expect(missed(emitted((id) => (id === 0 ? undefined : 15_000_000)))).toBe('0 missing of 1600');
    expect(missed(emitted(() => STRESS_END_US))).toBe('0 missing of 1600');
    expect(missed(emitted(() => STRESS_END_US - 20_000))).toBe('0 missing of 1600');
    expect(missed(emitted(() => STRESS_END_US - 30_000))).toContain('≈1 events each');
    const published = verdictRecord({
      baseline: steady(5_000),
      stress: steady(5_000),
      clientResults: Array.from({ length: 10 }, () => ({ closedAtUs: 15_000_000 })),
    });
    expect(rule(analyseHol(published, RULES), 'fast clients missed').measured).toBe('0 missing of 1600');
    // a URL target the runner publishes to (no generic publish: server) is not a stream of the server's own
    published.scenario.spec = { target: { kind: 'url' } } as typeof published.scenario.spec;
    expect(rule(analyseHol(published, RULES), 'fast clients missed').measured).toBe('0 missing of 1600');
    // a record without per-client results cannot say when they left
    const merged = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), emitted: true });
    merged.groups[0]!.clientResults = [];
    expect(rule(analyseHol(merged, RULES), 'fast clients missed').measured).toBe('0 missing of 1600');
  });
});
