// Which scheduled events a client should receive: its group's event types and what its user may
// read. One function per group and user, shared by every client with both (memory per idle client).
import type { Expectation } from '../measurement/accounting.js';
import { mixTable, visibleTo } from '../measurement/schedule.js';
import type { MixEntry, Scenario } from '../scenario/types.js';

export class Expectations {
  private readonly table: MixEntry[];
  private readonly byGroupAndUser = new Map<string, Expectation>();

  constructor(
    private readonly scenario: Scenario,
    /** Users in the target's directory (0: every client reads everything). */
    private readonly users: number,
  ) {
    this.table = mixTable(scenario.publisher.mix);
  }

  /** Whether scheduled event k belongs in the stream of a client of `group` reading as `user` (−1: every event). */
  of(group: number, user: number): Expectation {
    const key = `${group}\u0000${user}`;
    let expects = this.byGroupAndUser.get(key);
    if (!expects) {
      const { table, users } = this;
      const eventTypes = this.scenario.groups[group]!.eventTypes;
      const types = eventTypes.length > 0 ? new Set(eventTypes) : undefined;
      expects = (k) => {
        const entry = table[k % table.length]!;
        return (!types || types.has(entry.eventType)) && visibleTo(entry, k, users, user);
      };
      this.byGroupAndUser.set(key, expects);
    }
    return expects;
  }
}
