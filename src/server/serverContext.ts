// What both modes of the server share (the log, the counters, the options, the filter budget), and
// what a mode provides on top of it (its hub of sessions).
import type { WebSocket } from 'ws';
import type { EventStore } from './eventLog.js';
import type { QueueStats, ServerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import type { FilterBudget } from './filterBudget.js';
import type { Reader } from './permissions.js';

/** What both modes share: the log, the counters, the options, the server-wide filter budget. */
export interface ServerContext {
  options: ServerOptions;
  log: EventStore;
  metrics: ServerMetrics;
  filterBudget: FilterBudget;
}

/** The mode-specific part of the server: sessions, subscriptions and fan-out. */
export interface Hub {
  accept(ws: WebSocket, reader: Reader): void;
  /** Sessions' queued bytes, for /metrics. */
  queueStats(): QueueStats;
  /** Closes every session with `code`; resolves once all are gone (terminating stragglers after `graceMs`). */
  closeAll(code: number, reason: string, graceMs: number): Promise<void>;
}
