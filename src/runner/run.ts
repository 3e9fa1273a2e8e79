// Runs a scenario: opens the target, starts the publisher and client worker threads on one
// timeline, collects what they measured and assembles the run record. Stops by itself when the
// scenario ends; on abort (Ctrl-C, server death, worker crash) it still returns what it measured.
import { budgetLimitedReason } from './clients/messageBudget.js';
import type { Worker } from 'node:worker_threads';
import { isoFromUs, nowUs } from '../clock.js';
import { UserError, EXIT_SIGINT, EXIT_UNREACHABLE, EXIT_USAGE } from '../util/errors.js';
import { redactUrl } from '../util/redact.js';
import type { Scenario } from '../scenario/types.js';
import { formatUs } from '../util/units.js';
import { IdMap } from '../measurement/idMap.js';
import { runSchedule, type Timeline } from '../measurement/schedule.js';
import { buildRecord, recordPhases } from './buildRecord.js';
import { assembleLag } from './assemble.js';
import { defaultWorkers, planClients, startClientWorkers, type ClientWorkers } from './clientWorkers.js';
import { judgeGenerator, type HealthSample } from './generatorHealth.js';
import type { MainToWorker } from './threadMessages.js';
import { ProgressTracker, type ProgressSnapshot } from './progressTracker.js';
import { feedLive, LiveRecord, type LiveUpdate } from './liveRecord.js';
import { serverPublishesItself, startPublisher, type PublisherHandle } from './publisherHandle.js';
import type { RunRecord } from '../record/schema.js';
import { RunState } from './runState.js';
import { scrapeServer } from './scrape.js';
import { watchServer } from './serverWatch.js';
import { openTarget, type TargetHandle } from './target.js';
import { checkReadyFor, checkStartAt } from './startAt.js';
import { isLoopbackUrl, startServerCommand, type ServerCommand, type ServerCommandOptions } from './serverCommand.js';
import { ServerProcessSampler, summarizeServerProcess } from './serverProcess.js';

/** After an abort, how long the client workers get to report what they measured before the run ends without them. */
const ABORT_REPORT_MS = 5000;

export { defaultWorkers } from './clientWorkers.js';
export type { LiveUpdate } from './liveRecord.js';
export type { ProgressSnapshot } from './progressTracker.js';

export interface RunOptions {
  /** Client worker threads (default: cores − 1, at least 1: the server needs a core too). */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (p: ProgressSnapshot) => void;
  /** Once a second after t0: the record so far, with its provisional verdict (feeds a live dashboard; costs the main thread a little). */
  onLive?: (update: LiveUpdate) => void;
  /**
   * With onLive: whether anyone watches now (a dashboard page is open). While nobody does, the
   * workers ship no snapshots and no record is built, so an unwatched dashboard costs next to
   * nothing; within about a second of a page opening, the records resume. Default: always watched.
   */
  liveWatched?: () => boolean;
  /** Receives the runner's one-line notes for a person (publisher connected, server lines). */
  say?: (line: string) => void;
  /** Run shard `index` of `count` (0-based): this process takes its share of every group's clients and of the publisher's schedule. */
  shard?: { index: number; count: number };
  /**
   * Start at this instant (epoch µs, `--start-at`) instead of about a second from now: t0 is this
   * instant (plus the shard's schedule offset), so shards given one instant share their timeline.
   * The run opens its target and connects its clients first, then waits, interruptibly.
   */
  startAtUs?: number;
  /** Start the URL target's server from this command first, sample what it costs, and stop it after (`--server-cmd`). */
  serverCommand?: ServerCommandOptions;
}

/** `--server-cmd` needs a URL target on this machine, and one server for the whole run. */
function checkServerCommand(scenario: Scenario, shard: { count: number }): string {
  const t = scenario.target;
  if (t.kind !== 'url') throw new UserError("--server-cmd: only with --target (the URL the command's server listens on)", EXIT_USAGE);
  if (!isLoopbackUrl(t.url))
    throw new UserError(
      `--server-cmd: --target must be on this machine (127.0.0.1, ::1 or localhost) to start and measure its server here, got "${redactUrl(t.url)}"`,
      EXIT_USAGE,
    );
  if (shard.count > 1) throw new UserError('--server-cmd: not with --shard (each shard would start a server of its own)', EXIT_USAGE);
  return t.url;
}

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
  if (shard.count > 1 && fullScenario.target.kind === 'embedded') {
    // N embedded servers at 1/N of the load each would merge into a record of no server at all
    throw new UserError(
      '--shard: shards split one load against one shared server: give it with --target (an embedded server is private to each shard)',
    );
  }
  // before any load: an instant already past (or a day away) is an error of the command line
  if (options.startAtUs !== undefined) checkStartAt(options.startAtUs, nowUs());
  const { scenario, t0OffsetUs } = shardScenario(fullScenario, shard);
  const say = options.say ?? (() => {});
  const totalClients = scenario.groups.reduce((a, g) => a + g.count, 0);
  const requestedWorkers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), Math.max(1, totalClients)));
  const startedAt = new Date().toISOString();
  const commandUrl = options.serverCommand ? checkServerCommand(scenario, shard) : undefined;
  const command: ServerCommand | undefined =
    options.serverCommand && commandUrl ? await startServerCommand(commandUrl, options.serverCommand, say, options.signal) : undefined;
  const state = new RunState();
  const sampler = command
    ? new ServerProcessSampler(command.pid, () => state.abort(`the server command (${command.name}) exited: none of its processes is left`))
    : undefined;
  sampler?.start();
  let target: TargetHandle;
  try {
    target = await openTarget(scenario, (line) => say(`server: ${line}`), options.signal);
  } catch (err) {
    sampler?.stop();
    await command?.stop();
    throw err;
  }
  if (options.signal?.aborted) state.abort('interrupted');
  else options.signal?.addEventListener('abort', () => state.abort('interrupted'));
  void target.server?.exited.then((code) => state.abort(`embedded server exited (${code})`));

  const threads: Worker[] = [];
  let stopLive = (): void => {};
  try {
    const idMap = new IdMap();
    let workers: ClientWorkers | undefined;
    const { publisher, headId } = await connectPublisher(scenario, target, state, idMap, (m) => workers?.broadcast(m), say);
    if (publisher.thread) threads.push(publisher.thread);
    const progress = new ProgressTracker(scenario);
    const plans = planClients(scenario, target, requestedWorkers);
    let live: LiveRecord | undefined;
    const started = startClientWorkers(scenario, target, plans, state, {
      onIntervals: (parts) => {
        progress.note(parts);
        live?.noteIntervals(parts);
      },
      onLive: options.onLive ? (workerIndex, snapshot) => live?.noteSnapshot(workerIndex, snapshot) : undefined,
    });
    workers = started;
    threads.push(...started.threads);
    await started.ready;

    // one timeline: phase-0 clients get time to connect and subscribe before t0 (or until the instant given)
    if (options.startAtUs !== undefined) checkReadyFor(options.startAtUs, nowUs());
    const startUs = options.startAtUs ?? nowUs() + 1_000_000 + totalClients * 1_000;
    const plan = runSchedule(startUs + t0OffsetUs, scenario);
    const tl: Timeline = plan.timeline;
    sampler?.sampleAt([...tl.starts, tl.endUs]);
    const cpuStart = process.cpuUsage();
    if (options.onLive) {
      live = new LiveRecord({ fullScenario, scenario, target, shard, startedAt, startAtUs: options.startAtUs, tl, workers: plans.length });
      stopLive = feedLive(live, options.onLive, {
        health: () => [...started.health, ...publisher.health],
        generatorJudged: (health, atUs) =>
          judgeGenerator(scenario, tl, health, publisher.stats(), process.cpuUsage(cpuStart), atUs - tl.t0Us),
        marks: () => state.marks(),
        watched: options.liveWatched ?? (() => true),
        setWorkersWatched: (on) => started.broadcast({ type: 'live', on }),
        metrics: target.metricsUrl ? { url: target.metricsUrl, token: target.metricsToken } : undefined,
        serverProcess:
          command && sampler
            ? () => summarizeServerProcess(command.name, command.pid, sampler.samples(), tl.t0Us, recordPhases(scenario, tl))
            : undefined,
      });
    }
    publisher.start(plan, headId.value);
    started.broadcast({ type: 'start', plan, headId: headId.value });
    const serverWatch = watchServer(target.metricsUrl, target.metricsToken, tl, scenario.phases); // /metrics at each phase's end
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
      started.broadcast({ type: 'stop', reason: state.abortReason ?? '' });
    });
    // a worker that never reports must not hang the run
    const deadline = new Promise<void>((resolve) =>
      setTimeout(resolve, (tl.endUs - nowUs()) / 1000 + scenario.graceUs / 1000 + 20_000).unref(),
    );
    // an abort (Ctrl-C, the server died) gives the workers a few seconds to report, not the rest of the scenario
    const reportedAfterAbort = state.aborted.catch(() => new Promise<void>((resolve) => setTimeout(resolve, ABORT_REPORT_MS).unref()));
    await Promise.race([Promise.all([started.done, publisher.done]), deadline, reportedAfterAbort]);
    clearInterval(progressTimer);
    stopLive();
    if (started.results.length < plans.length)
      state.invalidReason ??= `${plans.length - started.results.length} client worker(s) did not report`;
    state.invalidReason ??= budgetLimitedReason(started.results.flatMap((r) => r.clients));
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
      fullScenario,
      scenario,
      target,
      shard,
      startedAt,
      startAtUs: options.startAtUs,
      tl,
      endedUs,
      workers: plans.length,
      results: started.results,
      intervals: started.intervals,
      generator: {
        ...judgeGenerator(scenario, tl, [...started.health, ...publisher.health], publisher.stats(), cpu, endedUs - tl.t0Us),
        lagTicks: assembleLag(started.results, publisher.lag()),
      },
      server,
      serverProcess: command && sampler ? { command: command.name, pid: command.pid, samples: sampler.samples() } : undefined,
      idMap,
      state,
    });
  } finally {
    stopLive();
    sampler?.stop();
    await Promise.all(threads.map((t) => t.terminate().catch(() => 0)));
    await target.stop();
    await command?.stop();
  }
}

/**
 * Starts the publisher (or stands in for it when the target emits on its own) and waits until it is
 * connected: an unreachable target or a Ctrl-C before t0 is a user error, not a record.
 */
async function connectPublisher(
  scenario: Scenario,
  target: TargetHandle,
  state: RunState,
  idMap: IdMap,
  relay: (m: MainToWorker) => void,
  say: (line: string) => void,
): Promise<{ publisher: PublisherHandle & { health: HealthSample[] }; headId: { value: number } }> {
  const health: HealthSample[] = [];
  const headId = { value: 0 };
  const selfEmitting = scenario.target.kind === 'url' && scenario.target.generic?.publish.kind === 'server';
  const handle = selfEmitting
    ? serverPublishesItself()
    : startPublisher(
        { url: target.url, token: target.publisherToken, scenario, users: target.users },
        {
          onIds(ranges, head, sent) {
            idMap.addAll(ranges);
            idMap.sent = sent;
            headId.value = Math.max(headId.value, head);
            relay({ type: 'ids', ranges, headId: head, sent });
          },
          onHealth: (atUs, h) => health.push({ source: 'publisher', atUs, health: h }),
          onFatal(message) {
            // refused before a single event was accepted: nothing was measured, the target is unusable
            if (idMap.knownCount === 0) state.refuse(message);
            else state.abort(message);
          },
          onCrash: (message) => state.fail(message),
        },
      );
  const publisher = Object.assign(handle, { health });
  state.onAbort(() => publisher.stop(state.abortReason ?? ''));
  try {
    headId.value = await Promise.race([publisher.connected, state.aborted]);
  } catch (err) {
    if (state.abortReason === 'interrupted') throw new UserError('interrupted before the run started: nothing was measured', EXIT_SIGINT);
    throw new UserError(`target unreachable: ${target.url}: ${(err as Error).message}`, EXIT_UNREACHABLE);
  }
  if (!selfEmitting)
    say(
      `publisher connected to ${target.url}${scenario.publisher.prefill ? ` (prefilled ${scenario.publisher.prefill} events, head ${headId.value})` : ''}`,
    );
  return { publisher, headId };
}
