// The verdict's rules, each in both directions and at its boundary, on records made to order.
import { describe, expect, it } from 'vitest';
import { analyseHol, disconnects, invalidReason } from '../../src/verdict/hol.js';
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
