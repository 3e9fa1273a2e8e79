// Client frames → a checked request or an error reply. Everything a client can send wrong ends here
// as a status value; nothing a client sends can throw past this module.
import { usFromIso } from '../clock.js';
import type { Filter, PublishedEvent, StatusMessage } from '../protocol/v0.js';
import { compileFilters, type EventPredicate } from './filters.js';

/** Largest publish batch accepted; a bigger one is refused with 413. */
export const MAX_PUBLISH_BATCH = 10_000;
/**
 * Deepest nesting of arrays and objects accepted in a frame. JSON.parse copes with any depth, but
 * JSON.stringify (event bodies, filter comparison) recurses and would overflow the stack.
 */
export const MAX_NESTING = 64;
/** Event times the server can store and print: years 0001 through 9999, in µs since the epoch. */
const MIN_EVENT_AT_US = Date.parse('0001-01-01T00:00:00Z') * 1000;
const MAX_EVENT_AT_US = Date.parse('9999-12-31T23:59:59.999Z') * 1000 + 999;

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
  if (deeperThan(value, MAX_NESTING)) return fail(400, `message nests arrays/objects deeper than ${MAX_NESTING} levels`);
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
      return fail(400, `unknown method ${JSON.stringify(message.method ?? null).slice(0, 64)} (use subscribe, unsubscribe or publish)`);
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
    if (typeof e.event_at === 'string') {
      const us = usFromIso(e.event_at);
      if (!(us >= MIN_EVENT_AT_US && us <= MAX_EVENT_AT_US)) {
        return fail(400, `events[${i}].event_at must be an RFC 3339 UTC timestamp between years 0001 and 9999`);
      }
    }
    const p = e.properties;
    if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p))) {
      return fail(400, `events[${i}].properties must be an object`);
    }
  }
  return { request: { method: 'publish', events: events as PublishedEvent[] } };
}

/** Whether `root` nests arrays/objects more than `limit` levels deep; iterative, so any depth is safe to ask. */
function deeperThan(root: object, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** Filter terms a subscription holds against --max-filters: each filter 1, an `in` filter the length of its list. */
export function filterTerms(filters: Filter[] | undefined): number {
  let n = 0;
  for (const f of filters ?? []) n += Array.isArray(f[2]) ? Math.max(1, f[2].length) : 1;
  return n;
}

/** Deep equality of two filter lists, for `unsubscribe` (operands are JSON values). */
export function sameFilters(a: Filter[] | undefined, b: Filter[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
