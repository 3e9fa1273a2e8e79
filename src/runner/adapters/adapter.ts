// How a client speaks to its target: what it sends to subscribe and how it reads a frame.
// `evbench` speaks the v0 protocol and reads raw frames; `generic` reads any JSON by dotted paths.
import type { ScannedEvent } from '../../measurement/frameScan.js';
import type { Scenario } from '../../scenario/types.js';
import { EvbenchAdapter } from './evbench.js';
import { GenericAdapter } from './generic.js';

export type FrameKind = 'event' | 'status' | 'other';

export interface WireAdapter {
  /** True when the server acknowledges subscriptions with the log head (v0). */
  readonly acks: boolean;
  /** The subscribe message, or undefined for servers that stream without being asked. */
  subscribeMessage(eventTypes: string[], lastId?: number): string | undefined;
  /** Classifies a text frame; for events fills `out` (id, intendedUs, sentUs). */
  read(data: Buffer, out: ScannedEvent): FrameKind;
}

export function adapterFor(scenario: Scenario): WireAdapter {
  const t = scenario.target;
  if (t.kind === 'url' && t.adapter === 'generic' && t.generic) return new GenericAdapter(t.generic);
  return new EvbenchAdapter();
}
