// One registry of adapters: a toy adapter registered here (never shipped) is admitted by the
// validator and the CLI's target flags, held to what its entry says it supports, and its
// implementation is what the clients and the publisher get — without touching any other file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyTargetFlags } from '../../../src/cli/targetFlags.js';
import { adapterNames, registerAdapter } from '../../../src/scenario/adapters.js';
import { loadScenario } from '../../../src/scenario/load.js';
import { validateScenario } from '../../../src/scenario/validate.js';
import { scenariosDir } from '../../../src/util/paths.js';
import '../../../src/runner/adapters/builtins.js';
import { GenericAdapter } from '../../../src/runner/adapters/generic.js';
import { adapterFor, adapterImplFor, clientUrlFor, protocolOf, registerWire, sinkFor } from '../../../src/runner/adapters/registry.js';
import type { Sink } from '../../../src/runner/publish/sink.js';

class ToyAdapter extends GenericAdapter {}
const toySink: Sink = { open: async () => {}, send: () => {}, settle: async () => {}, backlogBytes: () => 0, close: () => {} };

// the toy's two registry lines: what it is (scenario/), how it works (runner/)
registerAdapter({
  name: 'toy',
  help: 'toy (a test double)',
  url: 'ws',
  options: 'required',
  topic: { help: 'toy: the room', required: 'the room', check: (t) => (t.includes('#') ? `a toy room has no #, got "${t}"` : undefined) },
  unsupported: (_s, g) =>
    g.publish.kind === 'http' ? { path: 'target.generic.publish', message: 'toy publishes over its socket' } : undefined,
});
registerWire('toy', { wire: (t) => new ToyAdapter(t!.generic), sink: () => toySink });

const base = loadScenario('slow-client');
const flags = { target: 'ws://127.0.0.1:9/', adapter: 'toy', idField: 'id', timeField: 'ts', publish: 'ws' };

describe('a toy adapter, registered in one place', () => {
  it('is an adapter name the validator and --adapter accept, and an unregistered name is not', () => {
    expect(adapterNames()).toContain('toy');
    const s = applyTargetFlags(base, { ...flags, topic: 'lobby' });
    expect(s.target).toMatchObject({ kind: 'url', adapter: 'toy', generic: { topic: 'lobby', publish: { kind: 'ws' } } });
    expect(validateScenario(scenarioFile('toy'), 'toy.json').errors).toEqual([]);
    expect(validateScenario(scenarioFile('toy'), 'toy.json').scenario?.target).toMatchObject({ adapter: 'toy' });
    expect(() => applyTargetFlags(base, { ...flags, adapter: 'toy2', topic: 'lobby' })).toThrow(
      /--adapter: expected evbench, .*toy, got "toy2"/,
    );
    expect(validateScenario(scenarioFile('toy2'), 'toy.json').errors.map((e) => e.path)).toContain('target.adapter');
  });

  it('its entry says what its flags need and what it cannot do, and the CLI holds a scenario to it', () => {
    expect(() => applyTargetFlags(base, flags)).toThrow('--adapter toy: needs --topic (the room to subscribe to)');
    expect(() => applyTargetFlags(base, { ...flags, topic: 'a#b' })).toThrow('--topic: a toy room has no #, got "a#b"');
    expect(() => applyTargetFlags(base, { ...flags, topic: 'lobby', publish: 'http:http://127.0.0.1:9/p' })).toThrow(
      /target\.generic\.publish: toy publishes over its socket/,
    );
    expect(() => applyTargetFlags(base, { ...flags, topic: 'lobby', subscribeMessage: '{}' })).toThrow(
      '--subscribe-message: only with --adapter generic',
    );
    // no catch-up in its entry: a catch-up group is refused, naming the protocol
    const withCatchup = structuredClone(base);
    withCatchup.groups.push({ ...withCatchup.groups[0]!, name: 'late', kind: 'catchup', count: 1 });
    expect(() => applyTargetFlags(withCatchup, { ...flags, topic: 'lobby' })).toThrow(/the toy protocol has no such request/);
  });

  it('its implementation is what the clients and the publisher get; the built-in ones are unchanged', () => {
    const s = applyTargetFlags(base, { ...flags, topic: 'lobby' });
    expect(adapterFor(s)).toBeInstanceOf(ToyAdapter);
    expect(sinkFor({ url: '', scenario: s, users: 0 }, { onIds: () => {}, onFatal: () => {}, onError: () => {} })).toBe(toySink);
    expect(adapterImplFor(s).impl.catchupClient).toBeUndefined(); // CatchupClient, asking from the last id
    const mqtt = applyTargetFlags(base, { ...flags, adapter: 'mqtt', topic: 't' });
    expect(adapterFor(mqtt)).not.toBeInstanceOf(ToyAdapter);
    expect(adapterImplFor(mqtt).impl.catchupClient).toBeDefined(); // a persistent session
    expect(adapterFor(base).constructor.name).toBe('EvbenchAdapter');
    // where the adapter has a say: the URL its clients take, the protocol the record names
    expect(clientUrlFor(s)).toBe('ws://127.0.0.1:9/');
    expect(protocolOf(s)).toBeUndefined();
    const sio = applyTargetFlags(base, { target: 'http://127.0.0.1:9/', adapter: 'socketio' });
    expect(clientUrlFor(sio)).toMatch(/^ws:\/\/127\.0\.0\.1:9\/socket\.io\/\?EIO=4&transport=websocket/);
    expect(protocolOf(applyTargetFlags(base, { ...flags, adapter: 'mqtt', topic: 't', qos: '1' }))).toBe('MQTT 3.1.1, QoS 1');
  });
});

/** The slow-client scenario file, aimed at a URL through `adapter`. */
function scenarioFile(adapter: string): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(join(scenariosDir, 'slow-client.json'), 'utf8')) as Record<string, unknown>;
  const generic = { idField: 'id', timeField: 'ts', publish: 'ws', topic: 'lobby' };
  return { ...raw, target: { url: 'ws://127.0.0.1:9/', adapter, generic } };
}
