// The memory event log: a bounded ring of stored events with O(1) append and lookup by id, in one
// process. Appends answer synchronously, so the publishing hub fans each batch out itself.
import type { PublishedEvent } from '../../protocol/v0.js';
import { eventFields, storedEvent, type EventStore, type LogPage, type StoredEvent } from '../eventLog.js';

/** Log entries a replaying session scans (matching or not) before it yields. */
const MEMORY_PAGE = 8192;

export class MemoryStore implements EventStore {
  readonly kind = 'memory';
  readonly shared = false;
  readonly available = true;
  readonly unavailableReason = '';
  readonly pageSize = MEMORY_PAGE;
  private readonly ring: StoredEvent[] = [];
  private head = 0;

  constructor(
    readonly capacity: number,
    private readonly keepProperties = false,
  ) {}

  /** Id of the newest event, 0 when the log is empty. */
  get headId(): number {
    return this.head;
  }

  /** Id of the oldest event still stored (headId + 1 when empty). */
  get oldestId(): number {
    return Math.max(1, this.head - this.capacity + 1);
  }

  get(id: number): StoredEvent | undefined {
    if (id < this.oldestId || id > this.head) return undefined;
    return this.ring[(id - 1) % this.capacity];
  }

  append(events: PublishedEvent[], createdAtUs: number): StoredEvent[] {
    const stored = new Array<StoredEvent>(events.length);
    for (let i = 0; i < events.length; i++) {
      const published = events[i]!;
      const properties = this.keepProperties ? (published.properties ?? {}) : undefined;
      const event = storedEvent(++this.head, eventFields(published, createdAtUs), properties);
      this.ring[(event.id - 1) % this.capacity] = event;
      stored[i] = event;
    }
    return stored;
  }

  readPage(afterId: number, throughId: number, limit: number): LogPage {
    const oldestId = this.oldestId;
    const from = Math.max(afterId, oldestId - 1);
    const to = Math.min(throughId, this.head, from + limit);
    const events: StoredEvent[] = [];
    for (let id = from + 1; id <= to; id++) events.push(this.ring[(id - 1) % this.capacity]!);
    return { events, oldestId };
  }

  onLive(): void {}
  onAvailability(): void {}
  async close(): Promise<void> {}
}
