// What a slow client is owed, in bytes: what a fast reader of the same stream in this thread has
// received. Clients receive the same stream when their groups ask for the same event types and,
// when some events are private, they read as the same user.
import type { PushbackReference } from './pushback.js';
import type { ClientPlan } from './threadMessages.js';

/** A fast client that may serve as a reference: its bytes so far, and whether it can now. */
export interface ReferenceCandidate {
  plan: ClientPlan;
  /** Open, subscribed and not closed by the server. */
  usable(): boolean;
  bytesRead(): number;
}

export class ReferenceReaders {
  /** Each group's event types as one key, computed once: groups with equal keys receive the same stream. */
  private readonly typesKey: string[];
  private readonly readers = new Map<string, PushbackReference>();

  constructor(
    groups: readonly { kind: string; eventTypes: readonly string[] }[],
    /** Whether some events are readable by one user only (then a client's stream depends on its user). */
    private readonly privateEvents: boolean,
    /** This thread's fast clients, in plan order. */
    private readonly fastClients: () => Iterable<ReferenceCandidate>,
  ) {
    this.typesKey = groups.map((g) => JSON.stringify([...g.eventTypes].sort()));
  }

  private streamKey(plan: ClientPlan): string {
    return `${this.typesKey[plan.group]}\u0000${this.privateEvents ? plan.user : ''}`;
  }

  /**
   * The reference for `plan`'s stream, shared by every slow client of it. It keeps one reader while
   * that reader is usable; one the server closed is dropped and another of the same stream taken.
   */
  of(plan: ClientPlan): PushbackReference {
    const key = this.streamKey(plan);
    let reader = this.readers.get(key);
    if (reader) return reader;
    let ref: ReferenceCandidate | undefined;
    reader = () => {
      if (ref && !ref.usable()) ref = undefined;
      if (!ref) {
        for (const c of this.fastClients()) {
          if (c.usable() && this.streamKey(c.plan) === key) {
            ref = c;
            break;
          }
        }
      }
      return ref?.bytesRead();
    };
    this.readers.set(key, reader);
    return reader;
  }
}
