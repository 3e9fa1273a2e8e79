// A merged record keeps what the freeze rule reads: each fast group's age series (added tick by tick),
// the generator's lateness and what strained it. A freeze that only the ages show survives a merge.
import { describe, expect, it } from 'vitest';
import { mergeShards } from '../../src/verdict/mergeShards.js';
import { analyseHol } from '../../src/verdict/hol.js';
import { lagBySecond, noiseModel } from '../../src/verdict/noise.js';
import type { RunRecord } from '../../src/record/schema.js';
import { decodeTicks, NO_CLIENT } from '../../src/util/ticksCodec.js';
import { RULES, steady, verdictRecord, type VerdictSpec } from '../support/verdictRecord.js';

// baseline 1 s → 9 s after t0, stress 9 s → 19 s
const STRESS_US = 9_000_000;
/** A 300 ms freeze of every fast client every 6 s of stress: no whole second looks bad. */
const freezes = (t: number): number => {
  for (const s of [STRESS_US + 2_000_000, STRESS_US + 8_000_000]) if (t >= s && t < s + 300_000) return 2_000 + (t - s);
  return 2_000;
};

function shard(index: number, spec: Partial<VerdictSpec> = {}): RunRecord {
  const rec = verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), ages: freezes, ...spec });
  rec.scenario.spec = { ...rec.scenario.spec, publisher: { rate: 1_000 }, hol: RULES, thresholds: {} } as RunRecord['scenario']['spec'];
  rec.shard = { index, count: 2 };
  rec.t0Us += index * 1_000; // shard i's schedule starts i/rate later
  rec.hol = analyseHol(rec, RULES);
  return rec;
}
const merge = (a: RunRecord, b: RunRecord) =>
  mergeShards([
    { source: 'a.json', record: a },
    { source: 'b.json', record: b },
  ]);

describe('merge keeps the age series, the lag and the strain', () => {
  it('two shards whose freeze shows only in the ages merge into hol', () => {
    const [a, b] = [shard(0), shard(1)];
    expect([a.hol.verdict, b.hol.verdict]).toEqual(['hol', 'hol']);
    expect(a.hol.evidence.filter((e) => e.triggered).map((e) => e.id)).toEqual(['freeze']);
    const merged = merge(a, b);
    expect(merged.groups[0]!.ages!.clients).toBe(20);
    expect(merged.hol.freezes!.stress.count).toBe(2);
    expect(merged.hol.verdict).toBe('hol');
  });

  it('the shared age is the youngest over the shards: a freeze on one shard only is no shared freeze', () => {
    const merged = merge(shard(0), shard(1, { ages: () => 2_000 }));
    const together = decodeTicks(merged.groups[0]!.ages!.together, 2_000)!;
    expect(together[(STRESS_US + 2_200_000) / 10_000]).toBe(2_000);
    expect(together.includes(NO_CLIENT)).toBe(false);
    expect(merged.hol.freezes!.stress.count).toBe(0);
    expect(merged.hol.verdict).toBe('none');
  });

  it("the generator's lateness of each shard is kept (the worst tick by tick), and so is its strain", () => {
    const late = (t: number): number => (t >= STRESS_US + 2_000_000 && t < STRESS_US + 2_400_000 ? 400_000 : 0);
    const a = shard(0, { lag: late });
    a.generator.strained = 'strained but kept up: worst loop delay p99 40.0ms';
    const merged = merge(a, shard(1, { lag: () => 0 }));
    expect(decodeTicks(merged.generator.lagTicks!, 2_000)![(STRESS_US + 2_100_000) / 10_000]).toBe(400_000);
    expect(merged.generator.strained).toBe('shard 0/2: strained but kept up: worst loop delay p99 40.0ms');
    // that lateness explains the first freeze: one left, which stands out from a clean baseline
    expect(merged.hol.freezes!.stress.count).toBe(1);
  });

  it('a shard whose age series or lateness cannot be read is named in the warnings, with what the merge did without it', () => {
    const clean = merge(shard(0, { lag: () => 0 }), shard(1, { lag: () => 0 }));
    expect(clean.warnings.filter((w) => /could not be read/.test(w))).toEqual([]);
    expect(clean.groups[0]!.ages).toBeDefined();

    const b = shard(1, { lag: () => 0 });
    b.groups[0]!.ages!.any = 'not a series';
    b.generator.lagTicks = 'not a series';
    const merged = merge(shard(0, { lag: () => 0 }), b);
    expect(merged.warnings).toEqual(
      expect.arrayContaining([
        'shard 1/2: group "fast"\'s age series could not be read: the merged record has none for "fast", so its freezes are not judged',
        "shard 1/2: the generator's lateness series could not be read: the merged record has none, so the generator's delay in each second is taken as its loop delay p99",
      ]),
    );
    expect(merged.groups[0]!.ages).toBeUndefined();
    expect(merged.generator.lagTicks).toBeUndefined();
  });
});

describe("the generator's lateness of only some shards is no lateness series: unknown is never shown as 0", () => {
  const lateWarnings = (r: RunRecord): string[] => r.warnings.filter((w) => /lateness series/.test(w));
  const loopDelayOf = (r: RunRecord): number => noiseModel(r, new Set(['fast']), RULES).loopDelayUs;

  it('every shard read: the worst of them, each second judged against it, no warning', () => {
    const merged = merge(shard(0, { lag: () => 0 }), shard(1, { lag: () => 0 }));
    expect(merged.generator.lagTicks).toBeDefined();
    expect(lagBySecond(merged)?.(STRESS_US)).toBe(0);
    expect(loopDelayOf(merged)).toBe(0);
    expect(lateWarnings(merged)).toEqual([]);
  });

  it("one shard's series unreadable: the merged record has none and falls back to the loop delay p99, naming that shard", () => {
    const b = shard(1, { lag: () => 0 });
    b.generator.lagTicks = '!!!';
    const merged = merge(shard(0, { lag: () => 0 }), b);
    expect(merged.generator.lagTicks).toBeUndefined();
    expect(lagBySecond(merged)).toBeUndefined();
    expect(loopDelayOf(merged)).toBe(merged.generator.eventLoopDelayP99Us);
    expect(loopDelayOf(merged)).toBeGreaterThan(0);
    expect(lateWarnings(merged)).toEqual([
      "shard 1/2: the generator's lateness series could not be read: the merged record has none, so the generator's delay in each second is taken as its loop delay p99",
    ]);
  });

  it('every shard unreadable: no series at all (never the encoding of an empty one, which reads as never late)', () => {
    const [a, b] = [shard(0, { lag: () => 0 }), shard(1, { lag: () => 0 })];
    a.generator.lagTicks = '!!!';
    b.generator.lagTicks = '!!!';
    const merged = merge(a, b);
    expect(merged.generator.lagTicks).toBeUndefined();
    expect(lagBySecond(merged)).toBeUndefined();
    expect(lateWarnings(merged).map((w) => w.slice(0, 10))).toEqual(['shard 0/2:', 'shard 1/2:']);
  });

  it('a shard without a series while another has one: none merged, that shard named; no shard with one: none, no warning', () => {
    const withoutLag = (r: RunRecord): RunRecord => {
      delete r.generator.lagTicks;
      return r;
    };
    const merged = merge(shard(0, { lag: () => 0 }), withoutLag(shard(1)));
    expect(merged.generator.lagTicks).toBeUndefined();
    expect(lateWarnings(merged)).toEqual([
      "shard 1/2: has no generator lateness series where other shards have one: the merged record has none, so the generator's delay in each second is taken as its loop delay p99",
    ]);
    const neither = merge(withoutLag(shard(0)), withoutLag(shard(1)));
    expect(neither.generator.lagTicks).toBeUndefined();
    expect(lateWarnings(neither)).toEqual([]);
  });
});
