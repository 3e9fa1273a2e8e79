// Client frames → a checked request or an error reply. Everything a client can send wrong ends here
// as a status value; nothing a client sends can throw past this module.
import type { Filter, PublishedEvent, StatusMessage } from '../protocol/v0.js';
import { compileFilters, type EventPredicate } from './filters.js';

/** Largest publish batch accepted; a bigger one is refused with 413. */
export const MAX_PUBLISH_BATCH = 10_000;

export type ClientRequest =
  | { method: 'subscribe'; filters: Filter[] | undefined; predicate: EventPredicate; lastLogId: number | undefined }
  | { method: 'unsubscribe'; filters: Filter[] | undefined }
  | { method: 'publish'; events: PublishedEvent[] };

export type ParseResult = { request: ClientRequest } | { error: StatusMessage };

const fail = (status: number, message: string): ParseResult => ({ error: { status, message } });

export function parseClientFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(400, 'invalid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(400, 'message must be a JSON object');
  const message = value as Record<string, unknown>;
  switch (message.method) {
    case 'subscribe':
      return parseSubscribe(message);
    case 'unsubscribe': {
      const filters = message.filters ?? undefined;
      if (filters !== undefined && !Array.isArray(filters)) return fail(400, 'filters must be an array');
      return { request: { method: 'unsubscribe', filters: filters as Filter[] | undefined } };
    }
    case 'publish':
      return parsePublish(message);
    default:
      return fail(400, `unknown method ${JSON.stringify(message.method ?? null)} (use subscribe, unsubscribe or publish)`);
  }
}

function parseSubscribe(message: Record<string, unknown>): ParseResult {
  const predicate = compileFilters(message.filters);
  if (typeof predicate === 'string') return fail(400, predicate);
  const last = message.last_log_id ?? undefined;
  if (last !== undefined && (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0)) {
    return fail(400, 'last_log_id must be a non-negative integer');
  }
  const filters = (message.filters ?? undefined) as Filter[] | undefined;
  return { request: { method: 'subscribe', filters, predicate, lastLogId: last as number | undefined } };
}

const OPTIONAL_STRINGS = ['object_uuid', 'object_owner_uuid', 'object_kind', 'event_at'] as const;

function parsePublish(message: Record<string, unknown>): ParseResult {
  const events = message.events;
  if (!Array.isArray(events) || events.length === 0) return fail(400, 'events must be a non-empty array');
  if (events.length > MAX_PUBLISH_BATCH) {
    return fail(413, `publish batch of ${events.length} events is over the limit of ${MAX_PUBLISH_BATCH}`);
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail(400, `events[${i}] must be an object`);
    if (typeof e.event_type !== 'string') return fail(400, `events[${i}].event_type must be a string`);
    for (const key of OPTIONAL_STRINGS) {
      if (e[key] !== undefined && typeof e[key] !== 'string') return fail(400, `events[${i}].${key} must be a string`);
    }
    const p = e.properties;
    if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p))) {
      return fail(400, `events[${i}].properties must be an object`);
    }
  }
  return { request: { method: 'publish', events: events as PublishedEvent[] } };
}

/** Deep equality of two filter lists, for `unsubscribe` (operands are JSON values). */
export function sameFilters(a: Filter[] | undefined, b: Filter[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
