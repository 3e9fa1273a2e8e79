// ActionCable (Rails) over its JSON protocol (subprotocol actioncable-v1-json): the server says
// `welcome`, the client subscribes with the --topic channel identifier (a JSON object, sent as a
// string), the server confirms or rejects, then broadcasts arrive as {identifier, message}; the
// event is `message` (id and time paths are read from it). Server pings need no answer. evbench
// publishes by performing the channel's `publish` action with the event as its data.
import { newScannedEvent, type ScannedEvent } from '../../measurement/frameScan.js';
import type { GenericOptions } from '../../scenario/types.js';
import type { FrameKind, WireAdapter, WireOutput, WireSession } from './adapter.js';
import { GenericAdapter } from './generic.js';

export class ActionCableAdapter implements WireAdapter {
  readonly acks = false;
  readonly protocols = ['actioncable-v1-json', 'actioncable-unsupported'];
  private readonly json: GenericAdapter;

  constructor(private readonly options: GenericOptions) {
    this.json = new GenericAdapter(options);
  }

  subscribeMessage(): undefined {
    return undefined;
  }

  read(data: Buffer, out: ScannedEvent): FrameKind {
    return this.json.read(data, out);
  }

  session(): WireSession {
    return new ActionCableSession(this.json, this.options.topic ?? '{}');
  }
}

interface Message {
  type?: string;
  identifier?: string;
  message?: unknown;
  reason?: string;
}

class ActionCableSession implements WireSession {
  readonly confirms = true;
  private readonly ev = newScannedEvent();

  constructor(
    private readonly json: GenericAdapter,
    private readonly identifier: string,
  ) {}

  opening(): string[] {
    return []; // subscribe once welcomed, as ActionCable's own client does
  }

  publish(body: string): string {
    return JSON.stringify({
      command: 'message',
      identifier: this.identifier,
      data: JSON.stringify({ action: 'publish', ...(JSON.parse(body) as object) }),
    });
  }

  read(data: Buffer, _binary: boolean, out: WireOutput): void {
    let msg: Message;
    try {
      msg = JSON.parse(data.toString()) as Message;
    } catch {
      return out.other(data);
    }
    if (msg.type === undefined && msg.message !== undefined) {
      if (this.json.readParsed(msg.message, this.ev) === 'event') return out.event(this.ev);
      return out.other(data);
    }
    switch (msg.type) {
      case 'ping':
        return; // the server's heartbeat: ActionCable clients only watch it
      case 'welcome':
        return out.send(JSON.stringify({ command: 'subscribe', identifier: this.identifier }));
      case 'confirm_subscription':
        return out.subscribed();
      case 'reject_subscription':
        return out.refused(`ActionCable rejected the subscription to ${this.identifier}`);
      case 'disconnect':
        return out.refused(`ActionCable disconnected the client: ${msg.reason ?? 'no reason given'}`);
      default:
        return out.other(data);
    }
  }
}
