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
  /** socketio: the event name clients listen to (and evbench emits). */
  topic?: string;
}

export interface UrlTarget {
  kind: 'url';
  url: string;
  adapter: 'evbench' | 'generic' | 'socketio' | 'sse';
  /** The event's JSON fields and how it is published (generic, socketio, sse). */
  generic?: GenericOptions;
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
export type SlowBehaviour = 'stall' | 'rate' | 'delay';

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
}

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
