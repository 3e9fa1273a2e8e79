// The freeze rule: every fast client frozen together, judged per 10 ms tick against a robust floor,
// stress against baseline, the generator's own lateness taken off. Both directions, at the boundaries.
import { describe, expect, it } from 'vitest';
import { analyseHol } from '../../src/verdict/hol.js';
import { chanceGapUs, robustFloor } from '../../src/verdict/freeze.js';
import { RULES, steady, verdictRecord, type VerdictSpec } from '../support/verdictRecord.js';

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
