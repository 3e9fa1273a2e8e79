// The implementations behind scenario/adapters.ts, by the same names: how a client of each adapter
// connects and reads (a WireAdapter), how evbench publishes to it (a Sink) and how its catch-up
// client comes back. The built-in ones register in builtins.ts, one line each; this module imports
// none of them, so an adapter's own file may use adapterFor without an import cycle.
import type { Account } from '../../measurement/accounting.js';
import type { GenericOptions, Scenario } from '../../scenario/types.js';
import type { ClientConnection, ConnectionContext } from '../clients/connection.js';
import type { Sink, SinkCallbacks } from '../publish/sink.js';
import type { PublisherInit } from '../threadMessages.js';
import type { WireAdapter } from './adapter.js';

/** A URL target's address and adapter options, as a foreign adapter is built from them. */
export interface ForeignTarget {
  url: string;
  generic: GenericOptions;
}

export interface AdapterImpl {
  /** How a client connects, subscribes and reads; `target` is undefined for evbench's own protocol. */
  wire(target: ForeignTarget | undefined): WireAdapter;
  /** How evbench publishes to it; `generic` is undefined for evbench's own protocol. */
  sink(init: PublisherInit, generic: GenericOptions | undefined, cb: SinkCallbacks): Sink;
  /** The URL its clients connect to, from the one the user gave (Socket.IO: Engine.IO's websocket endpoint); default: that one. */
  clientUrl?(url: string): string;
  /** The protocol version and options it spoke, where it has a choice (the run record's `target.protocol`). */
  protocolOf?(generic: GenericOptions): string;
  /** A catch-up client that comes back its own way (a resumed session); without it, CatchupClient reconnects asking from the last id. */
  catchupClient?(clientId: number, ctx: ConnectionContext, account: Account, wire: WireAdapter): ClientConnection;
}

const impls = new Map<string, AdapterImpl>();

/** Registers the implementation of an adapter named in scenario/adapters.ts (twice is a bug). */
export function registerWire(name: string, impl: AdapterImpl): void {
  if (impls.has(name)) throw new Error(`adapter ${name} implemented twice`);
  impls.set(name, impl);
}

/** The adapter a scenario's clients and publisher use, with the target it is built from. */
export function adapterImplFor(scenario: Scenario): { impl: AdapterImpl; target: ForeignTarget | undefined } {
  const t = scenario.target;
  // a URL target without adapter options speaks evbench's protocol (the validator admits no other)
  const target = t.kind === 'url' && t.generic ? { url: t.url, generic: t.generic } : undefined;
  const name = target && t.kind === 'url' ? t.adapter : 'evbench';
  const impl = impls.get(name);
  if (!impl) throw new Error(`adapter ${name} has no implementation registered (runner/adapters/builtins.ts)`);
  return { impl, target };
}

/** The URL a URL target's clients connect to. */
export function clientUrlFor(scenario: Scenario): string | undefined {
  const t = scenario.target;
  if (t.kind !== 'url') return undefined;
  return adapterImplFor(scenario).impl.clientUrl?.(t.url) ?? t.url;
}

/** What the run record says of the protocol spoken, where the adapter had a choice. */
export function protocolOf(scenario: Scenario): string | undefined {
  const { impl, target } = adapterImplFor(scenario);
  return target ? impl.protocolOf?.(target.generic) : undefined;
}

export function adapterFor(scenario: Scenario): WireAdapter {
  const { impl, target } = adapterImplFor(scenario);
  return impl.wire(target);
}

export function sinkFor(init: PublisherInit, cb: SinkCallbacks): Sink {
  const { impl, target } = adapterImplFor(init.scenario);
  return impl.sink(init, target?.generic, cb);
}
