// A scenario, as validated: the timeline of phases, the publisher's schedule, the client groups and
// what the run must satisfy. Durations are normalised to microseconds by the validator.

export type ServerMode = 'isolated' | 'legacy';

export interface EmbeddedTarget {
  kind: 'embedded';
  mode: ServerMode;
  queueBytes: number;
  overflow: 'close' | 'drop';
  logSize: number;
  users: number;
  groupsPerUser: number;
  /** Event store: `memory` or a `postgres://…` URL (`evbench serve --store`). */
  store: string;
  /** Start 2 server processes on the (shared) store and spread clients over them. */
  multi: boolean;
}

/** How the generic adapter reads and feeds a server that speaks its own JSON. */
export interface GenericOptions {
  /** Sent after open; `{{lastId}}` is replaced for catch-up clients. */
  subscribeMessage?: string;
  /** Dotted JSON paths of the event id and its publish time. */
  idField: string;
  timeField: string;
  timeUnit: 'ms' | 'us' | 'ns' | 'iso';
  /** `server`: the server emits on its own schedule; `http:URL`: POST each event; `ws`: send each event as a frame. */
  publish: { kind: 'server' } | { kind: 'http'; url: string } | { kind: 'ws' };
  /** What a protocol adapter subscribes to: NATS subject, MQTT topic filter, ActionCable channel identifier, GraphQL document, Socket.IO event name (default: event). */
  topic?: string;
  /** Body of each published event (HTTP POST, or ws frame): {{id}}, {{ts}} (in timeUnit), {{payload}} are replaced. */
  publishBody?: string;
  /** Extra headers on each HTTP publish, as [name, value]. */
  publishHeaders?: [string, string][];
  /** MQTT: QoS of the subscription and of what evbench publishes (0 or 1). */
  qos?: 0 | 1;
  /** MQTT: the protocol version clients speak (default 3.1.1, which every broker speaks). */
  mqttVersion?: '3.1.1' | '5';
}

/**
 * A name registered in adapters.ts: `evbench` (v0), `generic` JSON, or a real server's own protocol
 * (nats, mqtt, graphql-ws, actioncable; socketio and sse over http:// URLs); all but evbench read id
 * and time from the event's JSON. The validator admits registered names only.
 */
export type AdapterName = string;

export interface UrlTarget {
  kind: 'url';
  url: string;
  adapter: AdapterName;
  /** Options of every adapter but evbench (id and time fields, publishing, topic). */
  generic?: GenericOptions;
  /** Headers on the websocket upgrade and on HTTP publishing; `{{token}}` is the client's token. */
  headers?: [string, string][];
  /** Accept a wss:// target's certificate without verifying it (self-signed). */
  insecure?: boolean;
  /** Subscriber tokens, one per client in turn (from --tokens-file). */
  tokens?: string[];
  /** Token subscribers connect with (ignored when the scenario assigns user tokens). */
  token?: string;
  publisherToken?: string;
  /** Where to scrape evbench's /metrics, when the target exposes it. */
  metricsUrl?: string;
  /** Bearer token for metricsUrl (a server started with --metrics-token). */
  metricsToken?: string;
  /** Users in the target's permission directory, for groups that spread clients over user tokens. */
  users: number;
}

export type Target = EmbeddedTarget | UrlTarget;

export interface MixEntry {
  eventType: string;
  weight: number;
  /** `public`: owned by the group every user reads; `private`: owned by one user's own group. */
  owner: 'public' | 'private';
}

export interface PublisherSpec {
  /** Events per second, on a fixed open-model schedule. */
  rate: number;
  payloadBytes: number;
  mix: MixEntry[];
  /** Events written before the run starts, so catch-up clients have a backlog. */
  prefill: number;
}

export type GroupKind = 'fast' | 'slow' | 'catchup' | 'churn';
/** The slow-client behaviours (each one a file in runner/clients/, made by runner/clients/behaviours.ts). */
export const SLOW_BEHAVIOURS = ['stall', 'rate', 'delay'] as const;
export type SlowBehaviour = (typeof SLOW_BEHAVIOURS)[number];

export interface GroupSpec {
  name: string;
  kind: GroupKind;
  count: number;
  /** Names of the phases this group is connected in (contiguous). */
  phases: string[];
  /** Event types to subscribe to; empty = all. */
  eventTypes: string[];
  behaviour?: SlowBehaviour;
  /** rate: bytes per second read. */
  bytesPerSecond?: number;
  /** delay: milliseconds each message is held. */
  delayMs?: number;
  /** catchup: how many events back from the head to replay. */
  backlog?: number;
  /** churn: connect→subscribe→disconnect cycles per second, per client. */
  connectsPerSecond?: number;
}

export interface PhaseSpec {
  name: string;
  durationUs: number;
  /** What the HOL analysis reads this phase as. */
  role: 'warmup' | 'baseline' | 'stress' | 'recovery' | 'other';
}

export interface HolRules {
  /** HOL when fast p99 (stress ÷ baseline) reaches this … */
  indexLimit: number;
  /** … and stress p99 exceeds baseline p99 by at least this much (µs): noise floor on a shared machine. */
  minDeltaUs: number;
  /** HOL when fast clients' delivery rate (stress ÷ baseline) drops below this. */
  minDeliveryRatio: number;
  /** HOL when the fast group's longest stall in stress reaches this (µs) and twice its baseline's. */
  maxStallUs: number;
  /** A p99 rise counts only when this many seconds of stress (µs) are above the run's noise floor. */
  sustainUs: number;
  /** A freeze of every fast client together counts once its peak reaches this (µs) — and twice the run's floor. */
  minFreezeUs?: number;
}

/** The rules a scenario gets where its `hol` leaves one out: validation fills them in, the verdict reads them. */
export const DEFAULT_HOL_RULES: Required<HolRules> = {
  indexLimit: 3,
  minDeltaUs: 5_000,
  minDeliveryRatio: 0.9,
  maxStallUs: 1_000_000,
  sustainUs: 3_000_000,
  // a shared freeze shorter than this is not called blocking on its own
  minFreezeUs: 100_000,
};

/** A named change to the embedded server: `run` runs each variant in turn and sets them side by side. */
export interface Variant {
  name: string;
  overrides: Partial<Pick<EmbeddedTarget, 'mode' | 'queueBytes' | 'overflow' | 'users' | 'groupsPerUser'>>;
}

export interface Scenario {
  name: string;
  description: string;
  /** The file it came from (or `built-in NAME`), for messages. */
  source: string;
  target: Target;
  publisher: PublisherSpec;
  groups: GroupSpec[];
  phases: PhaseSpec[];
  hol: HolRules;
  thresholds: Record<string, string[]>;
  outputs: { dir: string };
  /** Time after a phase ends that its events may still arrive before they count as missing (µs). */
  graceUs: number;
  variants: Variant[];
}
