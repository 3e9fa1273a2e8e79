// Was the generator, not the server, the bottleneck? Judged from every runner thread's
// event-loop utilisation and delay and the publisher's lateness, during baseline and stress.
import { availableParallelism } from 'node:os';
import { phaseAt, type Timeline } from '../measurement/schedule.js';
import { formatUs } from '../util/units.js';
import type { Scenario } from '../scenario/types.js';
import type { PublisherStats, WorkerHealth } from './threadMessages.js';
import type { GeneratorHealth } from '../record/schema.js';

/** Beyond these a thread is strained; saturated in enough seconds, or late for enough events, it limited the run. */
const BOUND_ELU = 0.9;
const BOUND_LOOP_DELAY_US = 20_000;
const BOUND_LATENESS_US = 20_000;
/** Saturated: busy in at least this many measured seconds, and this share of them. */
const SATURATED_SECONDS = 3;
const SATURATED_SHARE = 0.25;
/** Behind schedule: at least this share of the events sent late. */
const BEHIND_SHARE = 0.05;

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
  // Could the generator keep up? A thread busy ≥ 90% of most seconds could not read as fast as
  // events came (and a publisher with many events late fell behind its schedule): that is not a
  // result. A thread that was merely delayed now and then kept up: its lateness is taken off every
  // age tick by tick, and its delay is said, not turned into `invalid`.
  const reasons: string[] = [];
  const bySource = new Map<string, { busy: number; seconds: number }>();
  for (const h of measured) {
    const b = bySource.get(h.source) ?? bySource.set(h.source, { busy: 0, seconds: 0 }).get(h.source)!;
    b.seconds++;
    if (h.health.elu >= BOUND_ELU) b.busy++;
  }
  for (const [source, b] of bySource) {
    if (b.busy >= SATURATED_SECONDS && b.busy >= SATURATED_SHARE * b.seconds)
      reasons.push(`${source} was busy ≥ ${BOUND_ELU * 100}% in ${b.busy} of ${b.seconds} seconds: it could not keep up`);
  }
  if (pub && pub.sent > 0 && pub.lateEvents >= BEHIND_SHARE * pub.sent && pub.latenessP99Us >= BOUND_LATENESS_US)
    reasons.push(
      `publisher fell behind schedule: ${pub.lateEvents} of ${pub.sent} events late, lateness p99 ${formatUs(pub.latenessP99Us)} (≥ ${formatUs(BOUND_LATENESS_US)})`,
    );
  const strained =
    elu.value >= BOUND_ELU || delay.value >= BOUND_LOOP_DELAY_US || (pub !== undefined && pub.latenessP99Us >= BOUND_LATENESS_US);
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
    ...(strained && reasons.length === 0
      ? {
          strained: `strained but kept up: worst loop delay p99 ${formatUs(delay.value)}, busy ${Math.round(elu.value * 100)}% at worst, publisher lateness p99 ${formatUs(pub?.latenessP99Us ?? 0)} (taken off every age in the seconds it happened)`,
        }
      : {}),
    replayBound: replayBusy,
  };
}
