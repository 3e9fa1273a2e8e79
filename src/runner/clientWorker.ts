// A client worker thread: runs its share of every group's clients on the scenario's timeline —
// joins and leaves at phase boundaries, accounts each phase after its grace period, ships
// per-second interval histograms and health, and finally its encoded results. This file is the
// thread's message loop and its start and finish; each job it wires has a file of its own:
// clientSlots.ts (the clients and their books), clientFactory.ts (which client a slot becomes),
// phaseBoundaries.ts (joins, leaves, accounting), slowClientWatch.ts (backpressure),
// workerStreamHead.ts (the head of the stream), frameDiagnostic.ts (the first seconds' diagnostic).
import { parentPort, workerData } from 'node:worker_threads';
import { nowUs } from '../clock.js';
import { IdMap } from '../measurement/idMap.js';
import { TICK_US } from '../measurement/ageTicks.js';
import { GroupRecorder } from '../measurement/recorder.js';
import type { RunSchedule, Timeline } from '../measurement/schedule.js';
import { LIVE_PERIOD_S } from '../record/schema.js';
import './adapters/builtins.js';
import { adapterImplFor } from './adapters/registry.js';
import { ClientFactory } from './clientFactory.js';
import { closeAll, planSlots } from './clientSlots.js';
import { ClientConnection } from './clients/connection.js';
import { countingAdapter, DIAGNOSTIC_US, FrameDiagnostic } from './frameDiagnostic.js';
import { HealthSampler } from './health.js';
import { LiveSnapshots } from './liveSnapshot.js';
import { schedulePhases } from './phaseBoundaries.js';
import { SlowClientWatch } from './slowClientWatch.js';
import type { ClientWorkerInit, MainToWorker, WorkerToMain } from './threadMessages.js';
import { injectWorkerFaults } from './workerFaults.js';
import { WorkerStreamHead } from './workerStreamHead.js';
import { WorkerTimers } from './workerTimers.js';

const init = workerData as ClientWorkerInit;
const post = (m: WorkerToMain): void => parentPort!.postMessage(m);
const { scenario } = init;
const ids = new IdMap();
const recorders = scenario.groups.map((g) => new GroupRecorder(g.name, scenario.phases.length));
const head = new WorkerStreamHead(scenario.target.kind === 'url' && scenario.target.generic?.publish.kind === 'server');
const diagnostic = new FrameDiagnostic();
const { impl: adapterImpl, target: adapterTarget } = adapterImplFor(scenario);
const adapter = adapterImpl.wire(adapterTarget);
const slots = planSlots(scenario, init.clients);
const factory = new ClientFactory({
  init,
  recorders,
  adapterImpl,
  adapter,
  countingAdapter: countingAdapter(adapter, (data, ev) => {
    diagnostic.noteEvent(data, ev);
    head.seen(ev.id);
  }),
  headId: () => head.id,
  noteNonEvent: (data) => diagnostic.noteNonEvent(data),
  emitted: head.serverEmitted ? head.knowledge : undefined,
});
const slowClients = new SlowClientWatch(scenario, init.users, slots);
const timers = new WorkerTimers();

let tl: Timeline | undefined;
let finished = false;
const health = new HealthSampler();
const live = init.live ? new LiveSnapshots(recorders, ids) : undefined;
/** Whether a dashboard page watches now: snapshots cost this thread a scan of every owed event, so none while nobody looks. */
let liveWatched = true;

/** Cancels the collection after the first clients' connect storm, if it has not run yet. */
let cancelStormCollection = (): void => {};

function finish(): void {
  if (finished) return;
  finished = true;
  timers.clear();
  cancelStormCollection();
  closeAll(slots, tl, ids);
  flushIntervals();
  health.stop();
  slowClients.stop();
  const ticks = tl ? Math.ceil((tl.endUs - tl.t0Us) / TICK_US) : 0;
  post({
    type: 'result',
    groups: recorders.map((r, group) => {
      const ages = factory.agesOf(group, ticks);
      return { group, phases: r.encode(), ...(ages ? { ages } : {}) };
    }),
    clients: slots.filter((s) => s.client).map((s) => ({ ...s.client!.result(), pushback: slowClients.of(s) })),
    lag: health.lagTicks(),
  });
  setTimeout(() => process.exit(0), 100).unref();
}

let ticks = 0;
/** Ships what every group recorded per second since the last call (parts of one second are added by the main thread). */
function flushIntervals(): void {
  if (!tl) return;
  const intervals = recorders.flatMap((r) => r.takeIntervals());
  if (intervals.length > 0) post({ type: 'interval', intervals });
}

function start(plan: RunSchedule): void {
  const { timeline: timeLine } = plan;
  const t0Us = plan.schedule.t0Us;
  tl = timeLine;
  for (const r of recorders) r.t0Us = t0Us;
  health.watchLag(t0Us, timeLine.endUs);
  cancelStormCollection = schedulePhases(
    { scenario, slots, ids, timers, factory, slowClients, collectAfterConnecting: init.collectAfterConnecting },
    plan,
  );
  timers.at(timeLine.endUs + scenario.graceUs + 50_000, finish);
  injectWorkerFaults(init.workerIndex, t0Us, timers);
  timers.at(t0Us + DIAGNOSTIC_US, () => {
    post({ type: 'diagnostic', ...diagnostic.counts() });
  });
  head.share(slots, timers, timeLine, post);
  const tick = (): void => {
    flushIntervals();
    post({ type: 'health', atUs: nowUs(), health: health.sample() });
    if (live && liveWatched && (ticks + 1) % LIVE_PERIOD_S === 0) {
      const connected = slots.flatMap((s) => (s.client instanceof ClientConnection ? [{ client: s.client, group: s.plan.group }] : []));
      post(live.take(connected, t0Us, nowUs()));
    }
    ticks++;
    if (!finished) timers.at(t0Us + (ticks + 1) * 1_000_000, tick);
  };
  timers.at(t0Us + 1_000_000, tick);
}

parentPort!.on('message', (m: MainToWorker) => {
  if (m.type === 'start') {
    head.raise(m.headId);
    start(m.plan);
  } else if (m.type === 'ids') {
    ids.addAll(m.ranges);
    ids.sent = Math.max(ids.sent, m.sent);
    head.raise(m.headId);
  } else if (m.type === 'streamHead') {
    if (m.seen) head.knowledge.addSeen(m.seen);
    head.knowledge.set(m.phase, m.id, m.timeUs);
  } else if (m.type === 'streamSeen') {
    head.raise(m.id);
  } else if (m.type === 'live') {
    liveWatched = m.on;
  } else if (m.type === 'stop') {
    finish();
  }
});

process.on('uncaughtException', (err) => {
  post({ type: 'fatal', message: `client worker ${init.workerIndex}: ${err.stack ?? err.message}` });
  process.exit(1);
});
post({ type: 'ready' });
