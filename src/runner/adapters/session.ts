// What the adapters whose protocol is a conversation share: the adapter around one session per
// connection (nats, mqtt, graphql-ws, actioncable), and the JSON conversation that graphql-ws and
// ActionCable both hold — a handshake, the subscribe once the server is ready, its confirmation or
// refusal, then events — each protocol saying only what its messages mean.
import { newScannedEvent, type ScannedEvent } from '../../measurement/frameScan.js';
import type { GenericOptions } from '../../scenario/types.js';
import type { FrameKind, PersistentSession, WireAdapter, WireOutput, WireSession } from './adapter.js';
import { GenericAdapter } from './generic.js';

export abstract class SessionAdapter implements WireAdapter {
  readonly acks = false;
  protected readonly json: GenericAdapter;

  constructor(protected readonly options: GenericOptions) {
    this.json = new GenericAdapter(options);
  }

  subscribeMessage(): undefined {
    return undefined; // the session subscribes
  }

  /** A frame read outside a session: the event's own JSON. */
  read(data: Buffer, out: ScannedEvent): FrameKind {
    return this.json.read(data, out);
  }

  abstract session(role: 'subscriber' | 'publisher', persistent?: PersistentSession): WireSession;
}

/** What one message of a JSON protocol means to the subscription. */
export type JsonMeaning =
  | { event: unknown } // the event's JSON, whose id and time paths are read
  | { reply?: string; subscribed?: true; refused?: string; other?: true };

export abstract class JsonSubscriptionSession implements WireSession {
  readonly confirms = true;
  private readonly ev = newScannedEvent();

  constructor(private readonly json: GenericAdapter) {}

  abstract opening(): string[];

  /** What `msg` means: an event, a reply to send, the subscription taken or refused, or nothing evbench knows. */
  protected abstract meaning(msg: Record<string, unknown>): JsonMeaning;

  read(data: Buffer, _binary: boolean, out: WireOutput): void {
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return out.other(data);
    }
    if (typeof msg !== 'object' || msg === null) return out.other(data);
    const m = this.meaning(msg as Record<string, unknown>);
    if ('event' in m) {
      if (this.json.readParsed(m.event, this.ev) === 'event') return out.event(this.ev);
      return out.other(data);
    }
    if (m.reply !== undefined) out.send(m.reply);
    if (m.subscribed) out.subscribed();
    if (m.refused !== undefined) out.refused(m.refused);
    if (m.other) out.other(data);
  }
}
