// A run's timeline step: everyone on one timeline from t0, and what runs on it (the live feed,
// the server's watch, the progress ticks).
import { isoFromUs, nowUs } from '../clock.js';
import { formatUs } from '../util/units.js';
import { runSchedule, type Timeline } from '../measurement/schedule.js';
import { recordPhases } from './buildRecord.js';
import { judgeGenerator } from './generatorHealth.js';
import { feedLive, LiveRecord, type LiveUpdate } from './liveRecord.js';
import { watchServer } from './serverWatch.js';
import { checkReadyFor } from './startAt.js';
import { summarizeServerProcess } from './serverProcess.js';
import { clientCount, recordHeadParts, type Publisher, type Run, type RunTimeline, type StartedWorkers } from './runContext.js';

/**
 * The timeline step: puts everyone on one timeline (phase-0 clients get time to connect and
 * subscribe before t0, or until the instant given), starts the publisher, the workers, the live
 * feed, the server's watch and the progress ticks, and stops them all on an abort.
 */
export function startTimeline(run: Run, t0OffsetUs: number, publisher: Publisher, headId: number, started: StartedWorkers): RunTimeline {
  const { scenario, options, state, sampler, say } = run;
  const { workers, plans, progress } = started;
  if (options.startAtUs !== undefined) checkReadyFor(options.startAtUs, nowUs());
  const totalClients = clientCount(scenario);
  const startUs = options.startAtUs ?? nowUs() + 1_000_000 + totalClients * 1_000;
  const plan = runSchedule(startUs + t0OffsetUs, scenario);
  const tl: Timeline = plan.timeline;
  sampler?.sampleAt([...tl.starts, tl.endUs]);
  const cpuStart = process.cpuUsage();
  if (options.onLive) startLive(run, options.onLive, tl, cpuStart, publisher, started);
  publisher.start(plan, headId);
  workers.broadcast({ type: 'start', plan, headId });
  const serverWatch = watchServer(run.target.metricsUrl, run.target.metricsToken, tl, scenario.phases); // /metrics at each phase's end
  say(
    `run started: ${totalClients} clients on ${plans.length} worker(s), ${scenario.phases.map((p) => `${p.name} ${formatUs(p.durationUs)}`).join(' → ')}; its clock starts at ${isoFromUs(tl.t0Us)}`,
  );
  if (options.startAtUs !== undefined)
    say(
      `clients connecting; the run's clock starts at ${isoFromUs(options.startAtUs)} (--start-at, in ${formatUs(Math.max(0, options.startAtUs - nowUs()))})`,
    );
  const progressTimer = setInterval(() => options.onProgress?.(progress.snapshot(tl, nowUs())), 250);
  state.onAbort(() => {
    publisher.stop(state.abortReason ?? '');
    workers.broadcast({ type: 'stop', reason: state.abortReason ?? '' });
  });
  return { tl, cpuStart, serverWatch, progressTimer };
}

/** The live feed (`onLive`): the provisional record, fed by the workers' snapshots, read once a second. */
export function startLive(
  run: Run,
  onLive: (update: LiveUpdate) => void,
  tl: Timeline,
  cpuStart: NodeJS.CpuUsage,
  publisher: Publisher,
  started: StartedWorkers,
): void {
  const { scenario, target, options, state, command, sampler } = run;
  const { workers, plans } = started;
  const live = new LiveRecord(recordHeadParts(run, tl, plans.length));
  run.live = live;
  run.stopLive = feedLive(live, onLive, {
    health: () => [...workers.health, ...publisher.health],
    generatorJudged: (health, atUs) => judgeGenerator(scenario, tl, health, publisher.stats(), process.cpuUsage(cpuStart), atUs - tl.t0Us),
    marks: () => state.marks(),
    watched: options.liveWatched ?? (() => true),
    setWorkersWatched: (on) => workers.broadcast({ type: 'live', on }),
    metrics: target.metricsUrl ? { url: target.metricsUrl, token: target.metricsToken } : undefined,
    serverProcess:
      command && sampler
        ? () => summarizeServerProcess(command.name, command.pid, sampler.samples(), tl.t0Us, recordPhases(scenario, tl))
        : undefined,
  });
}
