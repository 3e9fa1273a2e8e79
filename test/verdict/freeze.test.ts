// The freeze rule: every fast client frozen together, judged per 10 ms tick against a robust floor,
// stress against baseline, the generator's own lateness taken off. Both directions, at the boundaries.
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyseHol } from '../../src/verdict/hol.js';
import { chanceGapUs, describeFreezes, freezeView, robustFloor, type FreezePhase, type FreezeView } from '../../src/verdict/freeze.js';
import { DEFAULT_HOL_RULES, type HolRules } from '../../src/scenario/types.js';
import { NO_CLIENT, TICK_US } from '../../src/util/ticksCodec.js';
import { RULES, steady, tickSeries, verdictRecord, type VerdictSpec } from '../support/verdictRecord.js';

// baseline runs 1 s → 9 s after t0, stress 9 s → 19 s (steady(…, 10))
const STRESS_US = 9_000_000;
const judge = (spec: Partial<VerdictSpec>) =>
  analyseHol(verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), ...spec }), RULES);
const freezeRow = (r: ReturnType<typeof judge>) => r.evidence.find((e) => e.rule.startsWith('fast clients frozen together'))!;

/** Shared age at time t: 2 ms, except inside a freeze of `lengthUs` starting at each of `starts`. */
const frozen =
  (starts: number[], lengthUs: number, base = 2_000) =>
  (t: number): number => {
    for (const s of starts) if (t >= s && t < s + lengthUs) return base + (t - s);
    return base;
  };

describe('freezes in stress', () => {
  it('a 300 ms freeze every 6 s while slow clients are connected is blocking, though no whole second looks bad', () => {
    const r = judge({ ages: frozen([STRESS_US + 2_000_000, STRESS_US + 8_000_000], 300_000) });
    expect(r.noise!.elevatedSeconds).toBe(0);
    expect(r.verdict).toBe('hol');
    expect(freezeRow(r).triggered).toBe(true);
    expect(freezeRow(r).measured).toMatch(/^stress: 2 freezes \(worst 29\d\.\dms/);
    expect(freezeRow(r).measured).toMatch(/baseline: none/);
    expect(freezeRow(r).measured).toMatch(/transient$/);
    expect(r.summary).toMatch(/^HEAD-OF-LINE BLOCKING \(transient\)/);
    expect(r.freezes!.stress.count).toBe(2);
  });

  it('one 500 ms freeze right where stress begins (a catch-up replayed on the loop) is blocking: ticks, not whole seconds', () => {
    const r = judge({ ages: frozen([STRESS_US - 100_000], 600_000) });
    expect(r.verdict).toBe('hol');
    expect(r.freezes!.stress.count).toBe(1);
  });

  it('the counting bound: a shared age reaching hol.minFreeze (100 ms) counts, one peaking at 82 ms does not', () => {
    expect(judge({ ages: frozen([STRESS_US + 3_000_000], 110_000) }).verdict).toBe('hol'); // ticks see 102 ms
    const short = judge({ ages: frozen([STRESS_US + 3_000_000], 80_000) });
    expect(short.verdict).toBe('none');
    expect(short.freezes!.stress.count).toBe(0);
    expect(short.resolutionUs).toBe(100_000);
    expect(
      analyseHol(verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), ages: frozen([STRESS_US + 3_000_000], 80_000) }), {
        ...RULES,
        minFreezeUs: 50_000,
      }).verdict,
    ).toBe('hol');
  });

  it("a freeze the generator's own lateness explains is not the server's", () => {
    const at = STRESS_US + 3_000_000;
    const r = judge({ ages: frozen([at], 300_000), lag: (t) => (t >= at && t < at + 300_000 ? 310_000 : 0) });
    expect(r.freezes!.stress.count).toBe(0);
    expect(r.verdict).toBe('none');
  });

  it('a generator late above the floor for a fifth of the measured time: not a result', () => {
    const r = judge({ ages: () => 2_000, lag: (t) => (Math.floor(t / 1_000_000) % 4 === 0 ? 50_000 : 0) });
    expect(r.verdict).toBe('invalid');
    expect(r.summary).toMatch(/could not keep up: its own lateness exceeded the .* floor 2\d% of the measured time/);
  });

  it('a sustained rise (+60 ms on every send) after a 200 ms hiccup in baseline is blocking, and sustained', () => {
    const r = judge({
      ages: (t) => (t >= 5_000_000 && t < 5_200_000 ? 2_000 + (t - 5_000_000) : t >= STRESS_US ? 62_000 : 2_000),
    });
    expect(r.freezes!.floorUs).toBeLessThan(20_000);
    expect(r.verdict).toBe('hol');
    expect(r.summary).toMatch(/\(sustained\)/);
  });

  it("the same hiccup in baseline and a clean stress: none; freezes in stress must outweigh the baseline's", () => {
    const hiccup = (t: number) => (t >= 5_000_000 && t < 5_200_000 ? 2_000 + (t - 5_000_000) : 2_000);
    expect(judge({ ages: hiccup }).verdict).toBe('none');
    // one freeze of the same size in stress: one pause each cannot be told from the machine's, nor is it "no freeze"
    const same = judge({ ages: (t) => Math.max(hiccup(t), frozen([STRESS_US + 4_000_000], 200_000)(t)) });
    expect(same.freezes!.stress.count).toBe(1);
    expect(same.verdict).toBe('inconclusive');
    // three of them are
    const more = judge({
      ages: (t) => Math.max(hiccup(t), frozen([STRESS_US + 1_000_000, STRESS_US + 4_000_000, STRESS_US + 7_000_000], 200_000)(t)),
    });
    expect(more.verdict).toBe('hol');
  });

  it('a stream the server emits on its own, at 1 event/s: a silence cannot be told from a freeze — not judged, never hol', () => {
    // staleness: a healthy 1/s stream is up to a second old at any moment
    const r = judge({
      emitted: true,
      ages: (t) => t % 1_000_000,
      baseCounters: { arrived: 80 },
      stressCounters: { arrived: 100 },
    });
    expect(freezeRow(r).judged).toBe(false);
    expect(freezeRow(r).rule).toMatch(/not judged: too few events/);
    expect(r.verdict).not.toBe('hol');
  });
});

describe('the floor and the chance gap', () => {
  it('robust: a median and a MAD, so one bad second moves it little', () => {
    const clean = robustFloor([5_000, 5_000, 5_200, 4_800, 5_000, 5_100, 4_900, 5_000], RULES as Required<typeof RULES>);
    const hiccup = robustFloor([5_000, 5_000, 5_200, 4_800, 5_000, 5_100, 4_900, 200_000], RULES as Required<typeof RULES>);
    expect(clean.floorUs).toBe(15_000);
    expect(hiccup.floorUs).toBeLessThan(20_000);
  });

  it('the longest silence a stream has by chance shrinks with its rate', () => {
    expect(chanceGapUs(1, 10_000_000)).toBe(6_907_755); // ln(10 / 1%) s
    expect(chanceGapUs(100, 10_000_000)).toBeLessThan(150_000);
    expect(chanceGapUs(0, 10_000_000)).toBe(Infinity);
  });
});

describe('tested, or not a none', () => {
  const row = (r: ReturnType<typeof judge>) => r.evidence.find((e) => e.rule.startsWith('the run tested the server'))!;

  it('slow clients that never pushed back: inconclusive, with what would test it', () => {
    const r = judge({
      pushback: {
        reachedAtUs: null,
        how: 'server-queue',
        owedBytes: 400_000,
        rxMaxBytes: 300_000,
        serverTxMaxBytes: 100_000,
        heldMaxBytes: 0,
      },
    });
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toMatch(/^INCONCLUSIVE: no rule fired, but the run could not have seen blocking — stalled #10 was owed 390\.6KiB/);
    expect(row(r).measured).toMatch(/a stress phase of ≥ [\d.]+s, or a higher rate × payload, would test it/);
  });

  it('pushback in the last seconds of stress is too late to watch: inconclusive; earlier is tested', () => {
    const late = judge({
      pushback: {
        reachedAtUs: STRESS_US + 8_500_000,
        how: 'server-queue',
        owedBytes: 9e6,
        rxMaxBytes: 1e6,
        serverTxMaxBytes: 4e6,
        heldMaxBytes: 4e6,
      },
    });
    expect(late.verdict).toBe('inconclusive');
    expect(row(late).measured).toMatch(/pushed back only 1\.50s before stress ended/);
    const early = judge({
      pushback: {
        reachedAtUs: STRESS_US + 6_500_000,
        how: 'server-queue',
        owedBytes: 9e6,
        rxMaxBytes: 1e6,
        serverTxMaxBytes: 4e6,
        heldMaxBytes: 4e6,
      },
    });
    expect(early.verdict).toBe('none');
    expect(early.tested).toEqual({ tested: true, detail: expect.stringMatching(/^stalled #10 pushed back 6\.50s into stress/) });
  });

  it('a client the server closed pushed back (the server acted on its backlog)', () => {
    const r = judge({
      pushback: { reachedAtUs: STRESS_US + 1_000_000, how: 'closed', owedBytes: 0, rxMaxBytes: 0, serverTxMaxBytes: null, heldMaxBytes: 0 },
    });
    expect(r.verdict).toBe('none');
    expect(r.tested!.detail).toMatch(/the server closed it/);
  });

  it('nothing slow in stress could block: inconclusive; blocking seen anyway is still hol', () => {
    expect(judge({ slowInStress: false }).verdict).toBe('inconclusive');
    expect(judge({ slowInStress: false, stressCounters: { missing: 5 } }).verdict).toBe('hol');
  });

  it('a record from before pushback was measured: not known, so not a none', () => {
    const r = judge({ pushback: null });
    expect(r.tested!.tested).toBeNull();
    expect(r.verdict).toBe('inconclusive');
  });
});

describe('a sustained rise under a noisy baseline', () => {
  // every second one 150 ms spike (a busy machine): the per-second worst ages set a high floor
  const noisy = (t: number): number => (t % 1_000_000 < 150_000 ? 5_000 + (t % 1_000_000) : 5_000);

  it('+20 ms on every send moves the median shared age: blocking, sustained, though the floor hides it', () => {
    const r = judge({ ages: (t) => (t >= STRESS_US ? Math.max(noisy(t), 25_000) : noisy(t)) });
    expect(r.freezes!.floorUs).toBeGreaterThan(100_000);
    expect(r.verdict).toBe('hol');
    expect(r.summary).toMatch(/\(sustained\)/);
    expect(freezeRow(r).measured).toMatch(/median shared age 25\.0ms; baseline: .*median 5\.00ms/);
  });

  it('the same noise in stress, no rise: none; a rise under indexLimit × or minDelta: none', () => {
    expect(judge({ ages: noisy }).verdict).toBe('none');
    // 3× of 5 ms is 15 ms: 14 ms is not enough
    expect(judge({ ages: (t) => (t >= STRESS_US ? Math.max(noisy(t), 14_000) : noisy(t)) }).verdict).toBe('none');
    expect(judge({ ages: (t) => (t >= STRESS_US ? Math.max(noisy(t), 15_000) : noisy(t)) }).verdict).toBe('hol');
  });

  it('at a few events a second the median of a silence is chance: no shift is judged', () => {
    const r = judge({
      emitted: true,
      ages: (t) => (t >= STRESS_US ? 3 * (t % 1_000_000) : t % 1_000_000),
      baseCounters: { arrived: 80 },
      stressCounters: { arrived: 100 },
    });
    expect(r.verdict).not.toBe('hol');
  });
});

describe('a lone freeze must stand out from the baseline', () => {
  // a baseline that once reached 110 ms (a busy machine descheduling the server)
  const baseline = (t: number): number => (t >= 4_000_000 && t < 4_110_000 ? 2_000 + (t - 4_000_000) : 2_000);

  it("one stress freeze a little over the baseline's worst cannot be told from the machine: inconclusive, never none", () => {
    const r = judge({ ages: (t) => Math.max(baseline(t), frozen([STRESS_US + 4_000_000], 140_000)(t)) });
    expect(r.freezes!.stress.count).toBe(1);
    expect(r.verdict).toBe('inconclusive');
  });

  it("one freeze well over the baseline's worst is blocking; two freezes of the smaller size are too", () => {
    expect(judge({ ages: (t) => Math.max(baseline(t), frozen([STRESS_US + 4_000_000], 400_000)(t)) }).verdict).toBe('hol');
    expect(judge({ ages: (t) => Math.max(baseline(t), frozen([STRESS_US + 2_000_000, STRESS_US + 7_000_000], 140_000)(t)) }).verdict).toBe(
      'hol',
    );
  });
});

describe('a threshold on a ratio the verdict could not judge', () => {
  it('hol: deliveryRatio>=0.9 at 4 events against 3 is not judged, so the run does not fail on it', async () => {
    const { finalizeRecord } = await import('../../src/verdict/finalize.js');
    const { runStatus } = await import('../../src/reports/outcomes.js');
    const rec = verdictRecord({
      baseline: steady(5_000, 4),
      stress: steady(5_000, 6),
      fastClients: 1,
      baseCounters: { arrived: 4 },
      stressCounters: { arrived: 3 },
    });
    const out = finalizeRecord(rec, { hol: RULES, thresholds: { hol: ['deliveryRatio>=0.9'] } });
    expect(out.hol.deliveryRatio!).toBeLessThan(0.9);
    expect(out.thresholds[0]).toMatchObject({ passed: false, judged: false });
    expect(runStatus(out, false)).not.toBe('failed');
    // with events enough to mean something, the same ratio fails it
    const many = verdictRecord({
      baseline: steady(5_000),
      stress: steady(5_000),
      baseCounters: { arrived: 160_000 },
      stressCounters: { arrived: 120_000 },
    });
    const judged = finalizeRecord(many, { hol: RULES, thresholds: { hol: ['deliveryRatio>=0.9'] } });
    expect(judged.thresholds[0]).toMatchObject({ passed: false });
    expect(judged.thresholds[0]!.judged).not.toBe(false);
    expect(runStatus(judged, false)).toBe('failed');
  });
});

// freezeView itself, tick by tick. Ages are given per tick index j (µs since t0 = j × 10 ms):
// baseline is ticks 100 → 900, stress 900 → 1900 (8 s and 10 s, unless a test says otherwise).
type Ticks = (j: number) => number;
const B0 = 100;
const S0 = 900;
const S1 = 1900;
const GONE = NO_CLIENT;
const quiet: Ticks = () => 2_000;
/** `us` at ticks [from, from + n), `rest` elsewhere. */
const at =
  (from: number, n: number, us: number, rest: Ticks = quiet): Ticks =>
  (j) =>
    j >= from && j < from + n ? us : rest(j);
const seconds = (n: number): number[][] => Array.from({ length: n }, () => [2_000]);

interface ViewOptions {
  lag?: Ticks;
  rules?: Partial<HolRules>;
  baseSeconds?: number;
  stressSeconds?: number;
  emitted?: number;
}
function recordOf(ages: Ticks, o: ViewOptions = {}) {
  const lag = o.lag;
  return verdictRecord({
    baseline: seconds(o.baseSeconds ?? 8),
    stress: seconds(o.stressSeconds ?? 10),
    ages: (t) => ages(Math.round(t / TICK_US)),
    ...(lag ? { lag: (t: number) => lag(Math.round(t / TICK_US)) } : {}),
  });
}
const rulesOf = (o: ViewOptions): Required<HolRules> => ({ ...DEFAULT_HOL_RULES, ...o.rules });
function view(ages: Ticks, o: ViewOptions = {}): FreezeView {
  const v = freezeView(recordOf(ages, o), { rules: rulesOf(o), fast: new Set(['fast']), emittedRatePerSec: o.emitted });
  expect(v).toBeDefined();
  return v!;
}
const spans = (p: FreezePhase): [number, number][] => p.freezes.map((f) => [f.startUs, f.durationUs]);

describe('freezeView: freezes are runs of ticks above the floor', () => {
  it('a quiet 2 ms baseline: the floor is its median + hol.minDelta, and a freeze counts from hol.minFreeze — at it, not below', () => {
    // 10 ticks at exactly the counting bound; 10 just under it; 5 just above the floor; 5 at the floor
    const v = view(at(S0 + 200, 10, 100_000, at(S0 + 500, 10, 99_999, at(S0 + 700, 5, 7_001, at(S0 + 800, 5, 7_000)))));
    expect(v).toMatchObject({
      floorUs: 7_000,
      floorFrom: 'the baseline median + hol.minDelta',
      countFromUs: 100_000,
      countFrom: 'hol.minFreeze',
    });
    expect(v.clients).toBe(10);
    expect(v.stress).toEqual({
      measuredUs: 10_000_000,
      aboveFloorUs: 250_000,
      freezes: [{ startUs: 11_000_000, durationUs: 100_000, peakUs: 100_000 }],
      frozenUs: 100_000,
      worstUs: 100_000,
      medianUs: 2_000,
    });
    expect(v.baseline).toEqual({ measuredUs: 8_000_000, aboveFloorUs: 0, freezes: [], frozenUs: 0, worstUs: 2_000, medianUs: 2_000 });
    expect(v).toMatchObject({ judged: true, notJudged: undefined, triggered: true, sustained: false, generatorOverFloorShare: 0 });
  });

  it('a freeze ends where no client was owed anything and where its phase ends; one across the phase boundary is split', () => {
    const ages = at(S0 + 105, 2, GONE, at(S0 + 100, 10, 150_000, at(S0 - 10, 20, 150_000, at(S1 - 20, 20, 150_000))));
    const v = view(ages);
    expect(spans(v.baseline)).toEqual([[8_900_000, 100_000]]);
    expect(spans(v.stress)).toEqual([
      [9_000_000, 100_000],
      [10_000_000, 50_000],
      [10_070_000, 30_000],
      [18_800_000, 200_000],
    ]);
    expect(v.stress.frozenUs).toBe(380_000);
    expect(v.stress.measuredUs).toBe(9_980_000);
  });

  it("a freeze after stress (in recovery) is not stress's, nor is the generator's lateness there", () => {
    const rec = recordOf(quiet);
    const durationUs = rec.durationUs + 2_000_000;
    rec.durationUs = durationUs;
    rec.groups[0]!.ages!.together = tickSeries(durationUs, (t) => at(S1 + 50, 20, 300_000)(Math.round(t / TICK_US)));
    rec.generator.lagTicks = tickSeries(durationUs, (t) => (t >= S1 * TICK_US ? 50_000 : 0));
    const v = freezeView(rec, { rules: DEFAULT_HOL_RULES, fast: new Set(['fast']) })!;
    expect(v.stress.freezes).toEqual([]);
    expect(v.stress.measuredUs).toBe(10_000_000);
    expect(v.generatorOverFloorShare).toBe(0);
  });

  it('every fast group counts: the shared age is the youngest of them, and a group owed nothing leaves the tick to the others', () => {
    const rec = recordOf(at(S0 + 500, 10, GONE, at(S0 + 100, 10, 300_000, at(S0 + 300, 10, 200_000))));
    const other: Ticks = at(
      S0 + 100,
      10,
      150_000,
      at(S0 + 300, 10, 250_000, () => GONE),
    );
    rec.groups.push({
      ...rec.groups[0]!,
      name: 'fast2',
      clients: 5,
      ages: { tickUs: TICK_US, clients: 5, together: tickSeries(rec.durationUs, (t) => other(Math.round(t / TICK_US))), any: '' },
    });
    const v = freezeView(rec, { rules: DEFAULT_HOL_RULES, fast: new Set(['fast', 'fast2']) })!;
    expect(v.clients).toBe(15);
    expect(v.stress.freezes.map((f) => f.peakUs)).toEqual([150_000, 200_000]);
    expect(v.stress.measuredUs).toBe(9_900_000); // the ticks at which neither group was owed anything
  });

  it("the generator's lateness is taken off each tick; its time late above the floor is reported as a share", () => {
    // 20 ticks late 60 ms (over the floor) under a 150 ms freeze; 100 ticks late exactly the floor; 70 ticks just over it
    const lag = at(
      S0 + 100,
      20,
      60_000,
      at(
        B0 + 10,
        100,
        7_000,
        at(S0 + 600, 70, 7_001, () => 0),
      ),
    );
    const v = view(at(S0 + 100, 20, 150_000), { lag });
    expect(v.floorUs).toBe(7_000);
    expect(v.stress.freezes).toEqual([]);
    expect(v.stress.worstUs).toBe(90_000);
    expect(v.generatorOverFloorShare).toBe(90 / 1_800);
  });

  it('a lateness series shorter than the run: the ticks after it are taken as on time, and only its ticks are shared out', () => {
    const rec = recordOf(at(S0 + 500, 10, 150_000));
    rec.generator.lagTicks = tickSeries(10_000_000, (t) => at(200, 90, 60_000, () => 0)(Math.round(t / TICK_US)));
    const v = freezeView(rec, { rules: DEFAULT_HOL_RULES, fast: new Set(['fast']) })!;
    expect(spans(v.stress)).toEqual([[14_000_000, 100_000]]);
    expect(v.stress.measuredUs).toBe(10_000_000);
    expect(v.generatorOverFloorShare).toBe(90 / 900);
  });

  it('a record without the lateness series: the loop delay p99 is taken off every tick, never a lateness of 0', () => {
    const rec = recordOf(at(S0 + 500, 10, 150_000));
    delete rec.generator.lagTicks;
    rec.generator.eventLoopDelayP99Us = 40_000;
    const v = freezeView(rec, { rules: DEFAULT_HOL_RULES, fast: new Set(['fast']) })!;
    expect(v.stress.freezes.map((f) => f.peakUs)).toEqual([110_000]);
    expect(v.generatorOverFloorShare).toBe(0); // a p99 says nothing of when it was late
    rec.generator.lagTicks = tickSeries(rec.durationUs, () => 0);
    expect(freezeView(rec, { rules: DEFAULT_HOL_RULES, fast: new Set(['fast']) })!.stress.freezes.map((f) => f.peakUs)).toEqual([150_000]);
  });

  it('no view without an age series, for a group not named fast, or from a series that is not one', () => {
    expect(
      freezeView(verdictRecord({ baseline: seconds(8), stress: seconds(10) }), { rules: DEFAULT_HOL_RULES, fast: new Set(['fast']) }),
    ).toBeUndefined();
    expect(freezeView(recordOf(quiet), { rules: DEFAULT_HOL_RULES, fast: new Set(['other']) })).toBeUndefined();
    const bad = recordOf(quiet);
    bad.groups[0]!.ages!.together = deflateRawSync(Buffer.from([1, 2, 3])).toString('base64');
    expect(freezeView(bad, { rules: DEFAULT_HOL_RULES, fast: new Set(['fast']) })).toBeUndefined();
  });
});

describe('freezeView: the floor, the counting bound, and when the rule cannot judge', () => {
  it('two whole seconds of baseline make a floor; a second counts when at least half its ticks were measured', () => {
    const twoSeconds = (measured: number) => view(at(200 + measured, 100 - measured, GONE), { baseSeconds: 2 });
    expect(twoSeconds(50)).toMatchObject({ judged: true, notJudged: undefined, floorUs: 7_000 });
    expect(twoSeconds(49)).toMatchObject({ judged: false, notJudged: '1 whole seconds of baseline measured: no floor to judge against' });
  });

  it('no baseline: the floor is hol.minDelta and nothing is judged; no stress measured: nothing is judged either', () => {
    const none = view(at(S0 + 100, 50, 300_000, at(B0, 800, GONE)));
    expect(none).toMatchObject({ floorUs: 5_000, floorFrom: 'hol.minDelta', judged: false, triggered: false });
    expect(none.notJudged).toBe('0 whole seconds of baseline measured: no floor to judge against');
    const noStress = view(at(S0, 1_000, GONE));
    expect(noStress).toMatchObject({ judged: false, notJudged: 'no stress time measured', triggered: false });
    expect(noStress.stress).toMatchObject({ measuredUs: 0, medianUs: 0, worstUs: 0 });
    // a record whose phases are neither baseline nor stress: nothing measured, no share of it
    const rec = recordOf(quiet);
    rec.phases = rec.phases.filter((p) => p.role === 'warmup');
    expect(freezeView(rec, { rules: DEFAULT_HOL_RULES, fast: new Set(['fast']) })).toMatchObject({
      generatorOverFloorShare: 0,
      judged: false,
    });
  });

  it('a noisy baseline: the floor is 3× its median, and a freeze counts from twice the floor', () => {
    const v = view(() => 50_000);
    expect(v).toMatchObject({
      floorUs: 150_000,
      floorFrom: "3× the baseline's median",
      countFromUs: 300_000,
      countFrom: 'twice the floor',
    });
  });

  it('a baseline with two bad seconds: a freeze counts from twice its second-worst second (its worst may be one hiccup)', () => {
    // each at the first tick of its second (it belongs to that second only)
    const v = view(at(B0 + 600, 1, 80_000, at(B0 + 200, 1, 90_000)));
    expect(v).toMatchObject({ floorUs: 7_000, countFromUs: 160_000, countFrom: "twice the baseline's second-worst second" });
  });

  it('a stream the server emits: a freeze counts from the longest silence its rate has by chance', () => {
    const v = view(quiet, { emitted: 20 });
    expect(v).toMatchObject({
      countFromUs: chanceGapUs(20, 10_000_000),
      countFrom: 'the longest silence a stream of 20.0 events/s has by chance',
      judged: true,
    });
    const slow = view(quiet, { emitted: 1 });
    expect(slow).toMatchObject({
      judged: false,
      notJudged: "too few events: a freeze under 6.91s cannot be told from the stream's own gaps",
    });
  });

  it('a counting bound at hol.maxStall or beyond: not judged (a frozen baseline hides any freeze the rule could count)', () => {
    expect(view(() => 200_000).notJudged).toBe(
      'the baseline itself was frozen up to 600.0ms a second: a freeze under 1.20s cannot be told from it',
    );
    expect(view(quiet, { rules: { minFreezeUs: 1_000_000 } })).toMatchObject({ judged: false, countFromUs: 1_000_000 });
    expect(view(quiet, { rules: { minFreezeUs: 999_999 } })).toMatchObject({ judged: true, notJudged: undefined });
  });
});

describe('freezeView: what triggers, at the boundaries', () => {
  // the baseline once reached 80 ms in one tick (under the counting bound: no freeze, but its worst)
  const hiccup: Ticks = at(B0 + 300, 1, 80_000);

  it("a lone freeze triggers from 1.5× the baseline's worst shared age; two of any size over the bound do", () => {
    expect(view(at(S0 + 400, 10, 120_000, hiccup))).toMatchObject({ triggered: true, sustained: false });
    expect(view(at(S0 + 400, 10, 119_999, hiccup)).triggered).toBe(false);
    expect(view(at(S0 + 400, 10, 119_999, at(S0 + 700, 10, 119_999, hiccup))).triggered).toBe(true);
  });

  it("freezes trigger when their share of stress is over twice baseline's share (equal to twice is not over)", () => {
    // baseline frozen 100 ms of 8 s (1.25%); stress 250 ms of 10 s is exactly twice that, 260 ms is over it
    const base: Ticks = at(B0 + 300, 10, 150_000);
    const stress = (second: number) => view(at(S0 + 200, 12, 150_000, at(S0 + 600, second, 150_000, base)));
    expect(stress(13).stress.frozenUs).toBe(250_000);
    expect(stress(13).triggered).toBe(false);
    expect(stress(14).triggered).toBe(true);
  });

  it('a rise under the counting bound triggers once it lasts hol.sustain above the floor, sustained; a tick less does not', () => {
    expect(view(at(S0 + 100, 300, 50_000))).toMatchObject({ triggered: true, sustained: true });
    expect(view(at(S0 + 100, 300, 50_000)).stress.freezes).toEqual([]);
    expect(view(at(S0 + 100, 299, 50_000)).triggered).toBe(false);
  });

  it('in a stress shorter than twice hol.sustain, half of it is enough', () => {
    // 5 s of stress: 2.5 s above the floor (just above, so the median tick does not move)
    expect(view(at(S0 + 100, 250, 7_001), { stressSeconds: 5 }).triggered).toBe(true);
    expect(view(at(S0 + 100, 249, 7_001), { stressSeconds: 5 }).triggered).toBe(false);
  });

  it('a rise must cover a quarter of stress', () => {
    const rules = { sustainUs: 1_000_000 };
    expect(view(at(S0 + 100, 250, 7_001), { rules }).triggered).toBe(true);
    expect(view(at(S0 + 100, 249, 7_001), { rules }).triggered).toBe(false);
  });

  it("a rise must be at least 3× baseline's share above the floor", () => {
    // baseline above the floor one whole second of eight (12.5%): stress needs 37.5%
    const base: Ticks = at(B0 + 300, 100, 7_001);
    expect(view(at(S0 + 100, 375, 7_001, base))).toMatchObject({ floorUs: 7_000, triggered: true });
    expect(view(at(S0 + 100, 374, 7_001, base)).triggered).toBe(false);
  });

  it('a moved median tick triggers when it reaches indexLimit × and + minDelta over baseline: both are needed', () => {
    // indexLimit 3 and minDelta 4 ms over a 2 ms median: 6 ms meets both (and is not above the 6 ms floor)
    const shifted = view((j) => (j >= S0 ? 6_000 : 2_000), { rules: { indexLimit: 3, minDeltaUs: 4_000 } });
    expect(shifted).toMatchObject({ floorUs: 6_000, triggered: true, sustained: true });
    expect(shifted.stress.aboveFloorUs).toBe(0);
    expect(view((j) => (j >= S0 ? 5_999 : 2_000), { rules: { indexLimit: 3, minDeltaUs: 4_000 } }).triggered).toBe(false);
    // 5 ms: + minDelta (1 ms) met, 3× not; then 2× met, + minDelta (4 ms) not
    expect(view((j) => (j >= S0 ? 5_000 : 2_000), { rules: { indexLimit: 3, minDeltaUs: 1_000 } }).triggered).toBe(false);
    expect(view((j) => (j >= S0 ? 5_000 : 2_000), { rules: { indexLimit: 2, minDeltaUs: 4_000 } }).triggered).toBe(false);
  });

  it('a moved median needs a measured baseline of at least 2 s: with none, or 1 s, it is not judged', () => {
    expect(view((j) => (j >= S0 ? 50_000 : GONE)).triggered).toBe(false);
    const oneSecond = view((j) => (j >= 200 ? 50_000 : 2_000), { baseSeconds: 1 });
    expect(oneSecond.notJudged).toBe('1 whole seconds of baseline measured: no floor to judge against');
    expect(oneSecond).toMatchObject({ judged: false, triggered: false, sustained: false });
    // a rise that does not move the median, where no floor could be set: not judged, not triggered
    const risen = view(at(200, 400, 7_001), { baseSeconds: 1 });
    expect(risen).toMatchObject({ judged: false, triggered: false, sustained: false });
  });

  it('a stream too sparse for its silences to mean anything: no moved median is judged either', () => {
    const maxStallUs = chanceGapUs(20, 10_000_000);
    const risen = (j: number) => (j >= S0 ? 50_000 : 2_000);
    expect(view(risen, { emitted: 20, rules: { maxStallUs } })).toMatchObject({ judged: false, triggered: false });
    expect(view(risen, { emitted: 20, rules: { maxStallUs: maxStallUs + 1 } })).toMatchObject({ judged: true, triggered: true });
  });

  it('freezes make a sustained verdict when one of them lasts hol.sustain', () => {
    const rules = { sustainUs: 1_000_000 };
    expect(view(at(S0 + 100, 100, 150_000, at(S0 + 500, 20, 150_000)), { rules })).toMatchObject({ triggered: true, sustained: true });
    expect(view(at(S0 + 100, 99, 150_000, at(S0 + 500, 20, 150_000)), { rules })).toMatchObject({ triggered: true, sustained: false });
  });
});

describe('describeFreezes', () => {
  const phase = (freezes: FreezePhase['freezes'], worstUs = 42_000): FreezePhase => ({
    measuredUs: 12_000_000,
    aboveFloorUs: 0,
    freezes,
    frozenUs: freezes.reduce((a, f) => a + f.durationUs, 0),
    worstUs,
    medianUs: 2_000,
  });

  it('none, one, several: the count, the worst peak, and the time frozen of the time measured', () => {
    expect(describeFreezes(phase([]))).toBe('none (worst shared age 42.0ms)');
    expect(describeFreezes(phase([{ startUs: 0, durationUs: 300_000, peakUs: 312_000 }]))).toBe(
      '1 freeze (worst 312.0ms; 300.0ms frozen of 12.00s)',
    );
    expect(
      describeFreezes(
        phase([
          { startUs: 0, durationUs: 300_000, peakUs: 312_000 },
          { startUs: 5_000_000, durationUs: 300_000, peakUs: 150_000 },
        ]),
      ),
    ).toBe('2 freezes (worst 312.0ms; 600.0ms frozen of 12.00s)');
  });
});

describe('robustFloor: which bound sets the floor', () => {
  const rules = { indexLimit: 3, minDeltaUs: 5_000 };
  const eight = (us: number): number[] => Array.from({ length: 8 }, () => us);
  it('indexLimit × the median, the median + minDelta, or the median + 4 robust SDs, whichever is highest', () => {
    expect(robustFloor(eight(5_000), rules)).toEqual({ floorUs: 15_000, from: "3× the baseline's median" });
    expect(robustFloor(eight(1_000), rules)).toEqual({ floorUs: 6_000, from: 'the baseline median + hol.minDelta' });
    // median 5 ms, MAD 4 ms: 5 + 4 × 1.4826 × 4 ms
    expect(robustFloor([1_000, 1_000, 1_000, 1_000, 9_000, 9_000, 9_000, 9_000], rules)).toEqual({
      floorUs: 28_722,
      from: "the baseline median + 4 robust SD's",
    });
  });
});

describe('freezeView and chanceGapUs at the edges of their inputs', () => {
  it('a rate that is not a positive number has no chance gap: no silence can be told from a freeze', () => {
    expect(chanceGapUs(-1, 10_000_000)).toBe(Infinity);
    expect(chanceGapUs(Number.NaN, 10_000_000)).toBe(Infinity);
  });

  it('no stress measured moves no median, even over a baseline of zeros with hol.minDelta 0', () => {
    expect(view((j) => (j >= S0 ? GONE : 0), { rules: { minDeltaUs: 0 } })).toMatchObject({ triggered: false, judged: false });
  });
});
