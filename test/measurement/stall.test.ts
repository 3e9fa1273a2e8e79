// The stall tracker alone: the age of the oldest owed event, per phase, per second and per client.
import { describe, expect, it } from 'vitest';
import { GroupRecorder } from '../../src/measurement/recorder.js';
import { timeline } from '../../src/measurement/schedule.js';
import { StallTracker } from '../../src/measurement/stall.js';
import { AgeTicks } from '../../src/measurement/ageTicks.js';

const T0 = 1_000_000_000;
const tl = timeline(T0, [
  { name: 'baseline', durationUs: 2_000_000, role: 'baseline' },
  { name: 'stress', durationUs: 2_000_000, role: 'stress' },
]);

function setup(ownedFromUs = T0) {
  const rec = new GroupRecorder('fast', 2);
  rec.t0Us = T0;
  const totals = { delivered: 0, missing: 0, duplicates: 0, outOfOrder: 0, lateArrivals: 0, maxStallUs: 0 };
  return { rec, totals, stall: new StallTracker(rec, tl, totals, ownedFromUs) };
}
const seconds = (rec: GroupRecorder) => Object.fromEntries(rec.takeIntervals().map((iv) => [iv.index, iv.maxStallUs]));

describe('StallTracker', () => {
  it('one event, delivered 300 ms late inside one second: 300 ms there, nowhere else', () => {
    const { rec, totals, stall } = setup();
    stall.outstanding(T0 + 100_000, T0 + 400_000, Infinity);
    expect(totals.maxStallUs).toBe(300_000);
    expect(rec.phases[0]!.counters.maxStallUs).toBe(300_000);
    expect(rec.phases[1]!.counters.maxStallUs).toBe(0);
    expect(seconds(rec)).toEqual({ 0: 300_000 });
  });

  it('an event outstanding across seconds and phases: each holds its age at its own end', () => {
    const { rec, totals, stall } = setup();
    stall.outstanding(T0 + 1_500_000, T0 + 3_200_000, Infinity);
    expect(totals.maxStallUs).toBe(1_700_000);
    expect(rec.phases[0]!.counters.maxStallUs).toBe(500_000);
    expect(rec.phases[1]!.counters.maxStallUs).toBe(1_700_000);
    expect(seconds(rec)).toEqual({ 1: 500_000, 2: 1_500_000, 3: 1_700_000 });
  });

  it('aged from when the client was owed events, and capped at the end of its last phase and of the run', () => {
    const late = setup(T0 + 1_000_000);
    late.stall.outstanding(T0 + 200_000, T0 + 1_250_000, Infinity); // published before the client joined
    expect(late.totals.maxStallUs).toBe(250_000);
    const capped = setup();
    capped.stall.outstanding(T0 + 500_000, T0 + 9_000_000, T0 + 2_000_000);
    expect(capped.totals.maxStallUs).toBe(1_500_000);
    expect(capped.rec.phases[1]!.counters.maxStallUs).toBe(0);
    const runEnd = setup();
    runEnd.stall.outstanding(T0 + 3_500_000, T0 + 9_000_000, Infinity);
    expect(runEnd.totals.maxStallUs).toBe(500_000);
  });

  it('nothing outstanding: an event delivered before it was due, or one never owed', () => {
    const { rec, totals, stall } = setup();
    stall.outstanding(T0 + 500_000, T0 + 400_000, Infinity);
    stall.outstanding(T0 + 500_000, T0 + 500_000, Infinity);
    stall.outstanding(T0 + 500_000, T0 + 900_000, T0 + 500_000);
    expect(totals.maxStallUs).toBe(0);
    expect(rec.takeIntervals()).toEqual([]);
  });

  it('a younger event overlapping an older one adds only its own new ground; an older one still counts', () => {
    const { rec, stall } = setup();
    stall.outstanding(T0 + 100_000, T0 + 2_600_000, Infinity); // old, long
    stall.outstanding(T0 + 2_000_000, T0 + 2_500_000, Infinity); // younger, inside the old one: smaller ages
    stall.outstanding(T0 + 2_500_000, T0 + 3_400_000, Infinity); // younger, beyond it: new ground in second 3
    expect(seconds(rec)).toEqual({ 0: 900_000, 1: 1_900_000, 2: 2_500_000, 3: 900_000 });
    const other = setup();
    other.stall.outstanding(T0 + 1_000_000, T0 + 1_500_000, Infinity);
    other.stall.outstanding(T0 + 200_000, T0 + 1_400_000, Infinity); // older, delivered out of order: larger ages
    expect(seconds(other.rec)).toEqual({ 0: 800_000, 1: 1_200_000 });
  });
});

describe('StallTracker at the edges', () => {
  it('an event outstanding until exactly a second boundary ages nothing in the second that begins there', () => {
    const { rec, stall } = setup();
    stall.outstanding(T0 + 400_000, T0 + 1_000_000, Infinity);
    expect(seconds(rec)).toEqual({ 0: 600_000 });
  });

  it('an event outstanding until exactly a phase boundary ages nothing in the phase that begins there', () => {
    const { rec, totals, stall } = setup();
    stall.outstanding(T0 + 1_200_000, T0 + 2_000_000, Infinity);
    expect(totals.maxStallUs).toBe(800_000);
    expect(rec.phases.map((p) => p.counters.maxStallUs)).toEqual([800_000, 0]);
  });

  it("a fast client's ticks: the same span, tick by tick", () => {
    const rec = new GroupRecorder('fast', 2);
    rec.t0Us = T0;
    const totals = { delivered: 0, missing: 0, duplicates: 0, outOfOrder: 0, lateArrivals: 0, maxStallUs: 0 };
    const ticks = new AgeTicks(T0, tl.endUs, T0 + 100_000);
    const stall = new StallTracker(rec, tl, totals, T0 + 100_000, ticks);
    stall.outstanding(T0 + 20_000, T0 + 400_000, Infinity); // published before it was owed events: aged from then
    expect(ticks.ages[10]).toBe(0);
    expect(ticks.ages[39]).toBe(290_000);
    expect(ticks.ages[40]).toBe(0);
    stall.outstanding(T0 + 500_000, T0 + 500_000, Infinity); // delivered on time: nothing
    expect(ticks.ages.slice(41).every((v) => v === 0)).toBe(true);
  });
});
