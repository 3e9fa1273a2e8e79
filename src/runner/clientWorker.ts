// A client worker thread: runs its share of every group's clients on the scenario's timeline —
// joins and leaves at phase boundaries, accounts each phase after its grace period, ships
// per-second interval histograms and health, and finally its encoded results.
import { parentPort, workerData } from 'node:worker_threads';
import { nowUs } from '../clock.js';
import { ClientAccount, type Account } from '../measurement/accounting.js';
import { EmittedStreamAccount, EmittedStreamHeads } from '../measurement/emittedStream.js';
import type { WireOutput } from './adapters/adapter.js';
import './adapters/builtins.js';
import { adapterImplFor } from './adapters/registry.js';
import type { ScannedEvent } from '../measurement/frameScan.js';
import { IdMap } from '../measurement/idMap.js';
import { AgeTicks, groupAges, TICK_US } from '../measurement/ageTicks.js';
import { PushbackWatch } from './pushback.js';
import { ReferenceReaders } from './referenceReaders.js';
import type { PushbackRecord } from '../record/schema.js';
import { GroupRecorder } from '../measurement/recorder.js';
import type { RunSchedule, Schedule, Timeline } from '../measurement/schedule.js';
import { ClientConnection, type ConnectionContext } from './clients/connection.js';
import { SLOW_CLIENTS } from './clients/behaviours.js';
import { CatchupClient } from './clients/catchup.js';
import { ChurnClient } from './clients/churn.js';
import { collectAfterStorm } from './connectStorm.js';
import { Expectations } from './expectations.js';
import { HealthSampler } from './health.js';
import { LiveSnapshots } from './liveSnapshot.js';
import { LIVE_PERIOD_S } from '../record/schema.js';
import type { ClientPlan, ClientWorkerInit, MainToWorker, WorkerToMain } from './threadMessages.js';
import { targetConnectOptions, withToken } from './url.js';

const init = workerData as ClientWorkerInit;
const post = (m: WorkerToMain): void => parentPort!.postMessage(m);
const { scenario } = init;
const ids = new IdMap();
let headId = 0;
const recorders = scenario.groups.map((g) => new GroupRecorder(g.name, scenario.phases.length));
const { impl: adapterImpl, target: adapterTarget } = adapterImplFor(scenario);
const adapter = adapterImpl.wire(adapterTarget);
/** A server-emitted stream (`publish: server`): the runner did not publish, so which ids exist is learned from what arrives. */
const serverEmitted = scenario.target.kind === 'url' && scenario.target.generic?.publish.kind === 'server';
const knowledge = new EmittedStreamHeads();

// the first seconds' diagnostic: do messages carry the id and time fields at all?
const DIAGNOSTIC_US = 3_000_000;
const diag = {
  events: 0,
  eventsWithoutTime: 0,
  nonEvents: 0,
  firstNonEvent: undefined as string | undefined,
  firstEvent: undefined as string | undefined,
};
const sample = (data: Buffer): string => {
  const text = data.toString('utf8', 0, Math.min(data.length, 400));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};
function noteNonEvent(data: Buffer): void {
  diag.nonEvents++;
  diag.firstNonEvent ??= sample(data);
}

type Client = ClientConnection | ChurnClient;
interface Slot {
  plan: ClientPlan;
  client?: Client;
  first: number; // index of the first phase the group is in
  last: number;
}

const slots: Slot[] = init.clients.map((plan) => {
  const g = scenario.groups[plan.group]!;
  const idx = g.phases.map((p) => scenario.phases.findIndex((x) => x.name === p));
  return { plan, first: Math.min(...idx), last: Math.max(...idx) };
});

const expectations = new Expectations(scenario, init.users);

const currentHead = (): number => headId;
/** Connection contexts, one per group, URL and token: clients that share them share the object (memory per idle client). */
const contexts = new Map<string, ConnectionContext>();

function contextFor(slot: Slot, tl: Timeline): ConnectionContext {
  const url = withToken(init.urls[slot.plan.clientId % init.urls.length] ?? init.url, slot.plan.token);
  const key = `${slot.plan.group}\u0000${url}\u0000${slot.plan.token ?? ''}`;
  let ctx = contexts.get(key);
  if (ctx?.tl !== tl) {
    ctx = {
      url,
      group: scenario.groups[slot.plan.group]!,
      groupIndex: slot.plan.group,
      rec: recorders[slot.plan.group]!,
      tl,
      headId: currentHead,
      adapter: countingAdapter,
      noteNonEvent,
      connectOptions: scenario.target.kind === 'url' ? targetConnectOptions(scenario, slot.plan.token) : undefined,
    };
    contexts.set(key, ctx);
  }
  return ctx;
}

/**
 * Fast clients whose age is tracked every tick, per group and worker: enough to say that all of them
 * froze together, without a 24 KB-a-minute series for each of thousands of clients.
 */
const TRACKED_PER_GROUP = 128;
const tracked = new Map<number, AgeTicks[]>();

function ticksFor(slot: Slot, tl: Timeline): AgeTicks | undefined {
  if (scenario.groups[slot.plan.group]!.kind !== 'fast') return undefined;
  const list = tracked.get(slot.plan.group) ?? tracked.set(slot.plan.group, []).get(slot.plan.group)!;
  if (list.length >= TRACKED_PER_GROUP) return undefined;
  const ticks = new AgeTicks(tl.t0Us, tl.endUs, Math.max(nowUs(), tl.t0Us));
  list.push(ticks);
  return ticks;
}

/** Slow clients' backpressure: whether and when their backlog reached the server (runner/pushback.ts). */
let pushback: PushbackWatch | undefined;
const pushbackOf = new Map<Slot, PushbackRecord>();

/** A fast reader of each slow client's own stream in this thread: what the slow one is owed. */
const references = new ReferenceReaders(
  scenario.groups,
  init.users > 0 && scenario.publisher.mix.some((m) => m.owner !== 'public'),
  function* () {
    for (const s of slots) {
      const c = s.client;
      if (c instanceof ClientConnection && scenario.groups[s.plan.group]!.kind === 'fast')
        yield {
          plan: s.plan,
          usable: () => c.socket() !== undefined && c.endedByServerAtUs() === undefined,
          bytesRead: () => c.bytesRead(),
        };
    }
  },
);

/** The end of the run's last stress phase (absolute µs): after it, what a slow client owes no longer matters. */
function stressEndUs(timeLine: Timeline): number {
  const ends = scenario.phases.flatMap((p, i) => (p.role === 'stress' ? [timeLine.ends[i]!] : []));
  return ends.length > 0 ? Math.max(...ends) : timeLine.endUs;
}

function watchPushback(slot: Slot, client: ClientConnection, t0Us: number, timeLine: Timeline): void {
  pushback ??= new PushbackWatch(t0Us);
  const untilUs = Math.min(timeLine.ends[slot.last]!, stressEndUs(timeLine));
  pushbackOf.set(slot, pushback.watch(client.pushbackSubject(), references.of(slot.plan), nowUs, untilUs));
}

function makeClient(slot: Slot, tl: Timeline, schedule: Schedule): Client {
  const g = scenario.groups[slot.plan.group]!;
  const ctx = contextFor(slot, tl);
  if (g.kind === 'churn') return new ChurnClient(slot.plan.clientId, ctx);
  const ticks = ticksFor(slot, tl);
  const account: Account = serverEmitted
    ? new EmittedStreamAccount(ctx.rec, tl, knowledge, nowUs(), ticks)
    : new ClientAccount(ctx.rec, tl, schedule, expectations.of(slot.plan.group, slot.plan.user), nowUs(), ticks);
  if (g.kind === 'catchup')
    return adapterImpl.catchupClient?.(slot.plan.clientId, ctx, account, adapter) ?? new CatchupClient(slot.plan.clientId, ctx, account);
  if (g.kind === 'slow') return SLOW_CLIENTS[g.behaviour ?? 'delay'](slot.plan.clientId, ctx, account);
  return new ClientConnection(slot.plan.clientId, ctx, account);
}

function noteEvent(data: Buffer | undefined, out: ScannedEvent): void {
  diag.events++;
  if (serverEmitted && out.id > headId) headId = out.id; // the stream's head, as far as this worker has seen
  if (Number.isNaN(out.intendedUs)) {
    diag.eventsWithoutTime++;
    if (data) diag.firstEvent ??= sample(data);
  }
}

// counts what the adapter makes of each frame (and keeps a sample) for the first seconds' diagnostic
const countingAdapter: typeof adapter = {
  acks: adapter.acks,
  transport: adapter.transport,
  keepaliveAnswer: adapter.keepaliveAnswer?.bind(adapter),
  subscribeMessage: (types, lastId) => adapter.subscribeMessage(types, lastId),
  protocols: adapter.protocols,
  read(data: Buffer, out: ScannedEvent) {
    const kind = adapter.read(data, out);
    if (kind === 'event') noteEvent(data, out);
    return kind;
  },
  session: adapter.session
    ? (role, persistent) => {
        const s = adapter.session!(role, persistent);
        let counted: WireOutput | undefined;
        return {
          opening: () => s.opening(),
          keepalive: s.keepalive,
          confirms: s.confirms,
          read(data, binary, out) {
            counted ??= { ...out, event: (ev) => (noteEvent(undefined, ev), out.event(ev)) };
            s.read(data, binary, counted);
          },
        };
      }
    : undefined,
};

function accountAll(untilUs: number, only?: (s: Slot) => boolean): void {
  const now = nowUs();
  for (const s of slots) {
    if (s.client instanceof ClientConnection && (!only || only(s))) {
      s.client.prepareAccounting();
      s.client.account.account(untilUs, now, ids);
    }
  }
}

const timers: NodeJS.Timeout[] = [];
const at = (us: number, fn: () => void): void => {
  timers.push(setTimeout(fn, Math.max(0, (us - nowUs()) / 1000)));
};

let tl: Timeline | undefined;
let finished = false;
const health = new HealthSampler();
const live = init.live ? new LiveSnapshots(recorders, ids) : undefined;
/** Whether a dashboard page watches now: snapshots cost this thread a scan of every owed event, so none while nobody looks. */
let liveWatched = true;

/** The collection after the first connect storm ends at least this long before a measured phase starts. */
const STORM_COLLECTION_MARGIN_US = 1_000_000;
/** Cancels the collection after the first clients' connect storm, if it has not run yet. */
let cancelStormCollection = (): void => {};

function finish(): void {
  if (finished) return;
  finished = true;
  for (const t of timers) clearTimeout(t);
  cancelStormCollection();
  const now = nowUs();
  for (const s of slots) {
    if (s.client instanceof ClientConnection) {
      if (s.client.account.leaveUs === Infinity) s.client.leave(Math.min(now, tl?.endUs ?? now));
      s.client.account.account(Infinity, now, ids);
      s.client.account.ticks?.leave(Math.min(s.client.account.leaveUs, now));
    } else {
      s.client?.leave();
    }
  }
  flushIntervals();
  health.stop();
  pushback?.stop();
  const ticks = tl ? Math.ceil((tl.endUs - tl.t0Us) / TICK_US) : 0;
  post({
    type: 'result',
    groups: recorders.map((r, group) => {
      const clients = tracked.get(group);
      return { group, phases: r.encode(), ...(clients ? { ages: groupAges(clients, ticks) } : {}) };
    }),
    clients: slots.filter((s) => s.client).map((s) => ({ ...s.client!.result(), pushback: pushbackOf.get(s) })),
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
  const { schedule, timeline: timeLine } = plan;
  const t0Us = schedule.t0Us;
  tl = timeLine;
  for (const r of recorders) r.t0Us = t0Us;
  health.watchLag(t0Us, timeLine.endUs);
  const grace = scenario.graceUs;
  // joins: phase-0 groups connect now (before t0), later groups at their phase's start
  for (let p = 0; p < scenario.phases.length; p++) {
    const joining = slots.filter((s) => s.first === p);
    const open = (): void => {
      for (const s of joining) {
        s.client = makeClient(s, timeLine, schedule);
        s.client.open();
        if (scenario.groups[s.plan.group]!.kind === 'slow' && s.client instanceof ClientConnection)
          watchPushback(s, s.client, t0Us, timeLine);
      }
    };
    if (p === 0) {
      open();
      if (init.collectAfterConnecting) {
        // the first join only, and only while no measured phase runs (its pause would be measured)
        const measured = scenario.phases.findIndex((ph) => ph.role === 'baseline' || ph.role === 'stress');
        const untilUs = (measured < 0 ? timeLine.endUs : timeLine.starts[measured]!) - STORM_COLLECTION_MARGIN_US;
        cancelStormCollection = collectAfterStorm(
          () => joining.every((s) => !(s.client instanceof ClientConnection) || !s.client.connecting),
          () => nowUs() < untilUs,
        );
      }
    } else at(timeLine.starts[p]!, open);
    // leaves at the phase's end: nothing published after it is expected, but the connection stays
    // open for the grace period so events already in flight are not miscounted as missing
    if (p < scenario.phases.length - 1) {
      const leaving = slots.filter((s) => s.last === p);
      at(timeLine.ends[p]!, () => {
        for (const s of leaving) {
          if (s.client instanceof ClientConnection) s.client.stopExpecting(timeLine.ends[p]!);
          else s.client?.leave();
        }
      });
      at(timeLine.ends[p]! + grace, () => {
        const now = nowUs();
        for (const s of leaving) {
          if (s.client instanceof ClientConnection) {
            s.client.leave(timeLine.ends[p]!);
            s.client.account.account(Infinity, now, ids);
          }
        }
      });
    }
    // how old each client's newest event is, at the very moment the phase ends
    at(timeLine.ends[p]!, () => {
      for (const s of slots) if (s.client instanceof ClientConnection) s.client.account.phaseEnded(timeLine.ends[p]!, ids);
    });
    // the phase's books close once its late events had `grace` to arrive
    at(timeLine.ends[p]! + grace, () => accountAll(timeLine.ends[p]!));
  }
  at(timeLine.endUs + grace + 50_000, finish);
  // fault injection for the runner's own tests: a worker that dies mid-run must not hang the run
  if (process.env.EVBENCH_FAULT === 'client-worker-crash' && init.workerIndex === 0) {
    at(t0Us + 1_500_000, () => {
      throw new Error('injected fault: client worker crash');
    });
  }
  at(t0Us + DIAGNOSTIC_US, () => {
    post({ type: 'diagnostic', ...diag });
  });
  if (serverEmitted) {
    // share the head this worker has seen, so a catch-up client in another worker replays from it
    let shared = 0;
    const share = setInterval(() => {
      if (headId > shared) post({ type: 'streamSeen', id: (shared = headId) });
    }, 100);
    share.unref();
    timers.push(share);
    // pool the stream's head at each phase end so every client is judged against the same ids
    for (let p = 0; p < scenario.phases.length; p++) {
      at(timeLine.ends[p]!, () => {
        let best: { id: number; timeUs: number } | undefined;
        for (const s of slots) {
          const h =
            s.client instanceof ClientConnection && s.client.account instanceof EmittedStreamAccount ? s.client.account.head() : undefined;
          if (h && (!best || h.id > best.id)) best = h;
        }
        post({ type: 'streamHead', phase: p, id: best?.id ?? -1, timeUs: best?.timeUs ?? NaN, seen: knowledge.takeFresh() });
      });
    }
  }
  const tick = (): void => {
    flushIntervals();
    post({ type: 'health', atUs: nowUs(), health: health.sample() });
    if (live && liveWatched && (ticks + 1) % LIVE_PERIOD_S === 0) {
      const connected = slots.flatMap((s) => (s.client instanceof ClientConnection ? [{ client: s.client, group: s.plan.group }] : []));
      post(live.take(connected, t0Us, nowUs()));
    }
    ticks++;
    if (!finished) at(t0Us + (ticks + 1) * 1_000_000, tick);
  };
  at(t0Us + 1_000_000, tick);
}

parentPort!.on('message', (m: MainToWorker) => {
  if (m.type === 'start') {
    headId = Math.max(headId, m.headId);
    start(m.plan);
  } else if (m.type === 'ids') {
    ids.addAll(m.ranges);
    ids.sent = Math.max(ids.sent, m.sent);
    headId = Math.max(headId, m.headId);
  } else if (m.type === 'streamHead') {
    if (m.seen) knowledge.addSeen(m.seen);
    knowledge.set(m.phase, m.id, m.timeUs);
  } else if (m.type === 'streamSeen') {
    headId = Math.max(headId, m.id);
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
