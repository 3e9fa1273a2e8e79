// Publishing, the same in both modes: a batch authorized, stored and acknowledged, and what clients
// are told while the event store is away.
import { nowUs } from '../clock.js';
import type { PublishedEvent, StatusMessage } from '../protocol/v0.js';
import type { StoredEvent } from './eventLog.js';
import type { Reader } from './permissions.js';
import type { ServerContext } from './serverContext.js';

/**
 * Publishing, the same in both modes: authorize, append the batch to the log (contiguous ids) and
 * build the ack. Memory store: the caller sends the ack, then fans out. A shared store answers with
 * a promise of the ack; its batches reach fan-out through the store's live feed.
 */
export function storeEvents(
  ctx: ServerContext,
  reader: Reader,
  events: PublishedEvent[],
): { reply: StatusMessage; stored: StoredEvent[] } | Promise<StatusMessage> {
  if (!reader.mayPublish) {
    ctx.metrics.refused('publish_forbidden');
    const message =
      ctx.options.publisherToken === undefined
        ? 'publishing is disabled: start evbench serve with --publisher-token TOKEN and connect with that token'
        : 'publish requires the publisher token';
    return { reply: { status: 403, message }, stored: [] };
  }
  if (!ctx.log.available) return { reply: storeUnavailable(ctx.log.unavailableReason), stored: [] };
  const appended = ctx.log.append(events, nowUs());
  const ack = (stored: StoredEvent[]): StatusMessage => {
    ctx.metrics.eventsIn += stored.length;
    return { status: 200, first_id: stored[0]!.id, last_id: stored[stored.length - 1]!.id };
  };
  if (!(appended instanceof Promise)) return { reply: ack(appended), stored: appended };
  return appended.then(ack, (err: Error) => {
    logStoreError(`publish failed: ${err.message}`);
    return { status: 503, message: `${STORE_UNAVAILABLE}; the batch may not have been stored, publish it again` };
  });
}

/**
 * What clients are told while the event store is away. The store's own error text (host, port,
 * user) goes to the server log only: clients are not the operator.
 */
export const STORE_UNAVAILABLE = 'event store unavailable';

/** The reply to a publish while the event store is unreachable. */
function storeUnavailable(reason: string): StatusMessage {
  logStoreError(reason);
  return { status: 503, message: `${STORE_UNAVAILABLE}; publish it again later` };
}

/** The texts of the statuses every session is sent unasked when the store goes away and comes back. */
export const STORE_NOTICES = {
  paused: `${STORE_UNAVAILABLE}; live delivery paused, it resumes without loss once reconnected`,
  resumed: 'event store available again: live delivery resumed, nothing was lost',
} as const;

/** The status every session gets when live delivery pauses (store away) or resumes. */
export function availabilityNotice(available: boolean, reason: string): StatusMessage {
  if (available) return { status: 200, message: STORE_NOTICES.resumed };
  logStoreError(reason);
  return { status: 503, message: STORE_NOTICES.paused };
}

let lastStoreError = '';
/** The store's detail, on the server's stderr (once per distinct message in a row). */
function logStoreError(detail: string): void {
  if (detail === lastStoreError) return;
  lastStoreError = detail;
  process.stderr.write(`evbench serve: event store: ${detail}\n`);
}
