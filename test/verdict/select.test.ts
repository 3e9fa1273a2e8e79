// Picking group/phase results out of a record: histograms added, counters summed, stalls at their
// worst, and the client-seconds a per-client rate divides by.
import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, recordUs } from '../../src/measurement/histogram.js';
import { hasClientsIn, isFast, phasesOf, phasesWithRole, select, windowOf } from '../../src/verdict/select.js';
import type { RunRecord } from '../../src/record/schema.js';
import { verdictRecord } from '../support/verdictRecord.js';

function encoded(values: number[]): string {
  const h = createHistogram();
  for (const v of values) recordUs(h, v);
  return encodeHistogram(h);
}

/** warmup 1 s, baseline 1 s, stress 2 s: `fast` (10 clients) in all three, `fast2` (5) only in stress, a stalled slow group in stress. */
function record(): RunRecord {
  const rec = verdictRecord({
    baseline: [[100, 200]],
    stress: [[300], [400]],
    baseCounters: { delivered: 100, arrived: 90, missing: 3, duplicates: 2, outOfOrder: 1, maxStallUs: 40_000, maxStalenessUs: 7_000 },
    stressCounters: { delivered: 200, arrived: 180, missing: 5, duplicates: 0, outOfOrder: 4, maxStallUs: 30_000, maxStalenessUs: 9_000 },
  });
  const fast = rec.groups[0]!;
  fast.phases.stress = { ...fast.phases.stress!, uncorrectedHistogram: encoded([1, 2, 3, 4, 5]) };
  rec.groups.push({
    ...fast,
    name: 'fast2',
    clients: 5,
    phases: {
      stress: {
        ...fast.phases.stress,
        clients: 5,
        delivered: 50,
        arrived: 40,
        missing: 1,
        duplicates: 1,
        outOfOrder: 0,
        maxStallUs: 60_000,
        // a record from before staleness was counted
        maxStalenessUs: undefined as unknown as number,
        histogram: encoded([1_500, 1_900]),
        uncorrectedHistogram: encoded([1_500, 1_900]),
      },
    },
  });
  return rec;
}

describe('select', () => {
  it("the fast groups' stress: histograms added, counts summed, stalls at their worst, client-seconds summed", () => {
    const rec = record();
    const s = select(rec, isFast, phasesWithRole(rec, 'stress'));
    expect(s.latency.totalCount).toBe(4);
    expect(s.latency.maxValue).toBe(1_900); // under 2048 µs a histogram holds values exactly
    expect(s.uncorrected.totalCount).toBe(7);
    expect({ ...s, latency: undefined, uncorrected: undefined }).toEqual({
      latency: undefined,
      uncorrected: undefined,
      delivered: 250,
      arrived: 220,
      missing: 6,
      duplicates: 1,
      outOfOrder: 4,
      maxStallUs: 60_000,
      maxStalenessUs: 9_000,
      clientSeconds: 10 * 2 + 5 * 2,
      matched: 2,
    });
  });

  it('a group without the phase adds nothing to it; the slow group is not fast', () => {
    const rec = record();
    const b = select(rec, isFast, phasesWithRole(rec, 'baseline'));
    expect(b).toMatchObject({
      delivered: 100,
      arrived: 90,
      missing: 3,
      duplicates: 2,
      outOfOrder: 1,
      maxStallUs: 40_000,
      maxStalenessUs: 7_000,
    });
    expect(b).toMatchObject({ clientSeconds: 10, matched: 1 });
    expect(b.latency.totalCount).toBe(2);
    // every group in stress: the stalled client's 100 missing events count too
    expect(select(rec, () => true, phasesWithRole(rec, 'stress')).missing).toBe(106);
  });

  it('nothing matched: empty histograms and zeros', () => {
    const rec = record();
    const none = select(rec, isFast, phasesWithRole(rec, 'recovery'));
    expect(none).toMatchObject({ delivered: 0, maxStallUs: 0, maxStalenessUs: 0, clientSeconds: 0, matched: 0 });
    expect(none.latency.totalCount).toBe(0);
  });
});

describe('isFast and phasesWithRole', () => {
  it('fast is the kind, not the name', () => {
    expect(record().groups.map(isFast)).toEqual([true, false, true]);
  });

  it('the phases of a role, by name, however many there are', () => {
    const rec = record();
    rec.phases.push({ name: 'stress again', role: 'stress', startUs: 4_000_000, durationUs: 1_000_000 });
    const stress = phasesWithRole(rec, 'stress');
    expect(['stress', 'stress again', 'baseline', 'warmup', 'nope'].map(stress)).toEqual([true, true, false, false, false]);
  });
});

describe('phasesOf, windowOf and hasClientsIn: the phases of a role, asked in one place', () => {
  /** `record()` with a second stress phase after a recovery: 4 s → 5 s recovery, 5 s → 6.5 s stress again. */
  function twoStresses(): RunRecord {
    const rec = record();
    rec.phases.push({ name: 'recovery', role: 'recovery', startUs: 4_000_000, durationUs: 1_000_000 });
    rec.phases.push({ name: 'stress again', role: 'stress', startUs: 5_000_000, durationUs: 1_500_000 });
    return rec;
  }

  it('the phases of a role in timeline order; none of a role the record lacks', () => {
    const rec = twoStresses();
    expect(phasesOf(rec, 'stress').map((p) => p.name)).toEqual(['stress', 'stress again']);
    expect(phasesOf(rec, 'other')).toEqual([]);
  });

  it('their window: the first start, the last end, their seconds (a gap between them not counted); none without the role', () => {
    const rec = twoStresses();
    expect(windowOf(rec, 'stress')).toEqual({ startUs: 2_000_000, endUs: 6_500_000, seconds: 3.5 });
    expect(windowOf(rec, 'baseline')).toEqual({ startUs: 1_000_000, endUs: 2_000_000, seconds: 1 });
    expect(windowOf(rec, 'other')).toBeUndefined();
  });

  it('a group has clients in a role when one of its phases of that role has any', () => {
    const rec = twoStresses();
    const [fast, stalled, fast2] = rec.groups;
    expect([fast, stalled, fast2].map((g) => hasClientsIn(rec, g!, 'stress'))).toEqual([true, true, true]);
    expect([fast, stalled, fast2].map((g) => hasClientsIn(rec, g!, 'baseline'))).toEqual([true, false, false]);
    expect(hasClientsIn(rec, fast!, 'recovery')).toBe(false); // no result for that phase at all
    fast2!.phases['stress again'] = { ...fast2!.phases.stress!, clients: 0 };
    fast2!.phases.stress = { ...fast2!.phases.stress!, clients: 0 };
    expect(hasClientsIn(rec, fast2!, 'stress')).toBe(false);
  });

  it('gives what each reader computed on its own before', () => {
    const rec = twoStresses();
    rec.groups[2]!.phases.stress = { ...rec.groups[2]!.phases.stress!, clients: 0 };
    for (const role of ['warmup', 'baseline', 'stress', 'recovery', 'other']) {
      const own = rec.phases.filter((p) => p.role === role);
      expect(phasesOf(rec, role)).toEqual(own);
      // the delivery rule's seconds, the tested rule's window, the unknown-ids rule's end
      expect(windowOf(rec, role)?.seconds ?? 0).toBe(own.reduce((a, p) => a + p.durationUs / 1e6, 0));
      if (own.length)
        expect(windowOf(rec, role)).toMatchObject({
          startUs: Math.min(...own.map((p) => p.startUs)),
          endUs: Math.max(...own.map((p) => p.startUs + p.durationUs)),
        });
      // the verdict's "slow clients present in stress" read the group's phases by name
      for (const g of rec.groups)
        expect(hasClientsIn(rec, g, role)).toBe(
          Object.entries(g.phases).some(([name, p]) => p.clients > 0 && rec.phases.find((x) => x.name === name)?.role === role),
        );
    }
  });
});
