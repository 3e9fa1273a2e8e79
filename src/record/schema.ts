// The run record: everything a run measured, schema-versioned. Renderers and analyses read only
// this; histograms are kept encoded (compressed base64) so records merge exactly.
import type { GroupKind, Scenario, SlowBehaviour } from '../scenario/types.js';

export const SCHEMA_VERSION = 1;

// The counters and summaries the record carries are defined here, not in measurement/: measurement
// fills them, and a field added to them is a change to the on-disk schema, made in this file.

/** Latency summary in integer microseconds, as it appears in run records. */
export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** One group's counters for one phase, as written to disk (measurement/recorder.ts counts them). */
export interface PhaseCounters {
  /** Expected events delivered (by intended time: the phase the event was published in). */
  delivered: number;
  /** Events that arrived while this phase ran (by arrival time): the delivery rate clients saw. */
  arrived: number;
  /** Expected events not delivered within the grace period after their phase (recorded as latency too). */
  missing: number;
  duplicates: number;
  outOfOrder: number;
  /** Events that arrived after they had been counted missing (not recorded twice). */
  lateArrivals: number;
  /** Events received before their publish time (clock skew, or a server stamping future times): recorded as 0. */
  beforePublish: number;
  /** Gap notices the server sent (409). */
  gapsAnnounced: number;
  /** Sessions the server closed for being slow (4008). */
  slowCloses: number;
  /** Connections the server closed for any other reason (its code and reason are on the client's record). */
  serverCloses: number;
  /** Subscriptions the server refused with an error status (4xx/5xx). */
  subscribeRefusals: number;
  /** Stall: the age of the oldest event a client was owed and did not have yet, at its worst in this phase (0 when nothing was owed). */
  maxStallUs: number;
  /** At the phase's end, the age of the newest event a client had (phase end − its publish time); the worst client. */
  maxStalenessUs: number;
  /** Subscribe requests not acknowledged before the client left. */
  ackTimeouts: number;
  /** Connections that could not be opened (refused upgrade, reset, handshake timeout). */
  connectErrors: number;
  /**
   * Server-emitted streams: ids in this phase's clients' gaps that no client received, summed over
   * clients like `missing`. Not known to be this stream's (a sequence shared with other topics steps by
   * 2 or more), so not missing: unknown, not zero. Absent in records from before it was counted.
   */
  unseenIds?: number;
}

/** One client's own totals over the run, as written to disk (measurement/accounting.ts keeps them). */
export interface ClientTotals {
  delivered: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  lateArrivals: number;
  maxStallUs: number;
  /** Server-emitted streams: ids in this client's gaps that no client received (not this stream's: its ids are not consecutive). */
  unseenIds?: number;
}

/**
 * Did a slow client's backlog reach the server? Bytes it was owed (what a fast reader of the same
 * stream received since it joined) that neither its receive queue nor the server's send queue held
 * were held by the server process: from then on the run tested the server.
 */
/** Owed bytes beyond the kernels' that count as held by the server (a frame or two in flight is not). */
export const PUSHBACK_HELD_SLACK_BYTES = 256 * 1024;
/** What a server's kernel is taken to hold for one socket when its end cannot be seen (tcp_wmem's usual maximum). */
export const ASSUMED_SERVER_QUEUE_BYTES = 4 << 20;

/**
 * Seconds between two live snapshots (and provisional records): often enough to watch a stall form,
 * rarely enough that a page watching costs the generator little (docs/dashboard.md; k6's dashboard
 * refreshes every 10 s). The page's progress line still moves twice a second.
 */
export const LIVE_PERIOD_S = 2;

export interface PushbackRecord {
  /** When owed bytes were first held by the server, µs since t0; null if they never were. */
  reachedAtUs: number | null;
  /** `server-queue`: the server's socket seen on this host; `estimated`: its kernel assumed to hold tcp_wmem's maximum; `closed`: the server closed the client; `unknown`: not measurable. */
  how: 'server-queue' | 'estimated' | 'closed' | 'unknown';
  /** Bytes owed to the client since it joined, as a fast reader of the same stream received them (at the last sample). */
  owedBytes: number;
  /** The most the client's own receive queue held. */
  rxMaxBytes: number;
  /** The most the server's send queue for this client held, where its socket is visible on this host. */
  serverTxMaxBytes: number | null;
  /** Owed bytes held by neither kernel, at their most: what the server itself held. */
  heldMaxBytes: number;
}

/**
 * A group's tracked fast clients every 10 ms of the run (tick j at t0 + j × tickUs): `together`, the
 * youngest age among them (how long every one of them had been waiting), and `any`, the oldest. Each
 * series is 32-bit values, little-endian, deflated, base64 (util/ticksCodec.ts); 0xffffffff marks a
 * tick no tracked client was owed anything at.
 */
export interface AgeSeries {
  tickUs: number;
  clients: number;
  together: string;
  any: string;
}

/** One catch-up client's replay, as written to disk. */
export interface ReplayTotals {
  /** last_log_id sent, and the head the server acknowledged: the replay covers (from, to]. */
  fromId: number;
  toId: number;
  received: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  /** Subscribe sent → last replayed event, µs; NaN if the replay never finished. */
  timeToLiveUs: number;
  /** Replayed events per second over the replay. */
  ratePerSec: number;
}

export interface PhaseResult extends PhaseCounters {
  /** Clients of the group connected in this phase. */
  clients: number;
  /** Delivery latency from the intended publish time, missing events included at their lower bound. */
  latencyUs: LatencySummary;
  /** Latency from the actual send time (kept apart: it hides generator lateness). */
  uncorrectedUs: LatencySummary;
  connectUs: LatencySummary;
  ackUs: LatencySummary;
  /** Events that arrived during the phase, per second per client (arrival time, not intended time). */
  deliveredPerClientPerSec: number;
  histogram: string;
  uncorrectedHistogram: string;
  connectHistogram: string;
  ackHistogram: string;
}

export interface ClientRecord extends ClientTotals {
  id: number;
  connectUs: number | null;
  ackUs: number | null;
  /**
   * Close code the server sent (or 1006 for a connection lost without one, or the code the runner
   * failed it with when the server broke the protocol: 1002, 1007, 1009); null when the runner closed it.
   */
  closedByServer: number | null;
  /** The close reason the server gave, or why the connection or subscription failed. */
  closeReason?: string;
  /** When the server closed the connection or refused the client, µs since t0. */
  closedAtUs?: number;
  /** What went wrong before the client was subscribed: the connect failed, or the subscription was refused. */
  refused?: 'connect' | 'subscribe';
  /** What the target sent that the runner refused, by kind (message_too_large, invalid_utf8, …, pings_unanswered); absent when none. */
  frameFaults?: Record<string, number>;
  replay?: ReplayTotals;
  /** Slow clients: whether and when their backlog reached the server. */
  pushback?: PushbackRecord;
}

export interface GroupResult {
  name: string;
  kind: GroupKind;
  behaviour?: SlowBehaviour;
  clients: number;
  phases: Record<string, PhaseResult>;
  clientResults: ClientRecord[];
  /** Catch-up groups: the replay, summed over clients (rate is the median client's). */
  replay?: {
    expected: number;
    received: number;
    missing: number;
    duplicates: number;
    outOfOrder: number;
    ratePerSec: number;
    timeToLiveUsMax: number | null;
  };
  /** Fast groups: the tracked clients' ages every tick (what the freeze rule reads). */
  ages?: AgeSeries;
}

export interface IntervalRecord {
  group: string;
  /** Start of the second, µs since t0 (clock seconds of the run, not flush counts). */
  startUs: number;
  /** Events intended (published) in this second that were delivered, and that were counted missing. */
  delivered: number;
  missing: number;
  /** Events that arrived during this second, whenever they were published (what clients saw per second). */
  arrived: number;
  /** The worst stall of any client of the group during this second: the age of its oldest owed, undelivered event. */
  maxStallUs: number;
  /** Latency percentiles of the events intended in this second, missing ones at their lower bound. */
  p50Us: number;
  p99Us: number;
  maxUs: number;
  histogram: string;
}

/** The stable name of each verdict row: what code reads (the `rule` text is for people and may change). */
export const HOL_RULE_IDS = ['disconnect', 'freeze', 'p99', 'missing', 'delivery', 'stall', 'staleness', 'tested', 'server-view'] as const;
export type HolRuleId = (typeof HOL_RULE_IDS)[number];

export interface HolEvidence {
  /** Absent in records written before rows had one. */
  id?: HolRuleId;
  rule: string;
  measured: string;
  bound: string;
  triggered: boolean;
  /** Evidence beside the rules (e.g. the server's own view): it has no bound and never triggers. */
  informational?: boolean;
  /** false: the rule could not judge this run (too short, too few events); it neither passed nor fired. */
  judged?: boolean;
}

/**
 * none: the run tested the server and fast clients kept their baseline; hol: slow clients delayed or
 * starved the fast ones; disconnect: the server closed or refused fast clients (a failure, but not
 * HOL); invalid: the generator could not keep up or the data is incomplete (never a pass);
 * inconclusive: the run could not have seen blocking (the slow clients never pushed back, nothing was
 * replayed, too short or too few events to judge: never a pass either); unknown: nothing to compare.
 */
export type Verdict = 'none' | 'hol' | 'disconnect' | 'invalid' | 'inconclusive' | 'unknown';

export interface HolResult {
  verdict: Verdict;
  /** fast p99 stress ÷ baseline */
  index: number | null;
  p50Index: number | null;
  stallIndex: number | null;
  deliveryRatio: number | null;
  /**
   * Whether each figure was judged by its rule: false when that rule could not judge this run (too
   * few whole seconds, too few events, a baseline of 0). A threshold on a figure not judged is not
   * judged either. Absent in older records.
   */
  judged?: HolFiguresJudged;
  /** The run's own noise floor for the p99 rule (absent when there was nothing to compare). */
  noise?: {
    floorUs: number;
    floorFrom: string;
    baselineMedianP99Us: number;
    baselineMaxP99Us: number;
    loopDelayP99Us: number;
    elevatedSeconds: number;
    stressSeconds: number;
    neededSeconds: number;
  };
  /** The fast clients' shared freezes, stress against baseline (absent when the record has no age series). */
  freezes?: {
    floorUs: number;
    countFromUs: number;
    clients: number;
    baseline: FreezeSummary;
    stress: FreezeSummary;
    sustained: boolean;
  };
  /** Whether the run tested the server (its slow clients pushed back, a backlog was replayed), and how it knows. */
  tested?: { tested: boolean | null; detail: string };
  /** The smallest rise this run could see (the freeze rule's counting bound, or the p99 floor). */
  resolutionUs?: number;
  evidence: HolEvidence[];
  /** One sentence a person reads first. */
  summary: string;
}

/**
 * A verdict without figures or evidence: a record's before it is judged, or one that could not be
 * judged. A new object each call (evidence is appended to).
 */
export function noVerdict(verdict: Verdict = 'unknown', summary = '', evidence: HolEvidence[] = []): HolResult {
  return { verdict, index: null, p50Index: null, stallIndex: null, deliveryRatio: null, evidence, summary };
}

export interface HolFiguresJudged {
  index: boolean;
  p50Index: boolean;
  stallIndex: boolean;
  deliveryRatio: boolean;
}

/** Freezes in one role's phases: each a run of 10 ms ticks at which every tracked fast client's oldest owed event was older than the floor. */
export interface FreezeSummary {
  measuredUs: number;
  aboveFloorUs: number;
  frozenUs: number;
  worstUs: number;
  /** The shared age at the median tick. */
  medianUs?: number;
  /** µs since t0; at most the first 50 are kept. */
  freezes: { startUs: number; durationUs: number; peakUs: number }[];
  count: number;
}

export interface GeneratorHealth {
  /** Runner process CPU over the measured phases, % of one core (can exceed 100 with threads). */
  cpuPercent: number;
  cores: number;
  /** Worst thread's event-loop delay p99 and utilisation during baseline and stress. */
  eventLoopDelayP99Us: number;
  eventLoopUtilization: number;
  publisher: { sent: number; latenessP99Us: number; latenessMaxUs: number; lateEvents: number; prefilled: number };
  bound: boolean;
  reasons: string[];
  /** Set when a thread was delayed or busy but kept up: what the run's resolution suffers from. */
  strained?: string;
  /** The thread running only catch-up clients was saturated: replay rates are the generator's limit. */
  replayBound: boolean;
  /** The worst runner thread's lateness every 10 ms tick (encoded like AgeSeries): what the generator's own delay explains of any age. */
  lagTicks?: string;
}

/**
 * The server's per-send durations: sends that ended (written, failed or abandoned) plus the sends
 * still in flight at their age so far, so a send that never ends is not hidden. p50/p99 are
 * histogram bucket upper bounds; `max` is the longest send, ended or in flight.
 */
export interface SendDurationSummary {
  count: number;
  p50: number;
  p99: number;
  max: number | null;
  /** Of `count`, sends still in flight at the scrape. */
  inFlight?: number;
}

/** What the server's gauges said at one moment: sends in flight and queue ages (µs). */
export interface ServerInFlight {
  /** Event frame sends started but not ended. */
  sendsInFlight?: number;
  /** Age of the oldest send in flight (0 when none). */
  oldestInFlightUs?: number;
  /** Age of the oldest event frame not yet written, max over sessions (the same send seen per session). */
  sessionQueueAgeMaxUs?: number;
  /** Legacy: age of the oldest event the global loop has not finished dispatching (0 in isolated). */
  dispatchQueueAgeUs?: number;
}

/** One /metrics scrape at the end of a phase. */
export interface ServerPhaseScrape extends ServerInFlight {
  phase: string;
  /** When it was scraped, µs since t0. */
  atUs: number;
  /** Sends that ended during the phase, plus those in flight at its end. */
  sendDurationUs?: SendDurationSummary;
  /** Cumulative since the server started. */
  slowClientCloses?: number;
  error?: string;
}

export interface ServerScrape extends ServerInFlight {
  source: string;
  sendDurationUs?: SendDurationSummary;
  slowClientCloses?: number;
  gaps?: number;
  eventsIn?: number;
  eventsOut?: number;
  replayedEvents?: number;
  error?: string;
  /** The server's mode (`evbench_server_info`). */
  mode?: string;
  /** How the ended sends ended. */
  sendOutcomes?: { written: number; failed: number; abandoned: number };
  /** Per-session queue budget in bytes (`evbench_server_limit{limit="queue_bytes"}`). */
  queueBudgetBytes?: number;
  /** One scrape at the end of each phase, in phase order (absent for older records or when unscraped). */
  phases?: ServerPhaseScrape[];
}

export interface ThresholdOutcome {
  threshold: string;
  measured: number | null;
  operator: '<' | '<=' | '>' | '>=' | '==' | '!=';
  bound: number;
  unit: string;
  passed: boolean;
  /**
   * false when the run is not a result (verdict `invalid`), or when the verdict could not judge the
   * figure the threshold reads (hol.judged): measured and shown, but neither passed nor failed.
   */
  judged?: boolean;
  message: string;
}

/** The server under test's process tree (`run --server-cmd`) at one moment. */
export interface ServerProcessSample {
  /** µs since t0 (negative: before the first phase, while the server started and clients connected). */
  tUs: number;
  /** CPU seconds the tree has used since it started (user + system, its reaped children included). */
  cpuSeconds: number;
  /** CPU since the previous sample, in % of one core (above 100 on several cores); null for the first. */
  cpuPct: number | null;
  /** Resident memory of every live process of the tree together. */
  rssBytes: number;
  /** Live processes in the tree. */
  processes: number;
}

/** What the server's process tree cost in one phase (from the samples, CPU interpolated at the phase's bounds). */
export interface ServerProcessPhase {
  phase: string;
  /** CPU seconds used in the phase; null when no sample covers it. */
  cpuSeconds: number | null;
  /** The same in % of one core over the part of the phase the samples cover. */
  cpuPct: number | null;
  /** Resident memory at the phase's start (the last sample before it), at its peak within it, and at its end. */
  rssStartBytes: number | null;
  rssPeakBytes: number | null;
  rssEndBytes: number | null;
}

/** The server evbench started with `run --server-cmd`, sampled from /proc once a second. */
export interface ServerProcessRecord {
  /** The command's program name only (its arguments may hold secrets, and are not kept). */
  command: string;
  /** The shell's pid, also the process group evbench stopped after the run. */
  pid: number;
  samples: ServerProcessSample[];
  peakRssBytes: number | null;
  phases: ServerProcessPhase[];
}

export interface RunRecord {
  schemaVersion: number;
  tool: { name: 'evbench'; version: string };
  scenario: { name: string; source: string; description: string; spec: Scenario };
  /** What was run against: the embedded server's options or the URL. */
  /** `protocol`: the wire protocol's version and options where an adapter has them (e.g. "MQTT 5, QoS 1"). */
  target: { kind: 'embedded' | 'url'; url: string; mode?: string; adapter: string; protocol?: string };
  startedAt: string;
  /**
   * Set when the run was told when to start (`--start-at`): that instant, ISO-8601 UTC. The run's t0
   * is this instant (shard i's plus its schedule offset of i/rate), so shards given one instant share a t0.
   */
  startAt?: string;
  t0Us: number;
  durationUs: number;
  partial: boolean;
  partialReason?: string;
  /** True when a worker failed: numbers may be incomplete. */
  invalid: boolean;
  invalidReason?: string;
  workers: number;
  /** Set when this record is one shard of a distributed run (merge the shards with `evbench merge`). */
  shard?: { index: number; count: number };
  /** Set on a merged record: the shards it was built from. */
  mergedFrom?: { shards: number; sources: string[] };
  phases: { name: string; role: string; startUs: number; durationUs: number }[];
  groups: GroupResult[];
  intervals: IntervalRecord[];
  generator: GeneratorHealth;
  hol: HolResult;
  server?: ServerScrape;
  /** The server's own process tree, when evbench started it (`run --server-cmd`). */
  serverProcess?: ServerProcessRecord;
  thresholds: ThresholdOutcome[];
  /** Warnings that every output repeats (generator bound, partial run, …). */
  warnings: string[];
}
