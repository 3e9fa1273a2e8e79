// Subscription filters: compiled once at subscribe time into a predicate over stored events, so
// fan-out never re-reads the client's JSON. An unknown attribute or operator is an error, never ignored.
import type { Filter } from '../protocol/v0.js';
import type { StoredEvent } from './eventLog.js';
import { strictUsFromIso } from './time.js';

export type EventPredicate = (event: StoredEvent) => boolean;

export const STRING_ATTRIBUTES = {
  event_type: (e: StoredEvent) => e.eventType,
  object_uuid: (e: StoredEvent) => e.objectUuid,
  object_owner_uuid: (e: StoredEvent) => e.ownerUuid,
  object_kind: (e: StoredEvent) => e.objectKind,
} as const;

const TIME_ATTRIBUTES = {
  event_at: (e: StoredEvent) => e.eventAtUs,
  created_at: (e: StoredEvent) => e.createdAtUs,
} as const;

/** The predicate of a subscription without filters: every event (fan-out recognizes it by identity). */
export const matchAll: EventPredicate = () => true;

export type StringAttribute = keyof typeof STRING_ATTRIBUTES;

/** A subscription's `=`/`in` term on a string attribute: only events with one of `values` can match it. */
export interface IndexTerm {
  attribute: StringAttribute;
  values: readonly string[];
}

/**
 * The most selective `=`/`in` term of already compiled (valid) filters, by which fan-out indexes a
 * subscription; undefined when it has none (time filters only, or no filters) and must be scanned.
 */
export function indexTermOf(filters: Filter[] | undefined): IndexTerm | undefined {
  let best: IndexTerm | undefined;
  for (const [attribute, operator, operand] of filters ?? []) {
    if (!Object.hasOwn(STRING_ATTRIBUTES, attribute)) continue;
    const values = operator === '=' ? [operand as string] : operator === 'in' ? [...new Set(operand as string[])] : undefined;
    if (!values) continue;
    const term = { attribute: attribute as StringAttribute, values };
    if (
      best === undefined ||
      values.length < best.values.length ||
      (values.length === best.values.length && SPECIFICITY[term.attribute] > SPECIFICITY[best.attribute])
    ) {
      best = term;
    }
  }
  return best;
}

/** On a tie in list length, index by the attribute with the most distinct values in practice. */
const SPECIFICITY: Record<StringAttribute, number> = { event_type: 0, object_kind: 1, object_owner_uuid: 2, object_uuid: 3 };

/** Compiles a subscription's filters (AND of all) or returns an error message naming the bad filter. */
export function compileFilters(filters: unknown): EventPredicate | string {
  if (filters === undefined || filters === null) return matchAll;
  if (!Array.isArray(filters)) return 'filters must be an array of [attribute, operator, operand]';
  const parts: EventPredicate[] = [];
  for (let i = 0; i < filters.length; i++) {
    const part = compileFilter(filters[i]);
    if (typeof part === 'string') return `filters[${i}]: ${part}`;
    parts.push(part);
  }
  if (parts.length === 0) return matchAll;
  if (parts.length === 1) return parts[0]!;
  return (event) => {
    for (const part of parts) if (!part(event)) return false;
    return true;
  };
}

function compileFilter(filter: unknown): EventPredicate | string {
  if (!Array.isArray(filter) || filter.length !== 3 || typeof filter[0] !== 'string' || typeof filter[1] !== 'string') {
    return 'expected [attribute, operator, operand]';
  }
  const [attribute, operator, operand] = filter as [string, string, unknown];
  if (Object.hasOwn(STRING_ATTRIBUTES, attribute)) {
    const read = STRING_ATTRIBUTES[attribute as keyof typeof STRING_ATTRIBUTES];
    if (operator === '=') {
      if (typeof operand !== 'string') return `${attribute} = expects a string`;
      return (event) => read(event) === operand;
    }
    if (operator === 'in') {
      if (!Array.isArray(operand) || operand.some((v) => typeof v !== 'string')) {
        return `${attribute} in expects an array of strings`;
      }
      const set = new Set(operand as string[]);
      return (event) => set.has(read(event));
    }
    return `unknown operator ${JSON.stringify(operator)} for ${attribute} (use = or in)`;
  }
  if (Object.hasOwn(TIME_ATTRIBUTES, attribute)) {
    const read = TIME_ATTRIBUTES[attribute as keyof typeof TIME_ATTRIBUTES];
    const bound = typeof operand === 'string' ? strictUsFromIso(operand) : NaN;
    if (!Number.isFinite(bound)) return `${attribute} ${operator} expects an RFC 3339 UTC timestamp`;
    switch (operator) {
      case '<':
        return (event) => read(event) < bound;
      case '<=':
        return (event) => read(event) <= bound;
      case '>':
        return (event) => read(event) > bound;
      case '>=':
        return (event) => read(event) >= bound;
      default:
        return `unknown operator ${JSON.stringify(operator)} for ${attribute} (use <, <=, > or >=)`;
    }
  }
  return `unknown filter attribute ${JSON.stringify(attribute)}`;
}
