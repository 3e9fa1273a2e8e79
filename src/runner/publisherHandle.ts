// The main thread's side of the publisher: starts its worker thread, relays what it reports, and
// stands in with nothing to publish when the target emits events on its own (generic `publish server`).
import { Worker } from 'node:worker_threads';
import { distFile } from '../util/paths.js';
import type { IdRange } from '../measurement/idMap.js';
import type { RunSchedule } from '../measurement/schedule.js';
import type { MainToWorker, PublisherInit, PublisherStats, PublisherToMain, WorkerHealth } from './threadMessages.js';

export interface PublisherHooks {
  onIds(ranges: IdRange[], headId: number, sent: number): void;
  onHealth(atUs: number, health: WorkerHealth): void;
  /** The target refused or dropped the publisher. */
  onFatal(message: string): void;
  /** The thread itself failed: the run is invalid. */
  onCrash(message: string): void;
}

export interface PublisherHandle {
  thread?: Worker;
  /** Resolves with the log head once connected (and prefilled); rejects with the reason it could not. */
  connected: Promise<number>;
  /** Resolves when the publisher has finished (or died). */
  done: Promise<void>;
  stats(): PublisherStats | undefined;
  /** How late the publisher sent, per tick of the run (after it finished). */
  lag(): Uint32Array | undefined;
  start(plan: RunSchedule, headId: number): void;
  stop(reason: string): void;
}

export function startPublisher(init: PublisherInit, hooks: PublisherHooks): PublisherHandle {
  const thread = new Worker(distFile('runner/publisherWorker.js'), { workerData: init });
  let stats: PublisherStats | undefined;
  let lag: Uint32Array | undefined;
  let rejectConnected: (e: Error) => void = () => {};
  const connected = new Promise<number>((resolve, reject) => {
    rejectConnected = reject;
    thread.on('message', (m: PublisherToMain) => {
      if (m.type === 'connected') resolve(m.headId);
    });
  });
  const done = new Promise<void>((resolve) => {
    thread.on('message', (m: PublisherToMain) => {
      if (m.type === 'ids') hooks.onIds(m.ranges, m.headId, m.sent);
      else if (m.type === 'health') hooks.onHealth(m.atUs, m.health);
      else if (m.type === 'done') {
        stats = m.stats;
        lag = m.lag;
        resolve();
      } else if (m.type === 'fatal') {
        rejectConnected(new Error(m.message));
        hooks.onFatal(m.message);
      }
    });
    thread.on('error', (err) => {
      rejectConnected(err);
      hooks.onCrash(`publisher thread crashed: ${err.message}`);
      resolve();
    });
    thread.on('exit', () => resolve());
  });
  connected.catch(() => {}); // the caller awaits it; a late rejection must not go unhandled
  return {
    thread,
    connected,
    done,
    stats: () => stats,
    lag: () => lag,
    start: (plan, headId) => thread.postMessage({ type: 'start', plan, headId } satisfies MainToWorker),
    stop: (reason) => thread.postMessage({ type: 'stop', reason } satisfies MainToWorker),
  };
}

/** For targets that publish on their own schedule: nothing to start, nothing to wait for. */
export function serverPublishesItself(): PublisherHandle {
  return {
    connected: Promise.resolve(0),
    done: Promise.resolve(),
    stats: () => undefined,
    lag: () => undefined,
    start: () => {},
    stop: () => {},
  };
}
