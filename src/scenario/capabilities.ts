// What a target's adapter can do: a scenario that asks for more gets a precise error, not numbers
// that silently mean something else.
// What only one adapter cannot do is in its entry in adapters.ts; what no foreign adapter can is here.
import { adapterNames, adapterSpec, type Gap } from './adapters.js';
import type { Scenario } from './types.js';

/** What the adapter cannot do for this scenario, as a path and a message; undefined when all is supported. */
export function unsupported(scenario: Scenario): Gap | undefined {
  const t = scenario.target;
  if (t.kind !== 'url' || t.adapter === 'evbench' || !t.generic) return undefined;
  const g = t.generic;
  const i = scenario.groups.findIndex((x) => x.kind === 'catchup' && x.count > 0);
  const spec = adapterSpec(t.adapter);
  const own = spec?.unsupported?.(scenario, g, i);
  if (own) return own;
  for (const other of adapterNames().filter((n) => n !== t.adapter))
    for (const key of adapterSpec(other)?.ownOptions ?? [])
      if (g[key] !== undefined) return { path: `target.generic.${key}`, message: `only for the ${other} adapter` };
  if (i >= 0 && !spec?.catchup) {
    return {
      path: `groups[${i}].kind`,
      message: `catchup needs a server that replays from an id; the ${t.adapter} protocol has no such request (use the generic adapter with a subscribe message carrying {{lastId}})`,
    };
  }
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
