// The generator's lateness in the record: the publisher's and that of the threads that measured fast
// clients' ages. A saturated catch-up thread's lateness explains none of those ages, so it neither
// hides a fast-client freeze nor makes the run invalid.
import { describe, expect, it } from 'vitest';
import { assembleLag } from '../../src/runner/assemble.js';
import { decodeTicks, NO_CLIENT, TICK_US } from '../../src/util/ticksCodec.js';
import { analyseHol } from '../../src/verdict/hol.js';
import { RULES, steady, verdictRecord } from '../support/verdictRecord.js';

// baseline 1 s → 9 s after t0, stress 9 s → 19 s
const STRESS_US = 9_000_000;
const TICKS = 1_900;
const series = (f: (t: number) => number): Uint32Array => Uint32Array.from({ length: TICKS }, (_, j) => f(j * TICK_US));
const ages = { clients: 4, together: series(() => 2_000), any: series(() => 2_000) };
/** A worker that tracked fast clients' ages, and one of catch-up clients only (no ages). */
const fastWorker = (lag: Uint32Array) => ({ groups: [{ group: 0, phases: [], ages }], lag });
const catchupWorker = (lag: Uint32Array) => ({ groups: [{ group: 1, phases: [] }], lag });
const none = series(() => 0);

/** One 450 ms freeze of every fast client as a catch-up client joins at stress start. */
const joinFreeze = (t: number): number => (t >= STRESS_US && t < STRESS_US + 450_000 ? 2_000 + (t - STRESS_US) : 2_000);
function judgeWith(lagTicks: string | undefined) {
  const rec = verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), ages: joinFreeze });
  if (lagTicks) rec.generator.lagTicks = lagTicks;
  else delete rec.generator.lagTicks;
  return analyseHol(rec, RULES);
}

describe('assembleLag', () => {
  it("takes the worst of the publisher's and the measuring workers' lateness, tick by tick", () => {
    const a = series((t) => (t === 1_000_000 ? 30_000 : 0));
    const b = series((t) => (t === 1_000_000 ? 50_000 : t === 2_000_000 ? 10_000 : 0));
    const lag = decodeTicks(assembleLag([fastWorker(a)], b)!, TICKS)!;
    expect([lag[100], lag[200], lag[300]]).toEqual([50_000, 10_000, 0]);
  });

  it("leaves out a worker that tracked no fast client's age", () => {
    const saturated = series((t) => (t >= STRESS_US ? 100_000 : 0));
    const lag = decodeTicks(assembleLag([fastWorker(none), catchupWorker(saturated)], undefined)!, TICKS)!;
    expect(Math.max(...lag)).toBe(0);
    expect(assembleLag([catchupWorker(saturated)], undefined)).toBeUndefined();
    // the same lateness on a thread that measured fast clients counts
    const measured = decodeTicks(assembleLag([fastWorker(saturated)], undefined)!, TICKS)!;
    expect(measured[STRESS_US / TICK_US]).toBe(100_000);
    expect(ages.together[0]).not.toBe(NO_CLIENT);
  });
});

describe("a saturated catch-up thread and the fast clients' freeze", () => {
  it('its lateness during the replay does not hide the join freeze: hol', () => {
    const replaying = series((t) => (t >= STRESS_US && t < STRESS_US + 500_000 ? 460_000 : 0));
    const r = judgeWith(assembleLag([fastWorker(none), catchupWorker(replaying)], none));
    expect(r.freezes!.stress.count).toBe(1);
    expect(r.verdict).toBe('hol');
    // had it been taken off the fast clients' ages, the freeze would have gone
    expect(judgeWith(assembleLag([fastWorker(replaying)], none)).verdict).not.toBe('hol');
  });

  it('its lateness through all of stress does not make the run invalid', () => {
    const saturated = series((t) => (t >= STRESS_US ? 100_000 : 0));
    const r = judgeWith(assembleLag([fastWorker(none), catchupWorker(saturated)], none));
    expect(r.verdict).toBe('hol');
    // on a thread that measured fast clients, that much lateness is a generator that could not keep up
    expect(judgeWith(assembleLag([fastWorker(saturated)], none)).verdict).toBe('invalid');
  });
});
