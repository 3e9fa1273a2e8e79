// Which sessions can want an event (isolated fan-out): subscriptions indexed by the value of their
// most selective `=`/`in` term, so an event is tried against the sessions that name its event type,
// object or owner, plus those whose subscriptions have no such term, never against every term of
// every session. A session is visited at most once per event; its own filters then decide. Those
// with a subscription that has no such term are candidates for every event: fan-out takes them once
// per run of events (forEachScanned), and the index visits the others per event.
import type { StoredEvent } from './eventLog.js';
import { STRING_ATTRIBUTES, type IndexTerm, type StringAttribute } from './filters.js';

/** A session as the index sees it: a stamp field lets it visit each session once per event without allocating. */
export interface Indexed {
  indexStamp: number;
  /** How many of its subscriptions have no index term (kept by the index): > 0 = a candidate for every event. */
  scannedSubs: number;
}

const ATTRIBUTES = Object.keys(STRING_ATTRIBUTES) as StringAttribute[];

export class SubscriptionIndex<S extends Indexed> {
  /** attribute → value → session → how many of its subscriptions are indexed there. */
  private readonly byValue = new Map<StringAttribute, Map<string, Map<S, number>>>(ATTRIBUTES.map((a) => [a, new Map()]));
  /** Sessions with subscriptions that have no index term, with how many. */
  private readonly scanned = new Map<S, number>();
  private stamp = 0;

  add(session: S, term: IndexTerm | undefined): void {
    if (term === undefined) {
      bump(this.scanned, session, 1);
      session.scannedSubs = this.scanned.get(session)!;
      return;
    }
    const values = this.byValue.get(term.attribute)!;
    for (const value of term.values) {
      let sessions = values.get(value);
      if (!sessions) values.set(value, (sessions = new Map()));
      bump(sessions, session, 1);
    }
  }

  remove(session: S, term: IndexTerm | undefined): void {
    if (term === undefined) {
      bump(this.scanned, session, -1);
      session.scannedSubs = this.scanned.get(session) ?? 0;
      return;
    }
    const values = this.byValue.get(term.attribute)!;
    for (const value of term.values) {
      const sessions = values.get(value);
      if (!sessions) continue;
      bump(sessions, session, -1);
      if (sessions.size === 0) values.delete(value);
    }
  }

  /** Calls `visit` once for every session with a subscription that has no index term: a candidate for every event. */
  forEachScanned(visit: (session: S) => void): void {
    for (const s of this.scanned.keys()) visit(s);
  }

  /**
   * Calls `visit` once for every other session (forEachScanned's are candidates for `event` anyway)
   * with a subscription that may match `event`.
   */
  forEachIndexedCandidate(event: StoredEvent, visit: (session: S) => void): void {
    const stamp = ++this.stamp;
    for (const attribute of ATTRIBUTES) {
      const sessions = this.byValue.get(attribute)!.get(STRING_ATTRIBUTES[attribute](event));
      if (!sessions) continue;
      for (const s of sessions.keys()) {
        if (s.indexStamp === stamp || s.scannedSubs > 0) continue;
        s.indexStamp = stamp;
        visit(s);
      }
    }
  }
}

function bump<S>(counts: Map<S, number>, session: S, by: number): void {
  const n = (counts.get(session) ?? 0) + by;
  if (n > 0) counts.set(session, n);
  else counts.delete(session);
}
