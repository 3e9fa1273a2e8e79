// Per client worker: whether and when each slow client's backlog reached the server, measured
// against a fast reader of the slow client's own stream in the same thread (runner/pushback.ts), and
// only until the run's last stress phase ends, after which what a slow client owes no longer matters.
import { nowUs } from '../clock.js';
import { phaseSpans, roleWindow, type Timeline } from '../measurement/schedule.js';
import type { PushbackRecord } from '../record/schema.js';
import type { Scenario } from '../scenario/types.js';
import { ClientConnection } from './clients/connection.js';
import type { Slot } from './clientSlots.js';
import { PushbackWatch } from './pushback.js';
import { ReferenceReaders } from './referenceReaders.js';

export class SlowClientWatch {
  private pushback: PushbackWatch | undefined;
  private readonly pushbackOf = new Map<Slot, PushbackRecord>();
  /** A fast reader of each slow client's own stream in this thread: what the slow one is owed. */
  private readonly references: ReferenceReaders;

  constructor(
    private readonly scenario: Scenario,
    /** Users in the target's directory. */
    users: number,
    slots: readonly Slot[],
  ) {
    this.references = new ReferenceReaders(
      scenario.groups,
      users > 0 && scenario.publisher.mix.some((m) => m.owner !== 'public'),
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
  }

  watch(slot: Slot, client: ClientConnection, t0Us: number, timeLine: Timeline): void {
    this.pushback ??= new PushbackWatch(t0Us);
    const untilUs = Math.min(timeLine.ends[slot.last]!, this.stressEndUs(timeLine));
    this.pushbackOf.set(slot, this.pushback.watch(client.pushbackSubject(), this.references.of(slot.plan), nowUs, untilUs));
  }

  /** What was seen of `slot`'s backpressure (undefined for a client that was not watched). */
  of(slot: Slot): PushbackRecord | undefined {
    return this.pushbackOf.get(slot);
  }

  stop(): void {
    this.pushback?.stop();
  }

  /** The end of the run's last stress phase (absolute µs); the run's end when it has none. */
  private stressEndUs(timeLine: Timeline): number {
    return roleWindow(phaseSpans(timeLine, this.scenario.phases), 'stress')?.endUs ?? timeLine.endUs;
  }
}
