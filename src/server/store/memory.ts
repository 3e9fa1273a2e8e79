// The memory event log: a ring of stored events bounded in count and in bytes, with O(1) append and
// lookup by id, in one process. Appends answer synchronously, so the publishing hub fans each batch
// out itself. The oldest events are evicted first; a catch-up cursor below them gets a gap notice.
import type { PublishedEvent } from '../../protocol/v0.js';
import { eventBodies, eventFields, storedEvent, type EventStore, type LogPage, type StoredEvent } from '../eventLog.js';

/** Log entries a replaying session scans (matching or not) before it yields, at most. */
const MEMORY_PAGE = 8192;
/**
 * About how many bytes one page may hold: a replaying session keeps its page alive, evicted or not,
 * so with big events pages get fewer (at least 16 events) instead of pinning 8,192 of them.
 */
const MEMORY_PAGE_BYTES = 16 * 1024 * 1024;

/**
 * What one stored event costs besides its body: the StoredEvent object, its strings and the Buffer.
 * Measured on Node 20 after a full GC: about 615 bytes of heap per event besides a 210-byte body
 * while it held its uuid and event_at text, ~250 without them; still charged 640, so a --log-bytes
 * budget keeps the meaning it had. Counted so that a flood of tiny events is bounded in bytes too.
 */
export const EVENT_OVERHEAD_BYTES = 640;

/** The bytes an event is charged in the log: its body (and, in legacy mode, its kept properties) plus overhead. */
export function storedEventBytes(event: StoredEvent, propertiesJsonLength = 0): number {
  return event.body.length + propertiesJsonLength + EVENT_OVERHEAD_BYTES;
}

export class MemoryStore implements EventStore {
  readonly kind = 'memory';
  readonly shared = false;
  readonly available = true;
  readonly unavailableReason = '';
  private readonly ring: (StoredEvent | undefined)[] = [];
  private readonly charged: number[] = [];
  private head = 0;
  private oldest = 1;
  private bytes = 0;
  /** Events evicted because the log was over its byte budget (not by count). */
  evictedForBytes = 0;

  constructor(
    readonly capacity: number,
    private readonly keepProperties = false,
    /** Byte budget of the whole log (bodies plus per-event overhead); the oldest go first. */
    readonly byteBudget = Number.POSITIVE_INFINITY,
  ) {}

  /** Id of the newest event, 0 when the log is empty. */
  get headId(): number {
    return this.head;
  }

  /** Id of the oldest event still stored (headId + 1 when empty). */
  get oldestId(): number {
    return this.oldest;
  }

  /** Largest page a catch-up read should ask for: 8,192 events, fewer when the log's events are big. */
  get pageSize(): number {
    const events = this.head - this.oldest + 1;
    if (events <= 0) return MEMORY_PAGE;
    return Math.max(16, Math.min(MEMORY_PAGE, Math.floor(MEMORY_PAGE_BYTES / (this.bytes / events))));
  }

  /** Events and bytes the log holds now (for /metrics). */
  get stats(): { events: number; bytes: number; evictedForBytes: number } {
    return { events: this.head - this.oldest + 1, bytes: this.bytes, evictedForBytes: this.evictedForBytes };
  }

  get(id: number): StoredEvent | undefined {
    if (id < this.oldest || id > this.head) return undefined;
    return this.ring[(id - 1) % this.capacity];
  }

  append(events: PublishedEvent[], createdAtUs: number): StoredEvent[] {
    const stored = new Array<StoredEvent>(events.length);
    const batchFields = events.map((published) => eventFields(published, createdAtUs));
    const bodies = eventBodies(this.head + 1, batchFields);
    for (let i = 0; i < events.length; i++) {
      const published = events[i]!;
      const fields = batchFields[i]!;
      const properties = this.keepProperties ? (published.properties ?? {}) : undefined;
      const event = storedEvent(++this.head, fields, properties, bodies[i]);
      if (this.head - this.oldest + 1 > this.capacity) this.evictOldest();
      const slot = (event.id - 1) % this.capacity;
      const cost = storedEventBytes(event, this.keepProperties ? fields.propertiesJson.length : 0);
      this.ring[slot] = event;
      this.charged[slot] = cost;
      this.bytes += cost;
      // Never evict the event just stored: one event over the whole budget is still delivered live.
      while (this.bytes > this.byteBudget && this.oldest < this.head) {
        this.evictOldest();
        this.evictedForBytes++;
      }
      stored[i] = event;
    }
    return stored;
  }

  private evictOldest(): void {
    const slot = (this.oldest - 1) % this.capacity;
    this.bytes -= this.charged[slot] ?? 0;
    this.ring[slot] = undefined;
    this.charged[slot] = 0;
    this.oldest++;
  }

  readPage(afterId: number, throughId: number, limit: number): LogPage {
    const oldestId = this.oldest;
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
