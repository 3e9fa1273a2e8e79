// Server instrumentation: plain numbers bumped on the hot path, rendered as Prometheus text
// (format 0.0.4) only when /metrics is scraped.

/** Upper bounds of the per-send histogram, in microseconds (10 µs … 10 s). */
const SEND_BUCKETS_US = [
  10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
  2_500_000, 5_000_000, 10_000_000,
];

export interface QueueStats {
  sessions: number;
  maxBytes: number;
  sumBytes: number;
}

export class ServerMetrics {
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  private readonly sendBuckets = new Array<number>(SEND_BUCKETS_US.length + 1).fill(0);
  private sendSumUs = 0;
  sendCount = 0;
  slowClientCloses = 0;
  gaps = 0;
  replayedEvents = 0;
  eventsIn = 0;
  eventsOut = 0;
  connections = 0;
  connectionsTotal = 0;

  constructor(
    private readonly mode: string,
    private readonly queueStats: () => QueueStats,
  ) {}

  /** One event frame written to the kernel, `us` after it was enqueued. */
  observeSend(us: number): void {
    let i = 0;
    while (i < SEND_BUCKETS_US.length && us > SEND_BUCKETS_US[i]!) i++;
    this.sendBuckets[i]!++;
    this.sendSumUs += us;
    this.sendCount++;
  }

  render(): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    metric('evbench_server_info', 'gauge', 'Reference server build and mode.');
    out.push(`evbench_server_info{mode="${this.mode}",protocol="v0"} 1`);

    metric('evbench_send_duration_seconds', 'histogram', 'Time from enqueueing an event frame for a session to its write to the kernel.');
    let cumulative = 0;
    for (let i = 0; i < SEND_BUCKETS_US.length; i++) {
      cumulative += this.sendBuckets[i]!;
      out.push(`evbench_send_duration_seconds_bucket{le="${SEND_BUCKETS_US[i]! / 1e6}"} ${cumulative}`);
    }
    cumulative += this.sendBuckets[SEND_BUCKETS_US.length]!;
    out.push(`evbench_send_duration_seconds_bucket{le="+Inf"} ${cumulative}`);
    out.push(`evbench_send_duration_seconds_sum ${this.sendSumUs / 1e6}`);
    out.push(`evbench_send_duration_seconds_count ${this.sendCount}`);

    const q = this.queueStats();
    metric('evbench_session_queue_bytes', 'gauge', 'Bytes queued for sessions (own queue plus socket buffer), max and sum over sessions.');
    out.push(`evbench_session_queue_bytes{stat="max"} ${q.maxBytes}`, `evbench_session_queue_bytes{stat="sum"} ${q.sumBytes}`);

    const counter = (name: string, help: string, value: number): void => {
      metric(name, 'counter', help);
      out.push(`${name} ${value}`);
    };
    counter('evbench_slow_client_closes_total', 'Sessions closed with 4008 because their queue exceeded the byte budget.', this.slowClientCloses);
    counter('evbench_gaps_total', 'Gap notices sent (skipped events under policy drop, or a replay cursor older than the log).', this.gaps);
    counter('evbench_replayed_events_total', 'Events delivered by catch-up replay.', this.replayedEvents);
    counter('evbench_events_in_total', 'Events published and stored.', this.eventsIn);
    counter('evbench_events_out_total', 'Event messages handed to sessions (live and replay).', this.eventsOut);
    metric('evbench_connections', 'gauge', 'Open websocket connections.');
    out.push(`evbench_connections ${this.connections}`);
    counter('evbench_connections_total', 'Websocket connections accepted.', this.connectionsTotal);
    return out.join('\n') + '\n';
  }
}
