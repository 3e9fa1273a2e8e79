// What the steps of a run (run.ts) share: the run's options, what the steps opened and started, and
// what each hands to the next.
import type { Worker } from 'node:worker_threads';
import type { Scenario } from '../scenario/types.js';
import type { IdMap } from '../measurement/idMap.js';
import type { Timeline } from '../measurement/schedule.js';
import type { planClients, ClientWorkers } from './clientWorkers.js';
import type { HealthSample } from './generatorHealth.js';
import type { ProgressTracker, ProgressSnapshot } from './progressTracker.js';
import type { LiveRecord, LiveUpdate } from './liveRecord.js';
import type { PublisherHandle } from './publisherHandle.js';
import type { RunState } from './runState.js';
import type { watchServer } from './serverWatch.js';
import type { TargetHandle } from './target.js';
import type { ServerCommand, ServerCommandOptions } from './serverCommand.js';
import type { ServerProcessSampler } from './serverProcess.js';
import type { MeasuredParts } from './buildRecord.js';

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

/** What the steps of one run share: its scenario and options, the target it opened, what to stop at the end. */
export interface Run {
  fullScenario: Scenario;
  /** This shard's part of `fullScenario`. */
  scenario: Scenario;
  shard: { index: number; count: number };
  options: RunOptions;
  say: (line: string) => void;
  startedAt: string;
  state: RunState;
  target: TargetHandle;
  /** The server `--server-cmd` started, and what it costs. */
  command: ServerCommand | undefined;
  sampler: ServerProcessSampler | undefined;
  /** The publisher's ids, as the clients' records name them. */
  idMap: IdMap;
  /** Every thread started, terminated at the end whatever happened. */
  threads: Worker[];
  /** The provisional record (with `onLive`), once the timeline is known. */
  live?: LiveRecord;
  stopLive: () => void;
}

export type Publisher = PublisherHandle & { health: HealthSample[] };

/** The client workers, started and ready, and how their clients are shared out. */
export interface StartedWorkers {
  workers: ClientWorkers;
  plans: ReturnType<typeof planClients>;
  progress: ProgressTracker;
}

/** The one timeline, and what runs on it until the end. */
export interface RunTimeline {
  tl: Timeline;
  cpuStart: NodeJS.CpuUsage;
  serverWatch: ReturnType<typeof watchServer>;
  progressTimer: NodeJS.Timeout;
}

/** What the record's head is built from: what ran, where, when, on how many workers. */
export type RecordHeadParts = Pick<
  MeasuredParts,
  'fullScenario' | 'scenario' | 'target' | 'shard' | 'startedAt' | 'startAtUs' | 'tl' | 'workers'
>;

/**
 * The head parts of this run, for the live record and the final one alike, so a head field cannot
 * reach one without the other.
 */
export function recordHeadParts(run: Run, tl: Timeline, workers: number): RecordHeadParts {
  const { fullScenario, scenario, target, shard, startedAt, options } = run;
  return { fullScenario, scenario, target, shard, startedAt, startAtUs: options.startAtUs, tl, workers };
}

/** Clients over all groups of a scenario. */
export function clientCount(scenario: Scenario): number {
  return scenario.groups.reduce((a, g) => a + g.count, 0);
}
