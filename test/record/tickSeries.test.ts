// The one decoder of a record's tick series: it reads what the verdict, the merge and the chart each
// read with their own caps before, refuses a series longer than the run's timeline and one at another
// tick spacing.
import { describe, expect, it } from 'vitest';
import { decodeAges, decodeLag, encodeAges, maxTicksOf } from '../../src/record/tickSeries.js';
import { decodeTicks, encodeTicks, TICK_US } from '../../src/util/ticksCodec.js';
import { steady, verdictRecord } from '../support/verdictRecord.js';
import type { RunRecord } from '../../src/record/schema.js';

const series = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, j) => (j * 7919) % 100_000);

/** A healthy run (warmup 1 s, baseline 8 s, stress 10 s) whose fast group and generator carry `n` ticks. */
function recordWith(n: number): RunRecord {
  const rec = verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), ages: () => 0 });
  const text = encodeTicks(series(n));
  rec.groups[0]!.ages = { tickUs: TICK_US, clients: 10, together: text, any: text };
  rec.generator.lagTicks = text;
  return rec;
}

const phasesEndUs = (r: RunRecord): number => Math.max(...r.phases.map((p) => p.startUs + p.durationUs));

// how each reader decoded before there was one decoder
const old = {
  verdict: (r: RunRecord, text: string) => decodeTicks(text, Math.ceil(r.durationUs / TICK_US) + 1),
  chart: (r: RunRecord, text: string) => decodeTicks(text, Math.ceil(r.durationUs / TICK_US) + 200),
  merge: (r: RunRecord, text: string) => decodeTicks(text, Math.ceil(phasesEndUs(r) / TICK_US) + 1),
};

describe('a record tick series, decoded once', () => {
  it('reads what the verdict, the chart and the merge read from a run the runner wrote (its series as long as its timeline)', () => {
    const rec = recordWith(0);
    expect(phasesEndUs(rec)).toBe(rec.durationUs);
    const ticks = Math.ceil(rec.durationUs / TICK_US);
    for (const n of [0, 1, ticks - 1, ticks]) {
      const r = recordWith(n);
      const text = r.groups[0]!.ages!.together;
      for (const read of Object.values(old)) {
        expect(decodeAges(r, r.groups[0]!.ages, 'together')).toEqual(read(r, text));
        expect(decodeAges(r, r.groups[0]!.ages, 'any')).toEqual(read(r, text));
        expect(decodeLag(r)).toEqual(read(r, text));
      }
      expect(decodeLag(r)).toEqual(series(n));
    }
  });

  it('refuses a series longer than the timeline and the tick at its end, and reads one that long', () => {
    const rec = recordWith(0);
    expect(maxTicksOf(rec)).toBe(rec.durationUs / TICK_US + 1);
    expect(decodeLag(recordWith(maxTicksOf(rec)))).toEqual(series(maxTicksOf(rec)));
    const long = recordWith(maxTicksOf(rec) + 1);
    expect(decodeLag(long)).toBeUndefined();
    expect(decodeAges(long, long.groups[0]!.ages, 'together')).toBeUndefined();
  });

  it("reads a run stopped early up to its timeline's end (the series is sized to the phases; the ticks after the stop have no client)", () => {
    const r = recordWith(Math.ceil(phasesEndUs(recordWith(0)) / TICK_US));
    r.partial = true;
    r.durationUs = 12_000_000;
    expect(maxTicksOf(r)).toBe(phasesEndUs(r) / TICK_US + 1);
    expect(decodeAges(r, r.groups[0]!.ages, 'together')).toEqual(series(phasesEndUs(r) / TICK_US));
    // the verdict's cap refused it (the run is not a result either way); the merge's read it
    expect(old.verdict(r, r.groups[0]!.ages!.together)).toBeUndefined();
    expect(old.merge(r, r.groups[0]!.ages!.together)).toEqual(series(phasesEndUs(r) / TICK_US));
  });

  it('an age series at another spacing, absent or unreadable is no series; so is an absent or unreadable lag', () => {
    const r = recordWith(100);
    expect(decodeAges(r, { ...r.groups[0]!.ages!, tickUs: TICK_US / 2 }, 'together')).toBeUndefined();
    expect(decodeAges(r, undefined, 'together')).toBeUndefined();
    expect(decodeAges(r, { ...r.groups[0]!.ages!, together: 'not deflated' }, 'together')).toBeUndefined();
    expect(decodeAges(r, { ...r.groups[0]!.ages!, together: 'not deflated' }, 'any')).toEqual(series(100));
    delete r.generator.lagTicks;
    expect(decodeLag(r)).toBeUndefined();
    r.generator.lagTicks = 'not deflated';
    expect(decodeLag(r)).toBeUndefined();
  });

  it('a group written with encodeAges reads back through decodeAges, at the one tick spacing', () => {
    const r = recordWith(0);
    const g = { clients: 3, together: series(50), any: series(60) };
    const ages = encodeAges(g);
    expect(ages.tickUs).toBe(TICK_US);
    expect(ages.clients).toBe(3);
    expect(decodeAges(r, ages, 'together')).toEqual(g.together);
    expect(decodeAges(r, ages, 'any')).toEqual(g.any);
  });
});
