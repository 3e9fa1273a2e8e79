// The head of the stream as far as a client worker knows: the highest id the target acknowledged to
// the publisher (sent by the main thread), or, when the server emits the stream itself, the highest
// id any worker has seen arrive. A server-emitted stream's head is shared with the other workers (so
// a catch-up client anywhere replays from it) and pooled at each phase end, so every client is judged
// against the same ids.
import { EmittedStreamAccount, EmittedStreamHeads } from '../measurement/emittedStream.js';
import type { Timeline } from '../measurement/schedule.js';
import { ClientConnection } from './clients/connection.js';
import type { Slot } from './clientSlots.js';
import type { WorkerToMain } from './threadMessages.js';
import type { WorkerTimers } from './workerTimers.js';

/** How often a server-emitted stream's head is shared with the other workers. */
const SHARE_MS = 100;

export class WorkerStreamHead {
  id = 0;
  /** What the workers together know of a server-emitted stream's ids (set from the main thread). */
  readonly knowledge = new EmittedStreamHeads();

  constructor(
    /** The server emits the stream (`publish: server`): the runner did not publish, so which ids exist is learned from what arrives. */
    readonly serverEmitted: boolean,
  ) {}

  /** A head told by the main thread. */
  raise(id: number): void {
    this.id = Math.max(this.id, id);
  }

  /** An event arrived: in a server-emitted stream, the head is as far as this worker has seen. */
  seen(id: number): void {
    if (this.serverEmitted && id > this.id) this.id = id;
  }

  /** For a server-emitted stream, shares the head while the run lasts and pools it at each phase end. */
  share(slots: readonly Slot[], timers: WorkerTimers, timeLine: Timeline, post: (m: WorkerToMain) => void): void {
    if (!this.serverEmitted) return;
    let shared = 0;
    timers.every(SHARE_MS, () => {
      if (this.id > shared) post({ type: 'streamSeen', id: (shared = this.id) });
    });
    for (let p = 0; p < timeLine.ends.length; p++) {
      timers.at(timeLine.ends[p]!, () => {
        let best: { id: number; timeUs: number } | undefined;
        for (const s of slots) {
          const h =
            s.client instanceof ClientConnection && s.client.account instanceof EmittedStreamAccount ? s.client.account.head() : undefined;
          if (h && (!best || h.id > best.id)) best = h;
        }
        post({ type: 'streamHead', phase: p, id: best?.id ?? -1, timeUs: best?.timeUs ?? NaN, seen: this.knowledge.takeFresh() });
      });
    }
  }
}
