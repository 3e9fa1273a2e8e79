// What a target's adapter can do: a scenario that asks for more gets a precise error, not numbers
// that silently mean something else.
import type { Scenario } from './types.js';

/** What the adapter cannot do for this scenario, as a path and a message; undefined when all is supported. */
export function unsupported(scenario: Scenario): { path: string; message: string } | undefined {
  const t = scenario.target;
  if (t.kind !== 'url' || t.adapter === 'evbench' || !t.generic) return undefined;
  const g = t.generic;
  const i = scenario.groups.findIndex((x) => x.kind === 'catchup' && x.count > 0);
  if (t.adapter === 'sse' && g.publish.kind === 'ws')
    return { path: 'target.generic.publish', message: 'an SSE stream has no way back to the server: publish server or http:URL' };
  if (t.adapter === 'socketio' && g.publish.kind === 'http')
    return {
      path: 'target.generic.publish',
      message: 'the socketio adapter publishes by emitting over a socket (publish ws) or not at all (publish server)',
    };
  for (const key of ['qos', 'mqttVersion'] as const)
    if (g[key] !== undefined && t.adapter !== 'mqtt') return { path: `target.generic.${key}`, message: `only for the mqtt adapter` };
  // mqtt catches up by persistent session: the broker queues, for a session that is away, QoS 1 messages only
  if (i >= 0 && t.adapter === 'mqtt' && g.publish.kind === 'ws' && g.qos !== 1)
    return {
      path: 'target.generic.qos',
      message:
        'catchup over mqtt needs the events published at QoS 1 (--qos 1): a broker keeps no QoS 0 message for a session that is away',
    };
  if (i >= 0 && t.adapter !== 'generic' && t.adapter !== 'socketio' && t.adapter !== 'sse' && t.adapter !== 'mqtt') {
    return {
      path: `groups[${i}].kind`,
      message: `catchup needs a server that replays from an id; the ${t.adapter} protocol has no such request (use the generic adapter with a subscribe message carrying {{lastId}})`,
    };
  }
  if (i >= 0 && t.adapter === 'generic' && !g.subscribeMessage?.includes('{{lastId}}')) {
    return {
      path: `groups[${i}].kind`,
      message:
        'catchup needs a generic subscribe message with {{lastId}} (target.generic.subscribeMessage or --subscribe-message): otherwise the server cannot be asked to replay',
    };
  }
  // socketio and sse resume from offsets and ids of events evbench published itself
  if (i >= 0 && (t.adapter === 'socketio' || t.adapter === 'sse') && g.publish.kind === 'server') {
    return {
      path: `groups[${i}].kind`,
      message: `catchup over ${t.adapter} needs ids evbench published itself (publish ${t.adapter === 'sse' ? 'http:URL' : 'ws'}), not a stream the server emits on its own`,
    };
  }
  if (t.adapter === 'graphql-ws' && g.publish.kind === 'ws')
    return {
      path: 'target.generic.publish',
      message:
        'graphql-ws: evbench publishes through a GraphQL mutation over HTTP (--publish http:URL with a --publish-body template), not over the subscription socket',
    };
  const f = scenario.groups.findIndex((x) => x.eventTypes.length > 0);
  if (f >= 0)
    return {
      path: `groups[${f}].eventTypes`,
      message: `the ${t.adapter} adapter cannot filter by event type (put the filter in the subscribe message, topic or path instead)`,
    };
  // a server that emits its own events has its own history: a catch-up replays what it kept, whatever prefill says
  if (scenario.publisher.prefill > 0 && g.publish.kind === 'server' && i < 0)
    return { path: 'publisher.prefill', message: 'cannot prefill a server that emits its own events (publish server)' };
  if (scenario.publisher.mix.some((m) => m.owner === 'private'))
    return { path: 'publisher.mix', message: `private events need evbench's permission directory; the ${t.adapter} adapter has none` };
  if (scenario.variants.length > 0) return { path: 'variants', message: 'variants change the embedded server; a URL target has none' };
  return undefined;
}
