// Client frames → a checked request or an error reply. Everything a client can send wrong ends here
// as a status value; nothing a client sends can throw past this module.
import type { Filter, PublishedEvent, StatusMessage } from '../protocol/v0.js';
import { compileFilters, indexTermOf, type EventPredicate, type IndexTerm } from './filters.js';
import { strictUsFromIso } from './time.js';

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

/**
 * A publish batch may take this many times --queue-bytes once framed: a session that had nothing
 * queued takes a whole batch, so this bounds what one batch can add to any session's queue.
 */
const BATCH_QUEUE_BUDGETS = 4;
export const maxBatchBytes = (queueBytes: number): number => BATCH_QUEUE_BUDGETS * queueBytes;

/** What one stored event costs beyond its publisher's JSON (id, uuid, defaults, msgID head), for the batch cap. */
const EVENT_OVERHEAD_BYTES = 192;

export type ClientRequest =
  | {
      method: 'subscribe';
      filters: Filter[] | undefined;
      /** The filters' canonical text, computed once: unsubscribe compares keys, never re-serializes. */
      key: string;
      /** Filter terms, counted before compiling (--max-filters). */
      terms: number;
      predicate: EventPredicate;
      /** The most selective `=`/`in` term, by which fan-out finds this subscription; undefined = scanned. */
      indexTerm: IndexTerm | undefined;
      lastLogId: number | undefined;
    }
  | { method: 'unsubscribe'; filters: Filter[] | undefined; key: string }
  | { method: 'publish'; events: PublishedEvent[] };

export type ParseResult = { request: ClientRequest } | { error: StatusMessage };

/** Per-request limits the parser checks before it pays for compiling or storing. */
export interface ParseLimits {
  /** Filter terms one request may carry (a session never holds more: --max-filters). */
  maxFilters: number;
  /** Estimated bytes of a publish batch once stored and framed (a share of --queue-bytes). */
  maxBatchBytes: number;
}

const NO_LIMITS: ParseLimits = { maxFilters: Number.MAX_SAFE_INTEGER, maxBatchBytes: Number.MAX_SAFE_INTEGER };

const fail = (status: number, message: string): ParseResult => ({ error: { status, message } });

export function parseClientFrame(text: string, limits: ParseLimits = NO_LIMITS): ParseResult {
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
      return parseSubscribe(message, limits);
    case 'unsubscribe':
      return parseUnsubscribe(message, limits);
    case 'publish':
      return parsePublish(message, text.length, limits);
    default:
      return fail(400, `unknown method ${JSON.stringify(message.method ?? null).slice(0, 64)} (use subscribe, unsubscribe or publish)`);
  }
}

/** Counts a request's filter terms, cheaply and before anything is compiled; a 413 over `maxFilters`. */
function countTerms(filters: unknown, limits: ParseLimits): number | ParseResult {
  if (filters === undefined || filters === null) return 0;
  if (!Array.isArray(filters)) return fail(400, 'filters must be an array of [attribute, operator, operand]');
  let terms = 0;
  for (const f of filters) {
    terms += Array.isArray(f) && Array.isArray(f[2]) ? Math.max(1, f[2].length) : 1;
    if (terms > limits.maxFilters) {
      return fail(413, `a request may carry at most ${limits.maxFilters} filter terms (--max-filters)`);
    }
  }
  return terms;
}

function parseSubscribe(message: Record<string, unknown>, limits: ParseLimits): ParseResult {
  const terms = countTerms(message.filters, limits);
  if (typeof terms !== 'number') return terms;
  const predicate = compileFilters(message.filters);
  if (typeof predicate === 'string') return fail(400, predicate);
  const last = message.last_log_id ?? undefined;
  if (last !== undefined && (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0)) {
    return fail(400, 'last_log_id must be a non-negative integer');
  }
  const filters = (message.filters ?? undefined) as Filter[] | undefined;
  return {
    request: {
      method: 'subscribe',
      filters,
      key: filtersKey(filters),
      terms,
      predicate,
      indexTerm: indexTermOf(filters),
      lastLogId: last as number | undefined,
    },
  };
}

/** Unsubscribe filters are checked and counted like subscribe filters: they cost the same to compare. */
function parseUnsubscribe(message: Record<string, unknown>, limits: ParseLimits): ParseResult {
  const terms = countTerms(message.filters, limits);
  if (typeof terms !== 'number') return terms;
  const checked = compileFilters(message.filters);
  if (typeof checked === 'string') return fail(400, checked);
  const filters = (message.filters ?? undefined) as Filter[] | undefined;
  return { request: { method: 'unsubscribe', filters, key: filtersKey(filters) } };
}

const OPTIONAL_STRINGS = ['object_uuid', 'object_owner_uuid', 'object_kind', 'event_at'] as const;

function parsePublish(message: Record<string, unknown>, frameLength: number, limits: ParseLimits): ParseResult {
  const events = message.events;
  if (!Array.isArray(events) || events.length === 0) return fail(400, 'events must be a non-empty array');
  if (events.length > MAX_PUBLISH_BATCH) {
    return fail(413, `publish batch of ${events.length} events is over the limit of ${MAX_PUBLISH_BATCH}`);
  }
  // A batch bigger than a session's byte budget could not reach an idle subscriber whole.
  const batchBytes = frameLength + events.length * EVENT_OVERHEAD_BYTES;
  if (batchBytes > limits.maxBatchBytes) {
    return fail(
      413,
      `publish batch of about ${batchBytes} bytes once framed is over the limit of ${limits.maxBatchBytes} (4 × --queue-bytes); send smaller batches`,
    );
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail(400, `events[${i}] must be an object`);
    if (typeof e.event_type !== 'string') return fail(400, `events[${i}].event_type must be a string`);
    for (const key of OPTIONAL_STRINGS) {
      if (e[key] !== undefined && typeof e[key] !== 'string') return fail(400, `events[${i}].${key} must be a string`);
    }
    if (typeof e.event_at === 'string') {
      const us = strictUsFromIso(e.event_at);
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

/** A filter list's canonical text: two lists are the same subscription when their keys are equal. */
export function filtersKey(filters: Filter[] | undefined): string {
  return JSON.stringify(filters ?? []);
}

/** Deep equality of two filter lists (operands are JSON values). */
export function sameFilters(a: Filter[] | undefined, b: Filter[] | undefined): boolean {
  return filtersKey(a) === filtersKey(b);
}
