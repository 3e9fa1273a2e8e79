// ActionCable (Rails) over its JSON protocol (subprotocol actioncable-v1-json): the server says
// `welcome`, the client subscribes with the --topic channel identifier (a JSON object, sent as a
// string), the server confirms or rejects, then broadcasts arrive as {identifier, message}; the
// event is `message` (id and time paths are read from it). Server pings need no answer. evbench
// publishes by performing the channel's `publish` action with the event as its data.
import type { WireSession } from './adapter.js';
import { JsonSubscriptionSession, SessionAdapter, type JsonMeaning } from './session.js';
import type { GenericAdapter } from './generic.js';

export class ActionCableAdapter extends SessionAdapter {
  readonly protocols = ['actioncable-v1-json', 'actioncable-unsupported'];

  session(): WireSession {
    return new ActionCableSession(this.json, this.options.topic ?? '{}');
  }
}

class ActionCableSession extends JsonSubscriptionSession {
  constructor(
    json: GenericAdapter,
    private readonly identifier: string,
  ) {
    super(json);
  }

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

  protected meaning(msg: { type?: unknown; message?: unknown; reason?: unknown }): JsonMeaning {
    if (msg.type === undefined && msg.message !== undefined) return { event: msg.message };
    switch (msg.type) {
      case 'ping':
        return {}; // the server's heartbeat: ActionCable clients only watch it
      case 'welcome':
        return { reply: JSON.stringify({ command: 'subscribe', identifier: this.identifier }) };
      case 'confirm_subscription':
        return { subscribed: true };
      case 'reject_subscription':
        return { refused: `ActionCable rejected the subscription to ${this.identifier}` };
      case 'disconnect':
        return { refused: `ActionCable disconnected the client: ${typeof msg.reason === 'string' ? msg.reason : 'no reason given'}` };
      default:
        return { other: true };
    }
  }
}
