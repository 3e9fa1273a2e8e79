// The memory event log: a bounded ring of stored events with O(1) append and lookup by id. Each
// event is serialized once here, at publish time; every delivery reuses the same body bytes.
import { isoFromUs, usFromIso } from '../clock.js';
import { PUBLIC_GROUP, type PublishedEvent } from '../protocol/v0.js';

export const DEFAULT_OBJECT_KIND = 'arvados#object';
const UUID_PREFIX = 'zzzzz-57u5n-';
const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** An event as the server keeps it: the fields filters and permissions read, plus its frame body. */
export interface StoredEvent {
  id: number;
  uuid: string;
  objectUuid: string;
  ownerUuid: string;
  objectKind: string;
  eventType: string;
  eventAt: string;
  eventAtUs: number;
  /** When the server stored the event (what `created_at` filters compare). */
  createdAtUs: number;
  /**
   * Everything of the event message after the per-connection `{"msgID":N,` prefix:
   * `"id":…,"uuid":…,…,"properties":{…}}`, UTF-8.
   */
  body: Buffer;
  /** The publisher's properties object, kept only for legacy mode (which re-serializes per client). */
  properties?: Record<string, unknown>;
}

export class EventLog {
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

  append(event: PublishedEvent, createdAtUs: number): StoredEvent {
    const id = ++this.head;
    const parsedAt = event.event_at === undefined ? NaN : usFromIso(event.event_at);
    const eventAtUs = Number.isFinite(parsedAt) ? parsedAt : createdAtUs;
    // Keep a publisher's canonical µs timestamp verbatim; normalize anything else.
    const eventAt = Number.isFinite(parsedAt) && CANONICAL_TIME.test(event.event_at!) ? event.event_at! : isoFromUs(eventAtUs);
    const uuid = UUID_PREFIX + String(id).padStart(15, '0');
    const objectUuid = event.object_uuid ?? '';
    const ownerUuid = event.object_owner_uuid ?? PUBLIC_GROUP;
    const objectKind = event.object_kind ?? DEFAULT_OBJECT_KIND;
    const properties = event.properties ?? {};
    const body = Buffer.from(
      `"id":${id},"uuid":"${uuid}","object_uuid":${JSON.stringify(objectUuid)},` +
        `"object_owner_uuid":${JSON.stringify(ownerUuid)},"object_kind":${JSON.stringify(objectKind)},` +
        `"event_type":${JSON.stringify(event.event_type)},"event_at":"${eventAt}",` +
        `"properties":${JSON.stringify(properties)}}`,
    );
    const stored: StoredEvent = {
      id,
      uuid,
      objectUuid,
      ownerUuid,
      objectKind,
      eventType: event.event_type,
      eventAt,
      eventAtUs,
      createdAtUs,
      body,
      properties: this.keepProperties ? properties : undefined,
    };
    this.ring[(id - 1) % this.capacity] = stored;
    return stored;
  }
}
