// The registry of target adapters, by name: what each one is, what its flags mean and what it can do.
// The validator, the CLI's target flags and the capability check read it; the implementations (how
// a client connects and reads, how evbench publishes, how a catch-up client comes back) register
// beside it in runner/adapters/registry.ts, which this folder never imports. A new adapter is one
// registerAdapter call here (or in its own module) and one registerWire call in runner/.
import type { GenericOptions, Scenario } from './types.js';

/** A reason a scenario cannot run on an adapter: the path in the scenario and a message. */
export interface Gap {
  path: string;
  message: string;
}

export interface AdapterSpec {
  /** The name in `target.adapter` and `--adapter`. */
  name: string;
  /** What `--adapter`'s help says of it. */
  help: string;
  /** The scheme of `--target` its own clients take: ws:// or http://. */
  url: 'ws' | 'http';
  /** The path a bare `--target ws://host:port` gets (evbench: /websocket). */
  defaultPath?: string;
  /** Needs target.generic (id and time fields, publish); an http adapter without it reads `id` and `ts` (ms) from events the server emits. */
  options: 'none' | 'required' | 'defaulted';
  /** Takes `--subscribe-message` (a message of its own, with `{{lastId}}` for catch-up). */
  subscribeMessage?: boolean;
  /** What `--topic` is for it; `required` names it in the error when it is missing. */
  topic?: { help: string; required?: string; check?(topic: string): string | undefined };
  /** Options only it takes (target.generic keys). */
  ownOptions?: (keyof GenericOptions)[];
  /** How a catch-up client gets what it missed; undefined: the protocol has no way to ask. */
  catchup?: 'lastId' | 'resume';
  /** What it cannot do for this scenario, beyond what every foreign adapter cannot (event-type filters, private events). */
  unsupported?(scenario: Scenario, generic: GenericOptions, catchupGroup: number): Gap | undefined;
}

const registry = new Map<string, AdapterSpec>();

/** Adds an adapter (a name registered twice is a bug). */
export function registerAdapter(spec: AdapterSpec): void {
  if (registry.has(spec.name)) throw new Error(`adapter ${spec.name} registered twice`);
  registry.set(spec.name, spec);
}

/** Every adapter's name, in the order registered (evbench first). */
export function adapterNames(): string[] {
  return [...registry.keys()];
}

export function adapterSpec(name: string): AdapterSpec | undefined {
  return registry.get(name);
}

const isJsonObject = (text: string): boolean => {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
};

const noSpaces = (what: string) => (topic: string) => (/\s/.test(topic) ? `a ${what} has no spaces, got "${topic}"` : undefined);

/** socketio and sse resume from offsets and ids of events evbench published itself. */
function resumesOwnEvents(name: string, publish: string) {
  return (_s: Scenario, g: GenericOptions, i: number): Gap | undefined =>
    i >= 0 && g.publish.kind === 'server'
      ? {
          path: `groups[${i}].kind`,
          message: `catchup over ${name} needs ids evbench published itself (publish ${publish}), not a stream the server emits on its own`,
        }
      : undefined;
}

registerAdapter({ name: 'evbench', help: 'evbench (v0)', url: 'ws', defaultPath: '/websocket', options: 'none', catchup: 'lastId' });
registerAdapter({
  name: 'generic',
  help: 'generic (any JSON server)',
  url: 'ws',
  options: 'required',
  subscribeMessage: true,
  catchup: 'lastId',
  unsupported: (_s, g, i) =>
    i >= 0 && !g.subscribeMessage?.includes('{{lastId}}')
      ? {
          path: `groups[${i}].kind`,
          message:
            'catchup needs a generic subscribe message with {{lastId}} (target.generic.subscribeMessage or --subscribe-message): otherwise the server cannot be asked to replay',
        }
      : undefined,
});
registerAdapter({
  name: 'nats',
  help: 'nats (NATS over websocket)',
  url: 'ws',
  options: 'required',
  topic: { help: 'nats: the subject', required: 'the subject', check: noSpaces('nats subject') },
});
registerAdapter({
  name: 'mqtt',
  help: 'mqtt (MQTT 3.1.1 or 5 over websocket)',
  url: 'ws',
  options: 'required',
  topic: { help: 'mqtt: the topic filter', required: 'the topic filter', check: noSpaces('mqtt topic filter') },
  ownOptions: ['qos', 'mqttVersion'],
  catchup: 'resume',
  // the broker queues, for a session that is away, QoS 1 messages only
  unsupported: (_s, g, i) =>
    i >= 0 && g.publish.kind === 'ws' && g.qos !== 1
      ? {
          path: 'target.generic.qos',
          message:
            'catchup over mqtt needs the events published at QoS 1 (--qos 1): a broker keeps no QoS 0 message for a session that is away',
        }
      : undefined,
});
registerAdapter({
  name: 'graphql-ws',
  help: 'graphql-ws (graphql-transport-ws)',
  url: 'ws',
  options: 'required',
  topic: {
    help: 'graphql-ws: the subscription document (id and time are read from its data)',
    required: 'the subscription document',
  },
  unsupported: (_s, g) =>
    g.publish.kind === 'ws'
      ? {
          path: 'target.generic.publish',
          message:
            'graphql-ws: evbench publishes through a GraphQL mutation over HTTP (--publish http:URL with a --publish-body template), not over the subscription socket',
        }
      : undefined,
});
registerAdapter({
  name: 'actioncable',
  help: 'actioncable (Rails)',
  url: 'ws',
  options: 'required',
  topic: {
    help: 'actioncable: the channel identifier JSON',
    required: 'the channel identifier, e.g. {"channel":"EventsChannel"},',
    check: (topic) =>
      isJsonObject(topic)
        ? undefined
        : `an ActionCable channel identifier is a JSON object such as {"channel":"EventsChannel"}, got ${topic}`,
  },
});
registerAdapter({
  name: 'socketio',
  help: 'socketio (Socket.IO v4)',
  url: 'http',
  options: 'defaulted',
  topic: { help: 'socketio: the event name clients listen to and evbench emits (default: event)' },
  catchup: 'resume',
  unsupported: (s, g, i) =>
    g.publish.kind === 'http'
      ? {
          path: 'target.generic.publish',
          message: 'the socketio adapter publishes by emitting over a socket (publish ws) or not at all (publish server)',
        }
      : resumesOwnEvents('socketio', 'ws')(s, g, i),
});
registerAdapter({
  name: 'sse',
  help: 'sse (Server-Sent Events)',
  url: 'http',
  options: 'defaulted',
  catchup: 'resume',
  unsupported: (s, g, i) =>
    g.publish.kind === 'ws'
      ? { path: 'target.generic.publish', message: 'an SSE stream has no way back to the server: publish server or http:URL' }
      : resumesOwnEvents('sse', 'http:URL')(s, g, i),
});
