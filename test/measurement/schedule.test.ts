// The one schedule: event k is due at t0 + k/rate (integer µs), and what each event is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dueCount,
  firstKAtOrAfter,
  intendedUs,
  mixTable,
  ownerOf,
  phaseAt,
  phaseSpans,
  roleWindow,
  runSchedule,
  timeline,
  visibleTo,
} from '../../src/measurement/schedule.js';
import { PUBLIC_GROUP, privateGroup } from '../../src/protocol/v0.js';
import type { PhaseSpec } from '../../src/scenario/types.js';
import { recordPhases } from '../../src/runner/buildRecord.js';
import { windowOf } from '../../src/verdict/select.js';
import type { RunRecord } from '../../src/record/schema.js';

const s = { t0Us: 1_000_000, rate: 3 }; // 333,333.3 µs apart

describe('schedule', () => {
  it('the run schedule posted to every thread: one t0 for the events and the phases, and the same after a postMessage copy', () => {
    const phases = [
      { name: 'a', durationUs: 2_000_000 },
      { name: 'b', durationUs: 3_000_000 },
    ] as Parameters<typeof timeline>[1];
    const plan = runSchedule(7_000_000, { publisher: { rate: 4 }, phases });
    expect(plan.schedule).toEqual({ t0Us: 7_000_000, rate: 4 });
    expect(plan.timeline).toEqual(timeline(7_000_000, phases));
    const copy = structuredClone(plan); // what a worker receives
    expect(intendedUs(copy.schedule, 8)).toBe(9_000_000);
    expect(intendedUs(copy.schedule, 8)).toBe(copy.timeline.starts[1]);
    expect(runSchedule(7_000_001, { publisher: { rate: 4 }, phases }).timeline.starts[0]).toBe(7_000_001);
  });

  it('event k is due at t0 + floor(k × 1e6 / rate)', () => {
    expect([0, 1, 2, 3].map((k) => intendedUs(s, k))).toEqual([1_000_000, 1_333_333, 1_666_666, 2_000_000]);
  });

  it('dueCount counts the events due by a time, inclusive', () => {
    expect(dueCount(s, 999_999)).toBe(0);
    expect(dueCount(s, 1_000_000)).toBe(1);
    expect(dueCount(s, 1_333_332)).toBe(1);
    expect(dueCount(s, 1_333_334)).toBe(2);
  });

  it('firstKAtOrAfter is the inverse of intendedUs at every boundary', () => {
    expect(firstKAtOrAfter(s, 0)).toBe(0);
    expect(firstKAtOrAfter(s, 1_000_000)).toBe(0);
    expect(firstKAtOrAfter(s, 1_000_001)).toBe(1);
    for (let k = 0; k < 50; k++) {
      expect(firstKAtOrAfter(s, intendedUs(s, k))).toBe(k);
      expect(firstKAtOrAfter(s, intendedUs(s, k) + 1)).toBe(k + 1);
    }
  });

  it('firstKAtOrAfter at any rate, whole or not: the first event due at or after the time, and none before it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: -1, max: 1 }),
        (num, den, j, delta) => {
          const sch = { t0Us: 1_000_000_000, rate: num / den };
          // at, just before and just after event j's intended time: where float rounding bites
          const us = intendedUs(sch, j) + delta;
          const k = firstKAtOrAfter(sch, us);
          return intendedUs(sch, k) >= us && (k === 0 || intendedUs(sch, k - 1) < us);
        },
      ),
      { numRuns: 5000, seed: 7 },
    );
  });

  it('dueCount at a fractional rate counts the events due by then', () => {
    const tenth = { t0Us: 0, rate: 0.1 }; // one event every 10 s
    expect([0, 9_999_999, 10_000_000, 25_000_000].map((t) => dueCount(tenth, t))).toEqual([1, 1, 2, 3]);
  });

  it('phases follow each other; phaseAt clamps to the first and last', () => {
    const tl = timeline(100, [
      { name: 'a', durationUs: 10, role: 'baseline' },
      { name: 'b', durationUs: 20, role: 'stress' },
    ]);
    expect(tl).toEqual({ t0Us: 100, starts: [100, 110], ends: [110, 130], endUs: 130 });
    expect([0, 109, 110, 129, 130, 1e9].map((us) => phaseAt(tl, us))).toEqual([0, 0, 1, 1, 1, 1]);
  });

  it('the mix is expanded by weight and interleaved, not in long runs', () => {
    const t = mixTable([
      { eventType: 'a', weight: 3, owner: 'public' },
      { eventType: 'b', weight: 1, owner: 'private' },
    ]);
    expect(t.map((e) => e.eventType).sort()).toEqual(['a', 'a', 'a', 'b']);
    expect(t.map((e) => e.eventType).join('')).not.toBe('aaab');
  });

  it('private events rotate over users; a reader token sees everything', () => {
    const priv = { eventType: 'x', weight: 1, owner: 'private' as const };
    const pub = { eventType: 'x', weight: 1, owner: 'public' as const };
    expect(ownerOf(priv, 7, 5)).toBe(privateGroup(2, 0));
    expect(ownerOf(pub, 7, 5)).toBe(PUBLIC_GROUP);
    expect(ownerOf(priv, 7, 0)).toBe(PUBLIC_GROUP);
    expect(visibleTo(priv, 7, 5, 2)).toBe(true);
    expect(visibleTo(priv, 7, 5, 3)).toBe(false);
    expect(visibleTo(priv, 7, 5, -1)).toBe(true);
    expect(visibleTo(pub, 7, 5, 3)).toBe(true);
    expect(visibleTo(priv, 7, 0, 3)).toBe(true);
    // user 0 is a user like any other: it reads its own private events, not the others'
    expect(visibleTo(priv, 10, 5, 0)).toBe(true);
    expect(visibleTo(priv, 7, 5, 0)).toBe(false);
  });
});

describe('roleWindow: where the phases of a role lie, one answer for the runner and the verdict', () => {
  const T0 = 7_000_000;
  const phases: PhaseSpec[] = [
    { name: 'warmup', durationUs: 500_000, role: 'warmup' },
    { name: 'hit', durationUs: 1_000_000, role: 'stress' },
    { name: 'calm', durationUs: 1_000_000, role: 'baseline' },
    { name: 'hit again', durationUs: 2_000_000, role: 'stress' },
    { name: 'recovery', durationUs: 700_000, role: 'recovery' },
  ];
  const tl = timeline(T0, phases);

  it("on a timeline: from the first stress phase's start to the last one's end, the phase between included, its seconds not", () => {
    expect(roleWindow(phaseSpans(tl, phases), 'stress')).toEqual({ startUs: T0 + 500_000, endUs: T0 + 4_500_000, seconds: 3 });
    expect(roleWindow(phaseSpans(tl, phases), 'recovery')?.endUs).toBe(tl.endUs);
    expect(roleWindow(phaseSpans(tl, phases), 'other')).toBeUndefined();
  });

  it("the record's window (µs since t0) is the timeline's, shifted by t0", () => {
    const record = { phases: recordPhases({ phases } as never, tl) } as RunRecord;
    for (const role of ['warmup', 'baseline', 'stress', 'recovery', 'other']) {
      const onTimeline = roleWindow(phaseSpans(tl, phases), role);
      expect(windowOf(record, role)).toEqual(
        onTimeline && { ...onTimeline, startUs: onTimeline.startUs - T0, endUs: onTimeline.endUs - T0 },
      );
    }
  });
});
