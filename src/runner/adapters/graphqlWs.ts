// GraphQL subscriptions over the graphql-transport-ws protocol (the `graphql-ws` library):
// connection_init → connection_ack, then subscribe with the --topic document; each `next` carries
// an ExecutionResult whose `data` holds the event (id and time paths are read from `data`).
// Pings are answered with pongs by clients that read; `error`/`complete` end the subscription aloud.
import { newScannedEvent } from '../../measurement/frameScan.js';
import type { ScannedEvent } from '../../measurement/frameScan.js';
import type { GenericOptions } from '../../scenario/types.js';
import type { FrameKind, WireAdapter, WireOutput, WireSession } from './adapter.js';
import { GenericAdapter } from './generic.js';

export class GraphqlWsAdapter implements WireAdapter {
  readonly acks = false;
  readonly protocols = ['graphql-transport-ws'];
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
    return new GraphqlWsSession(this.json, this.options.topic ?? '');
  }
}

interface Message {
  type?: string;
  id?: string;
  payload?: { data?: unknown; errors?: unknown } | unknown[];
}

const SUBSCRIPTION_ID = '1';

class GraphqlWsSession implements WireSession {
  readonly confirms = true;
  private readonly ev = newScannedEvent();

  constructor(
    private readonly json: GenericAdapter,
    private readonly document: string,
  ) {}

  opening(): string[] {
    return [JSON.stringify({ type: 'connection_init', payload: {} })];
  }

  read(data: Buffer, _binary: boolean, out: WireOutput): void {
    let msg: Message;
    try {
      msg = JSON.parse(data.toString()) as Message;
    } catch {
      return out.other(data);
    }
    switch (msg.type) {
      case 'next': {
        const payload = msg.payload as { data?: unknown } | undefined;
        if (msg.id === SUBSCRIPTION_ID && this.json.readParsed(payload?.data, this.ev) === 'event') return out.event(this.ev);
        return out.other(data);
      }
      case 'connection_ack':
        // subscribe only once acknowledged: graphql-ws closes 4401 a subscribe that comes before
        out.send(JSON.stringify({ id: SUBSCRIPTION_ID, type: 'subscribe', payload: { query: this.document } }));
        return out.subscribed();
      case 'ping':
        return out.send(JSON.stringify({ type: 'pong' }));
      case 'pong':
        return;
      case 'error':
        return out.refused(`the subscription failed: ${JSON.stringify(msg.payload).slice(0, 300)}`);
      case 'complete':
        return out.refused('the server completed the subscription (it will send no more events)');
      default:
        return out.other(data);
    }
  }
}
