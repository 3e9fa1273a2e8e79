// Messages between the runner's main thread and its worker threads (publisher, client workers).
import type { Scenario } from '../scenario/types.js';
import type { IdRange } from '../measurement/idMap.js';
import type { RunSchedule } from '../measurement/schedule.js';
import type { EncodedInterval, EncodedPhase } from '../measurement/recorder.js';
import type { ClientTotals, PhaseCounters, PushbackRecord, ReplayTotals } from '../record/schema.js';
import type { GroupAges } from '../measurement/ageTicks.js';
import type { SeenIds } from '../measurement/emittedStream.js';

export interface ClientPlan {
  clientId: number;
  group: number;
  /** Index in the permission directory (−1: a token that reads everything). */
  user: number;
  token?: string;
}

export interface ClientWorkerInit {
  workerIndex: number;
  url: string;
  /** Every server's URL (several with target.embedded.multi): client k connects to urls[k % urls.length]. */
  urls: string[];
  scenario: Scenario;
  clients: ClientPlan[];
  /** Users in the target's directory: decides which events a user's client should see. */
  users: number;
  /** Ship a `live` snapshot every second (only when a dashboard is on; paused by `live` messages while no page watches). */
  live?: boolean;
  /** A quiet worker (see youngGenerationMb): collect the garbage of its first clients' connect storm once they are connected (connectStorm.ts). */
  collectAfterConnecting?: boolean;
}

export interface PublisherInit {
  url: string;
  token?: string;
  scenario: Scenario;
  users: number;
  /** This shard's share of the schedule: publish k where k % shards === shard. */
}

export type MainToWorker =
  | { type: 'start'; plan: RunSchedule; headId: number }
  | { type: 'ids'; ranges: IdRange[]; headId: number; sent: number }
  /** Server-emitted stream (publish server): the highest id any client had at the end of a phase. */
  | { type: 'streamHead'; phase: number; id: number; timeUs: number; seen?: SeenIds }
  /** Server-emitted stream: the highest id any worker's clients have seen so far (where catch-up replays from). */
  | { type: 'streamSeen'; id: number }
  /** A live dashboard's page opened (on) or every page closed (off): ship `live` snapshots only while on. */
  | { type: 'live'; on: boolean }
  | { type: 'stop'; reason: string };

export interface WorkerHealth {
  /** Event-loop utilisation over the last second, 0..1. */
  elu: number;
  loopDelayP99Us: number;
  loopDelayMaxUs: number;
}

export interface ClientResult {
  clientId: number;
  group: number;
  totals: ClientTotals;
  replay?: ReplayTotals;
  connectUs: number;
  ackUs: number;
  /** Close code the server sent, if it closed the connection. */
  closedByServer?: number;
  closeReason?: string;
  /** µs since t0. */
  closedAtUs?: number;
  refused?: 'connect' | 'subscribe';
  /** Frames the runner refused (clients/frameReader.ts), and pings it left unanswered, by kind. */
  frameFaults?: Record<string, number>;
  /** Slow clients: whether and when their backlog reached the server (runner/pushback.ts). */
  pushback?: PushbackRecord;
}

/** One group in one client worker at one moment, for the live dashboard (nothing in the run record comes from it). */
export interface LiveGroup {
  group: number;
  /** The group's counters so far, per phase. */
  counters: PhaseCounters[];
  /** Owed events not delivered and not yet accounted, by the second since t0 they were intended in: [second, count, newest intended µs]. */
  owed: [number, number, number][];
  /** Intended time of the oldest of them (NaN when none). */
  oldestOwedUs: number;
  /** Clients connected and not closed, and of those the ones whose oldest owed event is ≥ 1 s old. */
  open: number;
  stalled: number;
}

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'interval'; intervals: EncodedInterval[] }
  | { type: 'health'; atUs: number; health: WorkerHealth }
  | {
      type: 'result';
      groups: { group: number; phases: EncodedPhase[]; ages?: GroupAges }[];
      clients: ClientResult[];
      /** How late this thread's timers fired, per tick of the run (what its own delay explains of any age). */
      lag?: Uint32Array;
    }
  /** The highest id this worker's clients had when phase `phase` ended (server-emitted streams). */
  | { type: 'streamHead'; phase: number; id: number; timeUs: number; seen?: SeenIds }
  /** What arrived in the first seconds: do the messages carry the id and time fields at all? */
  | { type: 'streamSeen'; id: number }
  | { type: 'diagnostic'; events: number; eventsWithoutTime: number; nonEvents: number; firstNonEvent?: string; firstEvent?: string }
  | { type: 'fatal'; message: string }
  /** The live dashboard's snapshot, each second; `ended` holds the clients closed or refused since the last one. */
  | {
      type: 'live';
      atUs: number;
      groups: LiveGroup[];
      ended: ClientResult[];
      /** How long taking it kept the worker busy (its cost to the generator). */ tookUs: number;
    };

export interface PublisherStats {
  sent: number;
  /** Lateness of actual send behind intended time, encoded histogram (µs). */
  lateness: string;
  latenessP99Us: number;
  latenessMaxUs: number;
  /** Events sent more than 10 ms behind schedule. */
  lateEvents: number;
  /** Publishes that failed (HTTP errors of the generic adapter's http publisher). */
  publishErrors: number;
  prefilled: number;
}

export type PublisherToMain =
  | { type: 'connected'; headId: number }
  /** New id ranges acknowledged, and how many scheduled events have been sent so far. */
  | { type: 'ids'; ranges: IdRange[]; headId: number; sent: number }
  | { type: 'health'; atUs: number; health: WorkerHealth }
  | { type: 'done'; stats: PublisherStats; lag?: Uint32Array }
  | { type: 'fatal'; message: string };
