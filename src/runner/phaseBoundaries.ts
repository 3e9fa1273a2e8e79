// A client worker's phase boundaries: its clients join when their group's first phase starts (the
// first phase's before t0), stop being owed events when their last phase ends and leave after the
// grace period; every client's age is noted the moment a phase ends, and the phase's books close
// once its late events had the grace period to arrive.
import { nowUs } from '../clock.js';
import type { IdMap } from '../measurement/idMap.js';
import type { RunSchedule } from '../measurement/schedule.js';
import type { Scenario } from '../scenario/types.js';
import type { ClientFactory } from './clientFactory.js';
import { accountAll, type Slot } from './clientSlots.js';
import { ClientConnection } from './clients/connection.js';
import { collectAfterStorm } from './connectStorm.js';
import type { SlowClientWatch } from './slowClientWatch.js';
import type { WorkerTimers } from './workerTimers.js';

/** The collection after the first connect storm ends at least this long before a measured phase starts. */
const STORM_COLLECTION_MARGIN_US = 1_000_000;

export interface PhaseBoundaryParts {
  scenario: Scenario;
  slots: readonly Slot[];
  ids: IdMap;
  timers: WorkerTimers;
  factory: ClientFactory;
  slowClients: SlowClientWatch;
  /** Collect the garbage of the first clients' connect storm once they are connected (connectStorm.ts). */
  collectAfterConnecting?: boolean;
}

/** Sets every phase's joins, leaves and accounting; returns what cancels the connect storm's collection if it has not run yet. */
export function schedulePhases(parts: PhaseBoundaryParts, plan: RunSchedule): () => void {
  const { scenario, slots, ids, timers, factory, slowClients } = parts;
  const { schedule, timeline: timeLine } = plan;
  const t0Us = schedule.t0Us;
  const grace = scenario.graceUs;
  let cancelStormCollection = (): void => {};
  // joins: phase-0 groups connect now (before t0), later groups at their phase's start
  for (let p = 0; p < scenario.phases.length; p++) {
    const joining = slots.filter((s) => s.first === p);
    const open = (): void => {
      for (const s of joining) {
        s.client = factory.make(s, timeLine, schedule);
        s.client.open();
        if (scenario.groups[s.plan.group]!.kind === 'slow' && s.client instanceof ClientConnection)
          slowClients.watch(s, s.client, t0Us, timeLine);
      }
    };
    if (p === 0) {
      open();
      if (parts.collectAfterConnecting) {
        // the first join only, and only while no measured phase runs (its pause would be measured)
        const measured = scenario.phases.findIndex((ph) => ph.role === 'baseline' || ph.role === 'stress');
        const untilUs = (measured < 0 ? timeLine.endUs : timeLine.starts[measured]!) - STORM_COLLECTION_MARGIN_US;
        cancelStormCollection = collectAfterStorm(
          () => joining.every((s) => !(s.client instanceof ClientConnection) || !s.client.connecting),
          () => nowUs() < untilUs,
        );
      }
    } else timers.at(timeLine.starts[p]!, open);
    // leaves at the phase's end: nothing published after it is expected, but the connection stays
    // open for the grace period so events already in flight are not miscounted as missing
    if (p < scenario.phases.length - 1) {
      const leaving = slots.filter((s) => s.last === p);
      timers.at(timeLine.ends[p]!, () => {
        for (const s of leaving) {
          if (s.client instanceof ClientConnection) s.client.stopExpecting(timeLine.ends[p]!);
          else s.client?.leave();
        }
      });
      timers.at(timeLine.ends[p]! + grace, () => {
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
    timers.at(timeLine.ends[p]!, () => {
      for (const s of slots) if (s.client instanceof ClientConnection) s.client.account.phaseEnded(timeLine.ends[p]!, ids);
    });
    // the phase's books close once its late events had `grace` to arrive
    timers.at(timeLine.ends[p]! + grace, () => accountAll(slots, timeLine.ends[p]!, ids));
  }
  return cancelStormCollection;
}
