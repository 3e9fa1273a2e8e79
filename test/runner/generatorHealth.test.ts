// Was the generator the bottleneck? Each limit at its boundary, only the phases that decide the
// verdict, and a catch-up-only thread that limits the replay rate, not the verdict.
import { describe, expect, it } from 'vitest';
import { judgeGenerator, type HealthSample } from '../../src/runner/generatorHealth.js';
import { timeline } from '../../src/measurement/schedule.js';
import type { PublisherStats } from '../../src/runner/threadMessages.js';
import type { Scenario } from '../../src/scenario/types.js';

const T0 = 1_000_000_000;
const phases = [
  { name: 'warmup', durationUs: 2_000_000, role: 'warmup' as const },
  { name: 'baseline', durationUs: 4_000_000, role: 'baseline' as const },
  { name: 'stress', durationUs: 4_000_000, role: 'stress' as const },
];
const scenario = { phases } as unknown as Scenario;
const tl = timeline(T0, phases);
const sample = (atS: number, elu: number, delayUs: number, catchupOnly = false): HealthSample => ({
  source: catchupOnly ? 'client worker 1' : 'client worker 0',
  catchupOnly,
  atUs: T0 + atS * 1e6,
  health: { elu, loopDelayP99Us: delayUs, loopDelayMaxUs: delayUs },
});
const pub = (latenessP99Us: number): PublisherStats => ({
  sent: 100,
  lateness: '',
  latenessP99Us,
  latenessMaxUs: latenessP99Us,
  lateEvents: 0,
  publishErrors: 0,
  prefilled: 0,
});
const judge = (samples: HealthSample[], p = pub(0)) =>
  judgeGenerator(scenario, tl, samples, p, { user: 2_000_000, system: 500_000 }, 10_000_000);

describe('generator health', () => {
  it('healthy threads and an on-time publisher: not bound; CPU as % of one core', () => {
    const g = judge([sample(3, 0.5, 5_000), sample(7, 0.6, 8_000)]);
    expect(g).toMatchObject({
      bound: false,
      reasons: [],
      eventLoopDelayP99Us: 8_000,
      eventLoopUtilization: 0.6,
      cpuPercent: 25,
      replayBound: false,
    });
  });

  const busy = (seconds: number[], elu: number) => seconds.map((t) => sample(t, elu, 0));

  it('saturated: busy ≥ 90% in 3 measured seconds and a quarter of them is bound; 2 seconds, or 89%, is not', () => {
    expect(judge(busy([3, 4, 5], 0.89)).bound).toBe(false);
    expect(judge(busy([3, 4], 0.95)).bound).toBe(false);
    const g = judge(busy([3, 4, 5], 0.9));
    expect(g.bound).toBe(true);
    expect(g.reasons).toEqual(['client worker 0 was busy ≥ 90% in 3 of 3 seconds: it could not keep up']);
    // 3 busy seconds among 16 measured is under a quarter: strained, not bound
    const spread = judge([...busy([3, 4, 5], 0.95), ...busy([2.6, 3.5, 4.5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5, 9.9], 0.2)]);
    expect(spread.bound).toBe(false);
    expect(spread.strained).toMatch(/^strained but kept up/);
  });

  it('a delayed generator kept up: its loop delay is said (strained), never `invalid` on its own', () => {
    const g = judge([sample(4, 0.1, 90_000)]);
    expect(g.bound).toBe(false);
    expect(g.strained).toMatch(/worst loop delay p99 90\.0ms/);
    expect(judge([sample(4, 0.1, 19_999)]).strained).toBeUndefined();
  });

  it('publisher: behind schedule when ≥ 5% of its events were late and its lateness p99 ≥ 20 ms', () => {
    const late = (lateEvents: number, p99: number): PublisherStats => ({ ...pub(p99), lateEvents });
    expect(judge([], late(5, 20_000)).reasons).toEqual([
      'publisher fell behind schedule: 5 of 100 events late, lateness p99 20.0ms (≥ 20.0ms)',
    ]);
    expect(judge([], late(4, 20_000)).bound).toBe(false);
    expect(judge([], late(50, 19_999)).bound).toBe(false);
  });

  it('only baseline and stress count: a busy warmup or a sample in the first second is not judged', () => {
    expect(judge(busy([1.2, 1.4, 1.6], 1)).bound).toBe(false); // warmup
    expect(judge(busy([2.6, 3, 4], 1)).bound).toBe(true); // baseline (a sample covers the half second before)
  });

  it('a saturated catch-up-only thread limits the replay rate, not the verdict', () => {
    const g = judge([sample(5, 0.99, 50_000, true), sample(5, 0.3, 1_000)]);
    expect(g).toMatchObject({ bound: false, replayBound: true, eventLoopUtilization: 0.3 });
  });
});
