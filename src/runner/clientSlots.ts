// A client worker's clients, one slot per planned client: the phases its group is in and the client
// it became when its first phase began; and the books of all of them at once (a phase's accounting
// after its grace period, the final accounting when the worker ends).
import { nowUs } from '../clock.js';
import type { IdMap } from '../measurement/idMap.js';
import type { Timeline } from '../measurement/schedule.js';
import type { Scenario } from '../scenario/types.js';
import { ClientConnection } from './clients/connection.js';
import type { ChurnClient } from './clients/churn.js';
import type { ClientPlan } from './threadMessages.js';

export type Client = ClientConnection | ChurnClient;

export interface Slot {
  plan: ClientPlan;
  client?: Client;
  first: number; // index of the first phase the group is in
  last: number;
}

export function planSlots(scenario: Scenario, plans: readonly ClientPlan[]): Slot[] {
  return plans.map((plan) => {
    const g = scenario.groups[plan.group]!;
    const idx = g.phases.map((p) => scenario.phases.findIndex((x) => x.name === p));
    return { plan, first: Math.min(...idx), last: Math.max(...idx) };
  });
}

/** Accounts every reading client up to `untilUs`. */
export function accountAll(slots: readonly Slot[], untilUs: number, ids: IdMap): void {
  const now = nowUs();
  for (const s of slots) {
    if (s.client instanceof ClientConnection) {
      s.client.prepareAccounting();
      s.client.account.account(untilUs, now, ids);
    }
  }
}

/**
 * Ends every client when the worker ends: one still in its phase leaves now (at the run's end at
 * the latest) and its books close with everything it is owed; churn clients just stop.
 */
export function closeAll(slots: readonly Slot[], tl: Timeline | undefined, ids: IdMap): void {
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
}
