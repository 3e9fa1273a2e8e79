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

  it('utilisation: 90% is bound, 89% is not', () => {
    expect(judge([sample(4, 0.89, 0)]).bound).toBe(false);
    const g = judge([sample(4, 0.9, 0)]);
    expect(g.bound).toBe(true);
    expect(g.reasons).toEqual(['client worker 0 was busy 90% of a second (≥ 90%)']);
  });

  it('event-loop delay: 20 ms is bound, just under is not', () => {
    expect(judge([sample(4, 0.1, 19_999)]).bound).toBe(false);
    expect(judge([sample(4, 0.1, 20_000)]).reasons).toEqual(['client worker 0 event-loop delay p99 20.0ms (≥ 20.0ms)']);
  });

  it('publisher lateness: 20 ms is bound, just under is not', () => {
    expect(judge([], pub(19_999)).bound).toBe(false);
    expect(judge([], pub(20_000)).reasons).toEqual(['publisher fell behind schedule: lateness p99 20.0ms (≥ 20.0ms)']);
  });

  it('only baseline and stress count: a busy warmup or a sample in the first second is not judged', () => {
    expect(judge([sample(1.2, 1, 90_000)]).bound).toBe(false); // warmup
    expect(judge([sample(2.6, 1, 90_000)]).bound).toBe(true); // baseline (its sample covers the half second before)
  });

  it('a saturated catch-up-only thread limits the replay rate, not the verdict', () => {
    const g = judge([sample(5, 0.99, 50_000, true), sample(5, 0.3, 1_000)]);
    expect(g).toMatchObject({ bound: false, replayBound: true, eventLoopUtilization: 0.3 });
  });
});
