// Runs a scenario: opens the target, starts the publisher and client worker threads on one
// timeline, collects what they measured and assembles the run record. Stops by itself when the
// scenario ends; on abort (Ctrl-C, server death, worker crash) it still returns what it measured.
import { budgetLimitedReason } from './clients/messageBudget.js';
import { isoFromUs, nowUs } from '../clock.js';
import { UserError, EXIT_SIGINT, EXIT_UNREACHABLE } from '../util/errors.js';
import type { Scenario } from '../scenario/types.js';
import { buildRecord } from './buildRecord.js';
import { assembleLag } from './assemble.js';
import { defaultWorkers, planClients, startClientWorkers, type ClientWorkers } from './clientWorkers.js';
import { judgeGenerator } from './generatorHealth.js';
import { ProgressTracker } from './progressTracker.js';
import type { RunRecord } from '../record/schema.js';
import { RunState } from './runState.js';
import { scrapeServer } from './scrape.js';
import { checkStartAt } from './startAt.js';
import {
  clientCount,
  recordHeadParts,
  type Publisher,
  type Run,
  type RunOptions,
  type RunTimeline,
  type StartedWorkers,
} from './runContext.js';
import { openRunTarget } from './runTarget.js';
import { connectPublisher } from './runPublisher.js';
import { startTimeline } from './runTimeline.js';

/** After an abort, how long the client workers get to report what they measured before the run ends without them. */
const ABORT_REPORT_MS = 5000;

export { defaultWorkers } from './clientWorkers.js';
export type { LiveUpdate } from './liveRecord.js';
export type { ProgressSnapshot } from './progressTracker.js';
export type { RunOptions } from './runContext.js';

/**
 * A shard's part of a scenario: every `count`-th event of the global schedule (as its own schedule
 * at rate/count, offset by index/rate) and its share of each group's clients.
 */
export function shardScenario(scenario: Scenario, shard: { index: number; count: number }): { scenario: Scenario; t0OffsetUs: number } {
  if (shard.count <= 1) return { scenario, t0OffsetUs: 0 };
  const s = structuredClone(scenario);
  s.publisher.rate = scenario.publisher.rate / shard.count;
  s.publisher.prefill =
    Math.floor(scenario.publisher.prefill / shard.count) + (shard.index < scenario.publisher.prefill % shard.count ? 1 : 0);
  for (const g of s.groups) g.count = Math.floor(g.count / shard.count) + (shard.index < g.count % shard.count ? 1 : 0);
  return { scenario: s, t0OffsetUs: Math.floor((shard.index * 1e6) / scenario.publisher.rate) };
}

/**
 * Runs a scenario, in order: open the target; start the publisher and wait until it is connected;
 * start the client workers; put everyone on one timeline (t0); wait for the workers' results (or an
 * abort, or a deadline); scrape the server; build the record. `RunState` decides what an early end
 * means.
 */
export async function runScenario(fullScenario: Scenario, options: RunOptions = {}): Promise<RunRecord> {
  const shard = options.shard ?? { index: 0, count: 1 };
  checkRunOptions(fullScenario, shard, options);
  const { scenario, t0OffsetUs } = shardScenario(fullScenario, shard);
  const say = options.say ?? (() => {});
  const startedAt = new Date().toISOString();
  const state = new RunState();
  const opened = await openRunTarget(scenario, shard, options, state, say);
  const run: Run = { fullScenario, scenario, shard, options, say, startedAt, state, ...opened, threads: [], stopLive: () => {} };
  try {
    let workers: ClientWorkers | undefined;
    const { publisher, headId } = await connectPublisher(scenario, run.target, state, run.idMap, (m) => workers?.broadcast(m), say);
    if (publisher.thread) run.threads.push(publisher.thread);
    const started = await startWorkers(run);
    workers = started.workers;
    const timeline = startTimeline(run, t0OffsetUs, publisher, headId.value, started);
    await awaitResults(run, timeline, publisher, started);
    return await recordRun(run, timeline, publisher, started);
  } finally {
    await stopRun(run);
  }
}

/** What is wrong with a run's options before any load: a shard of an embedded server, a `--start-at` instant past or too far. */
function checkRunOptions(fullScenario: Scenario, shard: { count: number }, options: RunOptions): void {
  if (shard.count > 1 && fullScenario.target.kind === 'embedded') {
    // N embedded servers at 1/N of the load each would merge into a record of no server at all
    throw new UserError(
      '--shard: shards split one load against one shared server: give it with --target (an embedded server is private to each shard)',
    );
  }
  // before any load: an instant already past (or a day away) is an error of the command line
  if (options.startAtUs !== undefined) checkStartAt(options.startAtUs, nowUs());
}

/** The workers step: starts the client threads with their share of the clients; resolves once every client is ready. */
async function startWorkers(run: Run): Promise<StartedWorkers> {
  const { scenario, target, options, state } = run;
  const totalClients = clientCount(scenario);
  const requestedWorkers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), Math.max(1, totalClients)));
  const progress = new ProgressTracker(scenario);
  const plans = planClients(scenario, target, requestedWorkers);
  const workers = startClientWorkers(scenario, target, plans, state, {
    onIntervals: (parts) => {
      progress.note(parts);
      run.live?.noteIntervals(parts);
    },
    onLive: options.onLive ? (workerIndex, snapshot) => run.live?.noteSnapshot(workerIndex, snapshot) : undefined,
  });
  run.threads.push(...workers.threads);
  await workers.ready;
  return { workers, plans, progress };
}

/**
 * Waits for the workers' and the publisher's results; an abort (Ctrl-C, the server died) gives the
 * workers a few seconds to report, not the rest of the scenario, and a worker that never reports
 * must not hang the run. Then stops the ticks and the live feed, and notes what makes the run invalid.
 */
async function awaitResults(run: Run, timeline: RunTimeline, publisher: Publisher, started: StartedWorkers): Promise<void> {
  const { scenario, state } = run;
  const { workers, plans } = started;
  const deadline = new Promise<void>((resolve) =>
    setTimeout(resolve, (timeline.tl.endUs - nowUs()) / 1000 + scenario.graceUs / 1000 + 20_000).unref(),
  );
  const reportedAfterAbort = state.aborted.catch(() => new Promise<void>((resolve) => setTimeout(resolve, ABORT_REPORT_MS).unref()));
  await Promise.race([Promise.all([workers.done, publisher.done]), deadline, reportedAfterAbort]);
  clearInterval(timeline.progressTimer);
  run.stopLive();
  if (workers.results.length < plans.length)
    state.invalidReason ??= `${plans.length - workers.results.length} client worker(s) did not report`;
  state.invalidReason ??= budgetLimitedReason(workers.results.flatMap((r) => r.clients));
}

/**
 * The record step: the generator's health over the run, the server's own view (/metrics, by phase
 * and at the end), what the server command cost, and the record built from the workers' results.
 * A run stopped before any result, or while waiting for a distant `--start-at`, is an error instead.
 */
async function recordRun(run: Run, timeline: RunTimeline, publisher: Publisher, started: StartedWorkers): Promise<RunRecord> {
  const { scenario, target, options, state, command, sampler, idMap } = run;
  const { tl, cpuStart, serverWatch } = timeline;
  const { workers, plans } = started;
  const cpu = process.cpuUsage(cpuStart);
  const endedUs = nowUs();
  const serverPhases = await serverWatch.stop();
  const server =
    target.metricsUrl && !target.server?.child.exitCode ? await scrapeServer(target.metricsUrl, target.metricsToken) : undefined;
  if (server && serverPhases.length) server.phases = serverPhases;
  sampler?.stop();
  state.throwIfNoResult(target.url);
  // stopped while waiting for a distant --start-at: there is no run to record (a run stopped in its
  // usual second before t0 still records its clients' fates: refused, stuck in a handshake)
  if (options.startAtUs !== undefined && endedUs < tl.t0Us && state.abortReason !== undefined) {
    const interrupted = state.abortReason === 'interrupted';
    throw new UserError(
      `${interrupted ? 'interrupted' : `stopped (${state.abortReason})`} before the run's clock started at ${isoFromUs(tl.t0Us)}: nothing was measured`,
      interrupted ? EXIT_SIGINT : EXIT_UNREACHABLE,
    );
  }
  return buildRecord({
    ...recordHeadParts(run, tl, plans.length),
    endedUs,
    results: workers.results,
    intervals: workers.intervals,
    generator: {
      ...judgeGenerator(scenario, tl, [...workers.health, ...publisher.health], publisher.stats(), cpu, endedUs - tl.t0Us),
      lagTicks: assembleLag(workers.results, publisher.lag()),
    },
    server,
    serverProcess: command && sampler ? { command: command.name, pid: command.pid, samples: sampler.samples() } : undefined,
    idMap,
    state,
  });
}

/** Stops what a run started, whatever happened: the live feed, the sampler, every thread, the target, the server command. */
async function stopRun(run: Run): Promise<void> {
  run.stopLive();
  run.sampler?.stop();
  await Promise.all(run.threads.map((t) => t.terminate().catch(() => 0)));
  await run.target.stop();
  await run.command?.stop();
}
