// The event log abstraction both modes read: what a stored event is, how it is framed once, and the
// EventStore interface the memory ring (store/memory.ts) and PostgreSQL (store/postgres.ts) implement.
import { isoFromUs } from '../clock.js';
import { PUBLIC_GROUP, type PublishedEvent } from '../protocol/v0.js';
import { strictUsFromIso } from './time.js';

export const DEFAULT_OBJECT_KIND = 'arvados#object';
const UUID_PREFIX = 'zzzzz-57u5n-';
const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/**
 * An event as the server keeps it: the fields filters and permissions read, plus its frame body. A
 * log of 300,000 events is 300,000 of these on the heap, so it holds nothing delivery does not read:
 * the uuid is derived from the id (eventUuid), the event_at text lives in the body.
 */
export interface StoredEvent {
  id: number;
  objectUuid: string;
  ownerUuid: string;
  objectKind: string;
  eventType: string;
  eventAtUs: number;
  /** When the server stored the event (what `created_at` filters compare). */
  createdAtUs: number;
  /**
   * Everything of the event message after the per-connection `{"msgID":N,` prefix:
   * `"id":…,"uuid":…,…,"properties":{…}}`, UTF-8.
   */
  body: Buffer;
  /** What legacy mode re-serializes per client, kept only for it: the publisher's properties and event_at text. */
  legacy?: { properties: Record<string, unknown>; eventAt: string };
}

/** The uuid of the event with log id `id`. */
export function eventUuid(id: number): string {
  return UUID_PREFIX + String(id).padStart(15, '0');
}

/** An event's fields before it has an id: what a store writes, and reads back. */
export interface EventFields {
  eventType: string;
  objectUuid: string;
  ownerUuid: string;
  objectKind: string;
  eventAtUs: number;
  /** The canonical µs timestamp of eventAtUs (the publisher's own text when it already was canonical). */
  eventAt: string;
  createdAtUs: number;
  /** The properties object as JSON text, serialized once. */
  propertiesJson: string;
}

/** Fills a published event's defaults and normalizes its time; `createdAtUs` is the store time. */
export function eventFields(event: PublishedEvent, createdAtUs: number): EventFields {
  const parsedAt = event.event_at === undefined ? NaN : strictUsFromIso(event.event_at);
  const eventAtUs = Number.isFinite(parsedAt) ? parsedAt : createdAtUs;
  // Keep a publisher's canonical µs timestamp verbatim; normalize anything else.
  const eventAt = Number.isFinite(parsedAt) && CANONICAL_TIME.test(event.event_at!) ? event.event_at! : canonicalTime(eventAtUs);
  return {
    eventType: event.event_type,
    objectUuid: event.object_uuid ?? '',
    ownerUuid: event.object_owner_uuid ?? PUBLIC_GROUP,
    objectKind: event.object_kind ?? DEFAULT_OBJECT_KIND,
    eventAtUs,
    eventAt,
    createdAtUs,
    propertiesJson: JSON.stringify(event.properties ?? {}),
  };
}

let lastTimeUs = NaN;
let lastTime = '';
/**
 * isoFromUs, remembering the last answer: the events of a batch published without event_at all take
 * the batch's store time, and formatting it cost more per event than the rest of eventFields (profiled).
 */
function canonicalTime(us: number): string {
  if (us !== lastTimeUs) {
    lastTime = isoFromUs(us);
    lastTimeUs = us;
  }
  return lastTime;
}

/** The body (StoredEvent.body) of the event with id `id`, as text. */
function bodyText(id: number, f: EventFields): string {
  return (
    `"id":${id},"uuid":"${eventUuid(id)}","object_uuid":${JSON.stringify(f.objectUuid)},` +
    `"object_owner_uuid":${JSON.stringify(f.ownerUuid)},"object_kind":${JSON.stringify(f.objectKind)},` +
    `"event_type":${JSON.stringify(f.eventType)},"event_at":"${f.eventAt}",` +
    `"properties":${f.propertiesJson}}`
  );
}

/**
 * The bodies of a batch's events, with ids from `firstId` on: views into one buffer, allocated once
 * for the batch. A buffer each came from Node's 8 KiB pool, which a batch of 400-byte bodies
 * exhausted every 15 events, and allocating its replacement cost more than encoding the bodies
 * (profiled). The buffer lives while any of its events does: a log evicting part of a batch keeps
 * the rest of that batch's bytes.
 */
export function eventBodies(firstId: number, fields: readonly EventFields[]): Buffer[] {
  const texts = fields.map((f, i) => bodyText(firstId + i, f));
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text);
  const slab = Buffer.allocUnsafe(bytes);
  let at = 0;
  return texts.map((text) => {
    const end = at + slab.write(text, at);
    const body = slab.subarray(at, end);
    at = end;
    return body;
  });
}

/**
 * The stored event with id `id`: its body is built once (here, or for a whole batch by eventBodies)
 * and shared by every delivery. `properties` is given only for legacy mode.
 */
export function storedEvent(
  id: number,
  f: EventFields,
  properties?: Record<string, unknown>,
  body: Buffer = Buffer.from(bodyText(id, f)),
): StoredEvent {
  return {
    id,
    objectUuid: f.objectUuid,
    ownerUuid: f.ownerUuid,
    objectKind: f.objectKind,
    eventType: f.eventType,
    eventAtUs: f.eventAtUs,
    createdAtUs: f.createdAtUs,
    body,
    legacy: properties && { properties, eventAt: f.eventAt },
  };
}

/** A page of a catch-up read. */
export interface LogPage {
  /** Stored events with afterId < id ≤ throughId, in id order (ids may have holes). */
  events: StoredEvent[];
  /**
   * The oldest id the store still held when it read the page: ids below it were removed (ring
   * overwrite or retention), so a cursor below it gets a gap notice.
   */
  oldestId: number;
}

/**
 * Where events live. `memory` answers synchronously and lives in one process; a `shared` store
 * (PostgreSQL) answers with promises and delivers every process's batches through `onLive`.
 */
export interface EventStore {
  readonly kind: 'memory' | 'postgres';
  /** Several server processes share this store: live batches arrive through onLive, not from append. */
  readonly shared: boolean;
  /**
   * Newest id this process has handed to live delivery; every stored id up to it is readable.
   * Live delivery after a subscription is exactly the ids above the head at that instant.
   */
  readonly headId: number;
  /** Whether publishing and live delivery work now (false while a database connection is being re-made). */
  readonly available: boolean;
  /** Why it is not available (for status messages). */
  readonly unavailableReason: string;
  /** Largest page a catch-up read should ask for. */
  readonly pageSize: number;
  /**
   * Stores a batch under contiguous ids, in order. Memory: synchronous, and the caller fans the
   * batch out. Shared: resolves once committed; the batch reaches live delivery through onLive.
   */
  append(events: PublishedEvent[], createdAtUs: number): StoredEvent[] | Promise<StoredEvent[]>;
  /** Up to `limit` stored events with afterId < id ≤ throughId (throughId ≤ headId), in id order. */
  readPage(afterId: number, throughId: number, limit: number): LogPage | Promise<LogPage>;
  /** Shared stores: every batch stored by any process, once, in id order, as the head advances. */
  onLive(listener: (events: StoredEvent[]) => void): void;
  /** Shared stores: availability changes (connection lost, connection back and caught up). */
  onAvailability(listener: (available: boolean) => void): void;
  close(): Promise<void>;
}
