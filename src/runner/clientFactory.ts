// Which client a worker's slot becomes: its group's behaviour (fast, a slow behaviour, churn, or
// catch-up — the adapter's own when its protocol resumes a session), with the account that keeps its
// books, on a connection context shared by the clients of one group, URL and token.
import { nowUs } from '../clock.js';
import { ClientAccount, type Account } from '../measurement/accounting.js';
import { AgeTicks, groupAges, type GroupAges } from '../measurement/ageTicks.js';
import { EmittedStreamAccount, type EmittedStreamHeads } from '../measurement/emittedStream.js';
import type { GroupRecorder } from '../measurement/recorder.js';
import type { Schedule, Timeline } from '../measurement/schedule.js';
import type { WireAdapter } from './adapters/adapter.js';
import type { AdapterImpl } from './adapters/registry.js';
import { SLOW_CLIENTS } from './clients/behaviours.js';
import { CatchupClient } from './clients/catchup.js';
import { ChurnClient } from './clients/churn.js';
import { ClientConnection, type ConnectionContext } from './clients/connection.js';
import type { Client, Slot } from './clientSlots.js';
import { Expectations } from './expectations.js';
import type { ClientWorkerInit } from './threadMessages.js';
import { targetConnectOptions, withToken } from './url.js';

/**
 * Fast clients whose age is tracked every tick, per group and worker: enough to say that all of them
 * froze together, without a 24 KB-a-minute series for each of thousands of clients.
 */
const TRACKED_PER_GROUP = 128;

export interface ClientFactoryParts {
  init: ClientWorkerInit;
  recorders: readonly GroupRecorder[];
  adapterImpl: AdapterImpl;
  /** The adapter as built: what an adapter's own catch-up client is given. */
  adapter: WireAdapter;
  /** The adapter every connection reads through (it counts frames for the diagnostic). */
  countingAdapter: WireAdapter;
  /** The highest id known to exist: acknowledged to the publisher, or seen in a server-emitted stream. */
  headId: () => number;
  noteNonEvent: (data: Buffer) => void;
  /** Set when the server emits the stream itself (`publish: server`): which ids exist is learned from what arrives. */
  emitted?: EmittedStreamHeads;
}

export class ClientFactory {
  private readonly expectations: Expectations;
  /** Connection contexts, one per group, URL and token: clients that share them share the object (memory per idle client). */
  private readonly contexts = new Map<string, ConnectionContext>();
  private readonly tracked = new Map<number, AgeTicks[]>();

  constructor(private readonly parts: ClientFactoryParts) {
    this.expectations = new Expectations(parts.init.scenario, parts.init.users);
  }

  make(slot: Slot, tl: Timeline, schedule: Schedule): Client {
    const { scenario } = this.parts.init;
    const g = scenario.groups[slot.plan.group]!;
    const ctx = this.contextFor(slot, tl);
    if (g.kind === 'churn') return new ChurnClient(slot.plan.clientId, ctx);
    const ticks = this.ticksFor(slot, tl);
    const emitted = this.parts.emitted;
    const account: Account = emitted
      ? new EmittedStreamAccount(ctx.rec, tl, emitted, nowUs(), ticks)
      : new ClientAccount(ctx.rec, tl, schedule, this.expectations.of(slot.plan.group, slot.plan.user), nowUs(), ticks);
    if (g.kind === 'catchup')
      return (
        this.parts.adapterImpl.catchupClient?.(slot.plan.clientId, ctx, account, this.parts.adapter) ??
        new CatchupClient(slot.plan.clientId, ctx, account)
      );
    if (g.kind === 'slow') return SLOW_CLIENTS[g.behaviour ?? 'delay'](slot.plan.clientId, ctx, account);
    return new ClientConnection(slot.plan.clientId, ctx, account);
  }

  /** The ages of a group's tracked fast clients over the run's `ticks`, if it has any. */
  agesOf(group: number, ticks: number): GroupAges | undefined {
    const clients = this.tracked.get(group);
    return clients ? groupAges(clients, ticks) : undefined;
  }

  private contextFor(slot: Slot, tl: Timeline): ConnectionContext {
    const { init, recorders } = this.parts;
    const { scenario } = init;
    const url = withToken(init.urls[slot.plan.clientId % init.urls.length] ?? init.url, slot.plan.token);
    const key = `${slot.plan.group}\u0000${url}\u0000${slot.plan.token ?? ''}`;
    let ctx = this.contexts.get(key);
    if (ctx?.tl !== tl) {
      ctx = {
        url,
        group: scenario.groups[slot.plan.group]!,
        groupIndex: slot.plan.group,
        rec: recorders[slot.plan.group]!,
        tl,
        headId: this.parts.headId,
        adapter: this.parts.countingAdapter,
        noteNonEvent: this.parts.noteNonEvent,
        connectOptions: scenario.target.kind === 'url' ? targetConnectOptions(scenario, slot.plan.token) : undefined,
      };
      this.contexts.set(key, ctx);
    }
    return ctx;
  }

  private ticksFor(slot: Slot, tl: Timeline): AgeTicks | undefined {
    if (this.parts.init.scenario.groups[slot.plan.group]!.kind !== 'fast') return undefined;
    const list = this.tracked.get(slot.plan.group) ?? this.tracked.set(slot.plan.group, []).get(slot.plan.group)!;
    if (list.length >= TRACKED_PER_GROUP) return undefined;
    const ticks = new AgeTicks(tl.t0Us, tl.endUs, Math.max(nowUs(), tl.t0Us));
    list.push(ticks);
    return ticks;
  }
}
