// How a client speaks to its target: what it sends to subscribe and how it reads a frame.
// `evbench` speaks the v0 protocol and reads raw frames; `generic` reads any JSON by dotted paths;
// `socketio` and `sse` read the same JSON from inside their protocol's messages.
import type { ScannedEvent } from '../../measurement/frameScan.js';
import type { Scenario } from '../../scenario/types.js';
import { EvbenchAdapter } from './evbench.js';
import { GenericAdapter } from './generic.js';
import { SocketIoAdapter } from './socketio.js';
import { SseAdapter } from './sse.js';

/** `keepalive`: a protocol ping the client answers with `keepaliveAnswer` (only while it reads). */
export type FrameKind = 'event' | 'status' | 'keepalive' | 'other';

export interface WireAdapter {
  /** True when the server acknowledges subscriptions with the log head (v0). */
  readonly acks: boolean;
  /** The subscribe message, or undefined for servers that stream without being asked. */
  subscribeMessage(eventTypes: string[], lastId?: number): string | undefined;
  /** Classifies a text frame; for events fills `out` (id, intendedUs, sentUs). */
  read(data: Buffer, out: ScannedEvent): FrameKind;
  /** The answer to a `keepalive` frame. */
  keepaliveAnswer?(data: Buffer): string;
  /** `sse`: messages come over an HTTP response, not a websocket. */
  readonly transport?: 'sse';
}

export function adapterFor(scenario: Scenario): WireAdapter {
  const t = scenario.target;
  if (t.kind === 'url' && t.adapter === 'generic' && t.generic) return new GenericAdapter(t.generic);
  if (t.kind === 'url' && t.adapter === 'socketio' && t.generic) return new SocketIoAdapter(t.url, t.generic);
  if (t.kind === 'url' && t.adapter === 'sse' && t.generic) return new SseAdapter(t.generic);
  return new EvbenchAdapter();
}
