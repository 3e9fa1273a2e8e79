// Was the generator, not the server, the bottleneck? Judged from every runner thread's
// event-loop utilisation and delay and the publisher's lateness, during baseline and stress.
import { availableParallelism } from 'node:os';
import { phaseAt, type Timeline } from '../measurement/schedule.js';
import { formatUs } from '../util/units.js';
import type { Scenario } from '../scenario/types.js';
import type { PublisherStats, WorkerHealth } from './threadMessages.js';
import type { GeneratorHealth } from '../record/schema.js';

/** Beyond these, the generator, not the server, limits the run. */
const BOUND_ELU = 0.9;
const BOUND_LOOP_DELAY_US = 20_000;
const BOUND_LATENESS_US = 20_000;

export interface HealthSample {
  source: string;
  /** A thread that only runs catch-up clients: its saturation limits the replay rate, not the verdict. */
  catchupOnly?: boolean;
  atUs: number;
  health: WorkerHealth;
}

export function judgeGenerator(
  scenario: Scenario,
  tl: Timeline,
  health: HealthSample[],
  pub: PublisherStats | undefined,
  cpu: NodeJS.CpuUsage,
  wallUs: number,
): GeneratorHealth {
  // judge the phases that decide the verdict; warmup may include connection storms
  const inMeasuredPhases = health.filter((h) => {
    const role = scenario.phases[phaseAt(tl, h.atUs - 500_000)]?.role;
    return h.atUs > tl.t0Us + 1_000_000 && (role === 'baseline' || role === 'stress');
  });
  const measured = inMeasuredPhases.filter((h) => !h.catchupOnly);
  const replayThreads = inMeasuredPhases.filter((h) => h.catchupOnly);
  const replayBusy = replayThreads.some((h) => h.health.elu >= BOUND_ELU || h.health.loopDelayP99Us >= BOUND_LOOP_DELAY_US);
  const worst = (f: (h: WorkerHealth) => number): { value: number; source: string } =>
    measured.reduce((a, h) => (f(h.health) > a.value ? { value: f(h.health), source: h.source } : a), { value: 0, source: '' });
  const elu = worst((h) => h.elu);
  const delay = worst((h) => h.loopDelayP99Us);
  const reasons: string[] = [];
  if (elu.value >= BOUND_ELU) reasons.push(`${elu.source} was busy ${Math.round(elu.value * 100)}% of a second (≥ ${BOUND_ELU * 100}%)`);
  if (delay.value >= BOUND_LOOP_DELAY_US)
    reasons.push(`${delay.source} event-loop delay p99 ${formatUs(delay.value)} (≥ ${formatUs(BOUND_LOOP_DELAY_US)})`);
  if (pub && pub.latenessP99Us >= BOUND_LATENESS_US)
    reasons.push(`publisher fell behind schedule: lateness p99 ${formatUs(pub.latenessP99Us)} (≥ ${formatUs(BOUND_LATENESS_US)})`);
  return {
    cpuPercent: wallUs > 0 ? Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 10 : 0,
    cores: availableParallelism(),
    eventLoopDelayP99Us: delay.value,
    eventLoopUtilization: elu.value,
    publisher: {
      sent: pub?.sent ?? 0,
      latenessP99Us: pub?.latenessP99Us ?? 0,
      latenessMaxUs: pub?.latenessMaxUs ?? 0,
      lateEvents: pub?.lateEvents ?? 0,
      prefilled: pub?.prefilled ?? 0,
    },
    bound: reasons.length > 0,
    reasons,
    replayBound: replayBusy,
  };
}
