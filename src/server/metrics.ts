// Server instrumentation: plain numbers bumped on the hot path, rendered as Prometheus text
// (format 0.0.4) only when /metrics is scraped.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { nowUs } from '../clock.js';
import { MAX_NESTING, MAX_PUBLISH_BATCH, maxBatchBytes } from './clientFrames.js';
import { defaultConnectionsPerAddress, defaultFiltersPerAddress, type ServerOptions } from './options.js';
import { SEND_OUTCOMES, type PendingSends, type SendOutcome } from './pendingSends.js';

/** Upper bounds of the per-send histogram, in microseconds (10 µs … 10 s). */
const SEND_BUCKETS_US = [
  10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
  10_000_000,
];

/** Queue ages (µs) above which /metrics counts sessions: `evbench_sessions_by_queue_age{older_than}`. */
const QUEUE_AGE_BOUNDS_US = [10_000, 100_000, 1_000_000, 10_000_000];

export interface QueueStats {
  sessions: number;
  maxBytes: number;
  sumBytes: number;
  /** Each session's sends in flight (event frames not yet written to the kernel). */
  pending?: PendingSends[];
  /** Legacy: enqueue time (µs) of the oldest event the global loop has not finished dispatching. */
  dispatchOldestUs?: number;
}

/** Why the server refused a connection, a frame or a request; one counter each in /metrics. */
export const REFUSAL_REASONS = [
  'unauthorized', // 401 before the upgrade
  'origin', // 403 before the upgrade: a browser Origin not allowed by --allow-origin
  'max_connections', // 503 before the upgrade
  'max_connections_per_address', // 429 before the upgrade (--max-connections-per-address)
  'handshake_timeout', // socket destroyed before completing its request
  'metrics_unauthorized', // 401 on /metrics (--metrics-token)
  'frame_too_large', // close 1009
  'invalid_utf8', // close 1007
  'protocol_error', // other websocket protocol violations (close 1002)
  'bad_message', // 400: invalid JSON, wrong types, too deep, binary, unknown method or filter
  'publish_forbidden', // 403: publish without the publisher token
  'too_many_subscriptions', // 413
  'too_many_filters', // 413: --max-filters per session (or per request)
  'too_many_filters_token', // 413: --max-filters-per-token (anonymous sessions: per peer address)
  'too_many_filters_address', // 413: --max-filters-per-address
  'too_many_filters_server', // 413: --max-filters-total
  'rate_limited', // 429
  'rate_abuse', // close 1008 after too many 429s in a row
  'keepalive_timeout', // terminated: no pong to the previous ping
  'message_timeout', // terminated: a message still unfinished after --message-timeout
  'reply_over_budget', // closed 4008: status replies the client does not read
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The configured limits as `evbench_server_limit` gauges. */
export function limitGauges(o: ServerOptions): Record<string, number> {
  return {
    max_frame_bytes: o.maxFrameBytes,
    max_subscriber_frame_bytes: o.maxSubscriberFrameBytes,
    max_byte_rate: o.maxByteRate,
    message_timeout_seconds: o.messageTimeoutMs / 1000,
    max_filters_per_token: o.maxFiltersPerToken,
    max_filters_total: o.maxFiltersTotal,
    max_filters_per_address: o.maxFiltersPerAddress ?? defaultFiltersPerAddress(o.maxFiltersTotal),
    max_subscriptions: o.maxSubscriptions,
    max_filters: o.maxFilters,
    max_connections: o.maxConnections,
    max_connections_per_address: o.maxConnectionsPerAddress ?? defaultConnectionsPerAddress(o.maxConnections),
    max_message_rate: o.maxMessageRate,
    message_burst: o.messageBurst,
    keepalive_interval_seconds: o.keepaliveMs / 1000,
    handshake_timeout_seconds: o.handshakeTimeoutMs / 1000,
    queue_bytes: o.queueBytes,
    log_bytes: o.logBytes,
    max_publish_batch: MAX_PUBLISH_BATCH,
    max_publish_batch_bytes: maxBatchBytes(o.queueBytes),
    max_nesting: MAX_NESTING,
  };
}

/** What the event log holds now; the memory store reports it, a shared store does not. */
export interface LogStats {
  events: number;
  bytes: number;
  evictedForBytes: number;
}

export class ServerMetrics {
  /** Set once the store is open (memory store only): rendered as evbench_log_* gauges. */
  logStats?: () => LogStats;
  /** The process's event-loop delay since the last scrape, for soak runs and dashboards. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  private readonly sendBuckets = new Array<number>(SEND_BUCKETS_US.length + 1).fill(0);
  private sendSumUs = 0;
  sendCount = 0;
  /** Longest send that ended, µs. */
  sendMaxUs = 0;
  readonly sendOutcomes: Record<SendOutcome, number> = { written: 0, failed: 0, abandoned: 0 };
  slowClientCloses = 0;
  gaps = 0;
  replayedEvents = 0;
  eventsIn = 0;
  eventsOut = 0;
  connections = 0;
  connectionsTotal = 0;
  readonly refusals = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;

  constructor(
    private readonly mode: string,
    private readonly queueStats: () => QueueStats,
    /** Configured limits, rendered as gauges (`evbench_server_limit{limit="…"}`). */
    private readonly limits: Record<string, number> = {},
  ) {
    this.loopDelay.enable();
  }

  /** Stops the event-loop delay sampler (its timer would keep nothing alive, but it costs a little). */
  stop(): void {
    this.loopDelay.disable();
  }

  refused(reason: RefusalReason): void {
    this.refusals[reason]++;
  }

  /** `count` event frames' sends ended (written to the kernel, failed, or abandoned), `us` after they were enqueued. */
  observeSend(us: number, outcome: SendOutcome = 'written', count = 1): void {
    let i = 0;
    while (i < SEND_BUCKETS_US.length && us > SEND_BUCKETS_US[i]!) i++;
    this.sendBuckets[i]! += count;
    this.sendSumUs += us * count;
    this.sendCount += count;
    if (us > this.sendMaxUs) this.sendMaxUs = us;
    this.sendOutcomes[outcome] += count;
  }

  render(): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    metric('evbench_server_info', 'gauge', 'Reference server build and mode.');
    out.push(`evbench_server_info{mode="${this.mode}",protocol="v0"} 1`);

    metric(
      'evbench_send_duration_seconds',
      'histogram',
      'Time from enqueueing an event frame for a session until its send ended: written to the kernel, failed, or abandoned at close.',
    );
    let cumulative = 0;
    for (let i = 0; i < SEND_BUCKETS_US.length; i++) {
      cumulative += this.sendBuckets[i]!;
      out.push(`evbench_send_duration_seconds_bucket{le="${SEND_BUCKETS_US[i]! / 1e6}"} ${cumulative}`);
    }
    cumulative += this.sendBuckets[SEND_BUCKETS_US.length]!;
    out.push(`evbench_send_duration_seconds_bucket{le="+Inf"} ${cumulative}`);
    out.push(`evbench_send_duration_seconds_sum ${this.sendSumUs / 1e6}`);
    out.push(`evbench_send_duration_seconds_count ${this.sendCount}`);
    metric(
      'evbench_sends_total',
      'counter',
      'Event frame sends that ended, by how: written (to the kernel), failed (socket error), abandoned (session closed with the send in flight).',
    );
    for (const outcome of SEND_OUTCOMES) out.push(`evbench_sends_total{outcome="${outcome}"} ${this.sendOutcomes[outcome]}`);
    metric('evbench_send_duration_max_seconds', 'gauge', 'Longest send that ended since the server started.');
    out.push(`evbench_send_duration_max_seconds ${this.sendMaxUs / 1e6}`);

    const q = this.queueStats();
    const now = nowUs();
    const pending = q.pending ?? [];
    let inFlight = 0;
    let oldestUs = now;
    const sessionAgeCounts = new Array<number>(QUEUE_AGE_BOUNDS_US.length).fill(0);
    for (const p of pending) {
      inFlight += p.size;
      const oldest = p.oldestUs;
      if (oldest === undefined) continue;
      if (oldest < oldestUs) oldestUs = oldest;
      for (let i = 0; i < QUEUE_AGE_BOUNDS_US.length; i++) if (now - oldest > QUEUE_AGE_BOUNDS_US[i]!) sessionAgeCounts[i]!++;
    }
    metric('evbench_sends_in_flight', 'gauge', 'Event frame sends started but not yet ended (frames not yet written to the kernel).');
    out.push(`evbench_sends_in_flight ${inFlight}`);
    metric(
      'evbench_send_in_flight_oldest_seconds',
      'gauge',
      'Age of the oldest send still in flight (0 when none): a send that never ends shows here, not in the histogram.',
    );
    out.push(`evbench_send_in_flight_oldest_seconds ${(now - oldestUs) / 1e6}`);
    metric(
      'evbench_sends_in_flight_by_age',
      'gauge',
      "Sends in flight at most `le` seconds old (cumulative), on the send histogram's bounds.",
    );
    for (let i = 0; i <= SEND_BUCKETS_US.length; i++) {
      const bound = SEND_BUCKETS_US[i];
      const older = bound === undefined ? 0 : pending.reduce((n, p) => n + p.countEnqueuedBefore(now - bound), 0);
      out.push(`evbench_sends_in_flight_by_age{le="${bound === undefined ? '+Inf' : bound / 1e6}"} ${inFlight - older}`);
    }
    metric(
      'evbench_session_queue_age_seconds',
      'gauge',
      'Age of the oldest undelivered event frame, max over sessions (0 when every queue is empty).',
    );
    out.push(`evbench_session_queue_age_seconds{stat="max"} ${(now - oldestUs) / 1e6}`);
    metric(
      'evbench_sessions_by_queue_age',
      'gauge',
      'Sessions whose oldest undelivered event frame is more than `older_than` seconds old.',
    );
    QUEUE_AGE_BOUNDS_US.forEach((bound, i) =>
      out.push(`evbench_sessions_by_queue_age{older_than="${bound / 1e6}"} ${sessionAgeCounts[i]}`),
    );
    metric(
      'evbench_dispatch_queue_age_seconds',
      'gauge',
      'Legacy: age of the oldest event or subscription the global loop has not finished dispatching; isolated: always 0 (fan-out never waits).',
    );
    out.push(`evbench_dispatch_queue_age_seconds ${q.dispatchOldestUs === undefined ? 0 : Math.max(0, now - q.dispatchOldestUs) / 1e6}`);

    metric('evbench_session_queue_bytes', 'gauge', 'Bytes queued for sessions (own queue plus socket buffer), max and sum over sessions.');
    out.push(`evbench_session_queue_bytes{stat="max"} ${q.maxBytes}`, `evbench_session_queue_bytes{stat="sum"} ${q.sumBytes}`);

    const counter = (name: string, help: string, value: number): void => {
      metric(name, 'counter', help);
      out.push(`${name} ${value}`);
    };
    counter(
      'evbench_slow_client_closes_total',
      'Sessions closed with 4008 because their queue exceeded the byte budget.',
      this.slowClientCloses,
    );
    counter('evbench_gaps_total', 'Gap notices sent (skipped events under policy drop, or a replay cursor older than the log).', this.gaps);
    counter('evbench_replayed_events_total', 'Events delivered by catch-up replay.', this.replayedEvents);
    counter('evbench_events_in_total', 'Events published and stored.', this.eventsIn);
    counter('evbench_events_out_total', 'Event messages handed to sessions (live and replay).', this.eventsOut);
    metric('evbench_connections', 'gauge', 'Open websocket connections.');
    out.push(`evbench_connections ${this.connections}`);
    counter('evbench_connections_total', 'Websocket connections accepted.', this.connectionsTotal);
    metric('evbench_refusals_total', 'counter', 'Connections, frames and requests refused, by reason.');
    for (const reason of REFUSAL_REASONS) out.push(`evbench_refusals_total{reason="${reason}"} ${this.refusals[reason]}`);
    const log = this.logStats?.();
    if (log) {
      metric('evbench_log_events', 'gauge', 'Events the memory log holds.');
      out.push(`evbench_log_events ${log.events}`);
      metric('evbench_log_bytes', 'gauge', 'Bytes the memory log is charged for (bodies plus per-event overhead); bounded by --log-bytes.');
      out.push(`evbench_log_bytes ${log.bytes}`);
      counter(
        'evbench_log_evicted_for_bytes_total',
        'Events evicted from the memory log because it was over --log-bytes.',
        log.evictedForBytes,
      );
    }
    const mem = process.memoryUsage();
    metric('evbench_process_memory_bytes', 'gauge', 'This process: resident set, V8 heap used, and memory outside the heap (Buffers).');
    out.push(
      `evbench_process_memory_bytes{kind="rss"} ${mem.rss}`,
      `evbench_process_memory_bytes{kind="heap_used"} ${mem.heapUsed}`,
      `evbench_process_memory_bytes{kind="external"} ${mem.external}`,
    );
    metric('evbench_event_loop_delay_seconds', 'gauge', 'Event-loop delay since the previous scrape (10 ms sampling).');
    const d = this.loopDelay;
    // every sample includes the monitor's 10 ms resolution: subtract it (as runner/health.ts does)
    const delay = (ns: number): number => Math.max(0, ns / 1e9 - 0.01);
    const quantile = (p: number): number => (d.count > 0 ? delay(d.percentile(p)) : 0);
    out.push(
      `evbench_event_loop_delay_seconds{quantile="0.5"} ${quantile(50)}`,
      `evbench_event_loop_delay_seconds{quantile="0.99"} ${quantile(99)}`,
      `evbench_event_loop_delay_seconds{quantile="1"} ${d.count > 0 ? delay(d.max) : 0}`,
    );
    d.reset();
    metric('evbench_server_limit', 'gauge', 'Configured server limits (bytes, counts, per-second rates, seconds).');
    for (const [name, value] of Object.entries(this.limits)) out.push(`evbench_server_limit{limit="${name}"} ${value}`);
    return out.join('\n') + '\n';
  }
}
