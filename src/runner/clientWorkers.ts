// The client worker threads, seen from the main thread: plans which clients each runs, starts them,
// and gathers what they ship — per-second intervals, health samples, server-emitted stream heads, the
// first seconds' diagnostic and, at the end, each worker's encoded results.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { distFile } from '../util/paths.js';
import { userToken } from '../protocol/v0.js';
import type { Scenario } from '../scenario/types.js';
import type { EncodedInterval } from '../measurement/recorder.js';
import type { WorkerResult } from './assemble.js';
import { diagnose, type DiagnosticReport } from './diagnose.js';
import type { HealthSample } from './generatorHealth.js';
import type { ClientPlan, ClientWorkerInit, MainToWorker, WorkerToMain } from './threadMessages.js';
import { unionSeen, type SeenIds } from '../measurement/emittedStream.js';
import type { RunState } from './runState.js';
import type { TargetHandle } from './target.js';

/** Two client threads at least, so a replaying catch-up client never shares a thread with fast clients. */
export function defaultWorkers(): number {
  return Math.max(2, availableParallelism() - 1);
}

/**
 * Spreads clients over workers round-robin; with two or more workers, catch-up clients (which
 * read as fast as the server replays) get the last worker to themselves, so their load cannot
 * show up as latency of the fast clients.
 */
export function planClients(
  scenario: Scenario,
  target: Pick<TargetHandle, 'users' | 'readerToken' | 'tokens'>,
  workers: number,
): ClientPlan[][] {
  const perWorker: ClientPlan[][] = Array.from({ length: workers }, () => []);
  const hasCatchup = scenario.groups.some((g) => g.kind === 'catchup' && g.count > 0);
  const others = hasCatchup && workers > 1 ? workers - 1 : workers;
  let clientId = 0;
  let next = 0;
  scenario.groups.forEach((g, group) => {
    for (let i = 0; i < g.count; i++) {
      const user = target.users > 0 && g.kind !== 'catchup' ? i % target.users : -1;
      const token = user >= 0 ? userToken(user) : target.tokens ? target.tokens[clientId % target.tokens.length] : target.readerToken;
      const worker = g.kind === 'catchup' && others < workers ? workers - 1 : next++ % others;
      perWorker[worker]!.push({ clientId, group, user, token });
      clientId++;
    }
  });
  return perWorker.filter((w) => w.length > 0);
}

/** A worker expecting at most this many deliveries per second gets a small young generation... */
export const QUIET_WORKER_DELIVERIES = 50_000;
/** ...of this size (MB; V8's default grows to 48 MB on 64-bit). */
export const QUIET_YOUNG_GENERATION_MB = 8;

/**
 * V8's young generation grows while thousands of connections open (their handshakes survive
 * scavenges) and then stays committed, though idle clients allocate next to nothing: measured
 * with 5,000 idle clients in one worker, it was ~4 KB of resident memory per client. A worker whose
 * clients can receive at most QUIET_WORKER_DELIVERIES events/s (every client gets every published
 * event, an upper bound) has no use for it; a busy worker, a catch-up worker (replays arrive as fast
 * as the server sends) or a churning one (a handshake a moment) keeps V8's default.
 */
export function youngGenerationMb(scenario: Scenario, clients: ClientPlan[]): number | undefined {
  const kinds = new Set(clients.map((c) => scenario.groups[c.group]!.kind));
  if (kinds.has('catchup') || kinds.has('churn')) return undefined;
  return clients.length * scenario.publisher.rate <= QUIET_WORKER_DELIVERIES ? QUIET_YOUNG_GENERATION_MB : undefined;
}

export interface ClientWorkers {
  threads: Worker[];
  /** Resolves once every worker is up. */
  ready: Promise<void>;
  /** Resolves once every worker has reported or exited. */
  done: Promise<void>;
  results: WorkerResult[];
  /** Interval parts by group and second (parts of one second are added when the record is built). */
  intervals: Map<string, EncodedInterval[]>;
  health: HealthSample[];
  broadcast(m: MainToWorker): void;
}

export interface WorkerSinks {
  /** Every interval part as it arrives (the progress line reads the fast groups'). */
  onIntervals(parts: EncodedInterval[]): void;
  /** Each worker's live snapshot, every second; when set, the workers are asked to ship them. */
  onLive?(workerIndex: number, snapshot: Extract<WorkerToMain, { type: 'live' }>): void;
}

export function startClientWorkers(
  scenario: Scenario,
  target: TargetHandle,
  plans: ClientPlan[][],
  state: RunState,
  sinks: WorkerSinks,
): ClientWorkers {
  const threads: Worker[] = [];
  const results: WorkerResult[] = [];
  const intervals = new Map<string, EncodedInterval[]>();
  const health: HealthSample[] = [];
  const diagnostics: DiagnosticReport[] = [];
  const broadcast = (m: MainToWorker): void => {
    for (const w of threads) w.postMessage(m);
  };
  // server-emitted streams: each phase's head is the highest id any worker's clients had at its end;
  // with it go the ids any of them received since the previous phase end, so no worker counts as
  // missing an id no client ever saw (ids of a phase whose head is unknown wait for the next one)
  const heads = new Map<number, { reported: number; id: number; timeUs: number }>();
  let seenSinceLast: SeenIds[] = [];
  const noteHead = (m: { phase: number; id: number; timeUs: number; seen?: SeenIds }): void => {
    const cur = heads.get(m.phase) ?? { reported: 0, id: -1, timeUs: NaN };
    cur.reported++;
    if (m.seen && m.seen.base >= 0) seenSinceLast.push(m.seen);
    if (m.id > cur.id) Object.assign(cur, { id: m.id, timeUs: m.timeUs });
    heads.set(m.phase, cur);
    if (cur.reported !== plans.length || cur.id < 0) return;
    // one union for every worker (each gets its own ids back: cheaper than a union per worker)
    const seen = plans.length > 1 && seenSinceLast.length > 0 ? unionSeen(seenSinceLast) : undefined;
    seenSinceLast = [];
    broadcast({ type: 'streamHead', phase: m.phase, id: cur.id, timeUs: cur.timeUs, seen });
  };

  const ready: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  plans.forEach((clients, workerIndex) => {
    const youngMb = youngGenerationMb(scenario, clients);
    const init: ClientWorkerInit = {
      workerIndex,
      url: target.url,
      urls: target.urls,
      scenario,
      clients,
      users: target.users,
      live: sinks.onLive !== undefined,
      collectAfterConnecting: youngMb !== undefined,
    };
    const w = new Worker(distFile('runner/clientWorker.js'), {
      workerData: init,
      ...(youngMb === undefined ? {} : { resourceLimits: { maxYoungGenerationSizeMb: youngMb } }),
    });
    threads.push(w);
    const catchupOnly = clients.every((c) => scenario.groups[c.group]!.kind === 'catchup');
    ready.push(new Promise((resolve) => w.once('message', () => resolve())));
    done.push(
      new Promise((resolve) => {
        let reported = false;
        w.on('message', (m: WorkerToMain) => {
          if (m.type === 'interval') {
            for (const iv of m.intervals) {
              const key = `${iv.group}\u0000${iv.index}`;
              (intervals.get(key) ?? intervals.set(key, []).get(key)!).push(iv);
            }
            sinks.onIntervals(m.intervals);
          } else if (m.type === 'health') {
            health.push({ source: `client worker ${workerIndex}`, catchupOnly, atUs: m.atUs, health: m.health });
          } else if (m.type === 'result') {
            reported = true;
            results.push(m);
            resolve();
          } else if (m.type === 'streamHead') {
            noteHead(m);
          } else if (m.type === 'streamSeen') {
            broadcast(m);
          } else if (m.type === 'diagnostic') {
            diagnostics.push(m);
            if (diagnostics.length === plans.length) {
              const diagnosis = diagnose(scenario, diagnostics);
              if (diagnosis) state.diagnose(diagnosis);
            }
          } else if (m.type === 'live') {
            sinks.onLive?.(workerIndex, m);
          } else if (m.type === 'fatal') {
            state.fail(m.message, `a client worker failed: ${m.message.split('\n')[0]}`);
          }
        });
        w.on('error', (err) => state.fail(`client worker ${workerIndex} crashed: ${err.message}`));
        w.on('exit', () => {
          if (!reported) state.invalidReason ??= `client worker ${workerIndex} exited without results`;
          resolve();
        });
      }),
    );
  });
  return {
    threads,
    ready: Promise.all(ready).then(() => {}),
    done: Promise.all(done).then(() => {}),
    results,
    intervals,
    health,
    broadcast,
  };
}
