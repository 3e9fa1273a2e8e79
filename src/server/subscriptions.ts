// A session's subscriptions, the same in both modes: what each covers, and the bookkeeping that
// considers each event once per session, across catch-ups and removals.
import type { Filter } from '../protocol/v0.js';
import type { StoredEvent } from './eventLog.js';
import { matchAll, type EventPredicate, type IndexTerm } from './filters.js';
import type { ClientRequest } from './clientFrames.js';

type SubscribeRequest = Extract<ClientRequest, { method: 'subscribe' }>;

export interface Subscription {
  filters: Filter[] | undefined;
  /** The filters' canonical text (unsubscribe compares keys). */
  key: string;
  /** Filter terms it holds against the budgets. */
  terms: number;
  predicate: EventPredicate;
  /** How fan-out finds it (isolated mode); undefined = every event is tried. */
  indexTerm: IndexTerm | undefined;
  /** This subscription covers only ids above this one. */
  fromId: number;
  /** Ids in (fromId, doneThrough] were already considered with this subscription present. */
  doneThrough: number;
}

/**
 * A session's subscriptions: OR across them, each event delivered at most once per connection. A
 * catch-up subscription makes the session re-read part of the log; an event that a subscription it
 * holds already delivered there is not delivered again. A removed subscription takes its record of
 * what it delivered with it, so after a removal new subscriptions cover only ids above what the
 * session had considered by then (`floor`): a connection never receives an id twice.
 */
export class Subscriptions {
  private list: Subscription[] = [];
  /** Filter terms over all subscriptions, for --max-filters. */
  filterTerms = 0;
  /** The highest id the session had considered when it last removed a subscription; 0 = never. */
  private floor = 0;

  get size(): number {
    return this.list.length;
  }

  /**
   * Adds a subscription covering ids above `requestedFrom`, raised to the floor when the session
   * removed subscriptions before (its `fromId` says where it starts). `consideredThrough` is the
   * highest id the session has already considered with its existing subscriptions.
   */
  add(request: SubscribeRequest, requestedFrom: number, consideredThrough: number): Subscription {
    for (const old of this.list) if (old.doneThrough < consideredThrough) old.doneThrough = consideredThrough;
    const fromId = Math.max(requestedFrom, this.floor);
    const { filters, key, terms, predicate, indexTerm } = request;
    const sub: Subscription = { filters, key, terms, predicate, indexTerm, fromId, doneThrough: fromId };
    this.list.push(sub);
    this.filterTerms += terms;
    return sub;
  }

  /**
   * Removes the subscriptions with this filters key (all when undefined); returns them.
   * `consideredThrough` is the highest id the session has considered so far.
   */
  remove(key: string | undefined, consideredThrough: number): Subscription[] {
    const removed = key === undefined ? this.list : this.list.filter((s) => s.key === key);
    if (removed.length === 0) return removed;
    if (this.floor < consideredThrough) this.floor = consideredThrough;
    this.list = key === undefined ? [] : this.list.filter((s) => s.key !== key);
    this.filterTerms = this.list.reduce((n, s) => n + s.terms, 0);
    return removed;
  }

  /** Every subscription held, oldest first. */
  all(): readonly Subscription[] {
    return this.list;
  }

  /**
   * An id above which every event is to be delivered (matches() is true for each): a subscription
   * without filters holds, and no subscription's record of what it delivered reaches past it.
   * Infinity when no subscription takes every event.
   */
  takesEverythingAfter(): number {
    let everything = false;
    let after = 0;
    for (const s of this.list) {
      if (s.predicate === matchAll) everything = true;
      if (s.fromId > after) after = s.fromId;
      if (s.doneThrough > after) after = s.doneThrough;
    }
    return everything ? after : Infinity;
  }

  /** Whether to deliver `event` now: some subscription matches it and none has delivered it before. */
  matches(event: StoredEvent): boolean {
    let fresh = false;
    for (const s of this.list) {
      if (event.id > s.fromId && s.predicate(event)) {
        if (event.id <= s.doneThrough) return false;
        fresh = true;
      }
    }
    return fresh;
  }
}
