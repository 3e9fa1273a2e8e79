// The scenario file's shape as a JSON Schema: its fields, enums and numeric bounds. The validator
// (validate.ts) reads its field lists, enums and bounds from here, and `evbench schema` prints it, so
// an editor's completion and evbench's own checks cannot drift apart. What a schema cannot say
// (contiguous phases, a duration's range, one fast group) only the validator checks.
import { SERVER_SETTINGS } from '../protocol/serverSettings.js';
import { adapterNames } from './adapters.js';
import { SLOW_BEHAVIOURS } from './types.js';

export interface JsonSchema {
  $schema?: string;
  title?: string;
  description?: string;
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  enum?: readonly (string | number)[];
  oneOf?: JsonSchema[];
}

/** Where the schema is published in the package (the built-in scenarios' `$schema` points here). */
export const SCHEMA_FILE = 'scenario.schema.json';

/** The registered adapters (scenario/adapters.ts), in registry order. */
export const ADAPTERS: readonly string[] = adapterNames();
export const MODES = ['isolated', 'legacy'] as const;
export const OVERFLOWS = ['close', 'drop'] as const;
export const TIME_UNITS = ['ms', 'us', 'ns', 'iso'] as const;
export const OWNERS = ['public', 'private'] as const;
export const ROLES = ['warmup', 'baseline', 'stress', 'recovery', 'other'] as const;
export const KINDS = ['fast', 'slow', 'catchup', 'churn'] as const;
export const BEHAVIOURS = SLOW_BEHAVIOURS;

const PLAIN_NAME = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';
const text = (description: string): JsonSchema => ({ type: 'string', minLength: 1, description });
const name = (description: string): JsonSchema => ({ type: 'string', pattern: PLAIN_NAME, description });
const integer = (minimum: number, maximum: number, description: string): JsonSchema => ({ type: 'integer', minimum, maximum, description });
const number = (minimum: number, maximum: number, description: string): JsonSchema => ({ type: 'number', minimum, maximum, description });
const oneOf = (values: readonly string[], description: string): JsonSchema => ({ type: 'string', enum: values, description });
const duration = (description: string): JsonSchema => ({
  description: `${description} (250ms, 10s, 1.5m, 40us, or a number of seconds)`,
  oneOf: [
    { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*([uU][sS]|µ[sS]|[mM][sS]|[sS]|[mM]|[hH])?\\s*$' },
    { type: 'number', minimum: 0 },
  ],
});
const bytes = (description: string): JsonSchema => ({
  description: `${description} (4096, 64k, 64KiB, 1MiB)`,
  oneOf: [
    { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*[A-Za-z]*\\s*$' },
    { type: 'integer', minimum: 0 },
  ],
});
const object = (properties: Record<string, JsonSchema>, required: string[] = [], description?: string): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
});
const list = (items: JsonSchema, minItems: number, maxItems?: number): JsonSchema => ({
  type: 'array',
  items,
  minItems,
  ...(maxItems !== undefined ? { maxItems } : {}),
});
const setting = (key: keyof typeof SERVER_SETTINGS, description: string): JsonSchema =>
  integer(SERVER_SETTINGS[key].min, SERVER_SETTINGS[key].max, description);

export const EMBEDDED = object(
  {
    mode: oneOf(MODES, 'isolated (the fix) or legacy (the head-of-line bug)'),
    queueBytes: bytes('byte budget of each session queue'),
    overflow: oneOf(OVERFLOWS, 'when a session is over budget: close (4008) or drop (gap notice)'),
    logSize: setting('logSize', 'capacity of the memory event log'),
    users: setting('users', 'synthetic permission directory: tokens user-0 … user-(n-1)'),
    groupsPerUser: setting('groupsPerUser', 'groups each synthetic user may read'),
    store: text('memory, or a postgres://user@host/db URL'),
    multi: { type: 'boolean', description: 'two server processes on a shared (postgres) store' },
  },
  [],
  'the reference server, started by evbench',
);

export const GENERIC = object(
  {
    subscribeMessage: {
      description: 'sent after connecting ({{lastId}} is replaced for catch-up): a JSON string or object',
      oneOf: [{ type: 'string' }, { type: 'object' }],
    },
    idField: text('dotted JSON path of the event id'),
    timeField: text('dotted JSON path of the event publish time'),
    timeUnit: oneOf(TIME_UNITS, 'unit of the time field'),
    publish: text('server, ws, or http:URL'),
    topic: text('nats subject, mqtt topic filter, graphql-ws document, actioncable channel JSON, socketio event'),
    qos: { enum: [0, 1], description: 'mqtt: QoS of the subscription and of publishing' },
    mqttVersion: { enum: ['3.1.1', '5', 5], description: 'mqtt: the protocol version clients speak' },
    publishBody: text('body of each published event: {{id}}, {{ts}}, {{payload}} are replaced'),
  },
  ['idField', 'timeField'],
  "options of every adapter but evbench's own",
);

export const TARGET = object(
  {
    embedded: EMBEDDED,
    url: text('ws:// URL of another server (http:// for socketio and sse)'),
    adapter: oneOf(ADAPTERS, 'protocol of the url'),
    token: text('subscriber token'),
    publisherToken: text('publisher token'),
    metricsUrl: text("the target's evbench /metrics URL"),
    metricsToken: text('Bearer token for metricsUrl'),
    users: setting('users', "users in the target's permission directory"),
    generic: GENERIC,
  },
  [],
  'the server under test: embedded (default) or url',
);

export const MIX_ENTRY = object(
  {
    eventType: text('event type'),
    weight: integer(1, 1000, 'relative weight'),
    owner: oneOf(OWNERS, "public: read by every user; private: one user's own group"),
  },
  ['eventType'],
);

export const PUBLISHER = object(
  {
    rate: number(0.1, 10_000_000, 'events per second, on a fixed open-model schedule'),
    payloadBytes: bytes('event payload size'),
    mix: list(MIX_ENTRY, 1, 64),
    prefill: integer(0, 100_000_000, 'events written before the run, a backlog for catch-up clients'),
  },
  ['rate'],
);

export const PHASE = object(
  {
    name: name('phase name'),
    duration: duration('phase length'),
    role: oneOf(ROLES, 'what the verdict reads this phase as (default: its name, else other)'),
  },
  ['name', 'duration'],
);

export const GROUP = object(
  {
    name: name('group name'),
    kind: oneOf(KINDS, 'what the clients do'),
    count: integer(0, 100_000, 'clients in the group'),
    phases: {
      description: 'phases the group is connected in (contiguous), or "all"',
      oneOf: [{ type: 'string', enum: ['all'] }, list({ type: 'string' }, 1)],
    },
    eventTypes: list(text('event type'), 1, 64),
    behaviour: oneOf(BEHAVIOURS, 'slow: stop reading, read at a byte rate, or hold each message'),
    bytesPerSecond: bytes('slow rate: bytes read per second'),
    delayMs: number(0, 600_000, 'slow delay: milliseconds each message is held'),
    backlog: integer(1, 100_000_000, 'catchup: events back from the head to replay'),
    connectsPerSecond: number(0.01, 10_000, 'churn: connect-subscribe-disconnect cycles per second per client'),
  },
  ['name', 'kind', 'count'],
);

export const HOL = object(
  {
    indexLimit: number(1, 1e6, 'HOL when fast p99 (stress ÷ baseline) reaches this'),
    minDelta: duration('… and stress p99 exceeds baseline p99 by at least this'),
    minDeliveryRatio: number(0, 1, "HOL when fast clients' delivery rate (stress ÷ baseline) drops below this"),
    maxStall: duration("HOL when the fast group's longest stall in stress reaches this"),
    sustain: duration('a p99 rise counts only when this much of stress is above the noise floor'),
    minFreeze: duration('a freeze of every fast client together counts once its peak reaches this (and twice the floor)'),
  },
  [],
  'the head-of-line verdict rules',
);

export const VARIANT = object(
  {
    name: name('variant name'),
    mode: EMBEDDED.properties!.mode!,
    queueBytes: EMBEDDED.properties!.queueBytes!,
    overflow: EMBEDDED.properties!.overflow!,
    users: EMBEDDED.properties!.users!,
    groupsPerUser: EMBEDDED.properties!.groupsPerUser!,
  },
  ['name'],
);

export const SCENARIO = object(
  {
    $schema: { type: 'string', description: 'this schema, for editors' },
    name: text('scenario name'),
    description: { type: 'string' },
    target: TARGET,
    publisher: PUBLISHER,
    groups: list(GROUP, 1, 64),
    phases: list(PHASE, 1, 32),
    hol: HOL,
    thresholds: {
      type: 'object',
      description: "k6-like thresholds: 'metric{group:NAME,phase:NAME}': ['p(99)<50ms', …]",
      additionalProperties: list({ type: 'string' }, 1),
    },
    outputs: object({ dir: text('folder for the run records') }),
    grace: duration('time after a phase ends that its events may still arrive'),
    variants: list(VARIANT, 1, 16),
  },
  ['name', 'publisher', 'groups', 'phases'],
);

/** The fields an object schema allows, in order. */
export const fieldsOf = (s: JsonSchema): string[] => Object.keys(s.properties ?? {});
/** Its required fields. */
export const requiredOf = (s: JsonSchema): string[] => s.required ?? [];
/** A numeric field's bounds, and whether it must be whole. */
export function boundsOf(s: JsonSchema, field: string): { min: number; max: number; integer: boolean } {
  const p = s.properties?.[field];
  if (p?.minimum === undefined || p.maximum === undefined) throw new Error(`schema: ${field} has no bounds`);
  return { min: p.minimum, max: p.maximum, integer: p.type === 'integer' };
}

/** The whole document `evbench schema` prints and `scenarios/scenario.schema.json` holds. */
export function scenarioSchema(): JsonSchema {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'evbench scenario', ...SCENARIO };
}

/** The schema as the file in the package holds it (`npm run schema` writes it; a test keeps it current). */
export const scenarioSchemaText = (): string => `${JSON.stringify(scenarioSchema(), null, 2)}\n`;
