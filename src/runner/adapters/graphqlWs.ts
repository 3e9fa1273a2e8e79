// GraphQL subscriptions over the graphql-transport-ws protocol (the `graphql-ws` library):
// connection_init → connection_ack, then subscribe with the --topic document; each `next` carries
// an ExecutionResult whose `data` holds the event (id and time paths are read from `data`).
// Pings are answered with pongs by clients that read; `error`/`complete` end the subscription aloud.
import type { WireSession } from './adapter.js';
import { JsonSubscriptionSession, SessionAdapter, type JsonMeaning } from './session.js';
import type { GenericAdapter } from './generic.js';

export class GraphqlWsAdapter extends SessionAdapter {
  readonly protocols = ['graphql-transport-ws'];

  session(): WireSession {
    return new GraphqlWsSession(this.json, this.options.topic ?? '');
  }
}

const SUBSCRIPTION_ID = '1';

class GraphqlWsSession extends JsonSubscriptionSession {
  constructor(
    json: GenericAdapter,
    private readonly document: string,
  ) {
    super(json);
  }

  opening(): string[] {
    return [JSON.stringify({ type: 'connection_init', payload: {} })];
  }

  protected meaning(msg: { type?: unknown; id?: unknown; payload?: unknown }): JsonMeaning {
    switch (msg.type) {
      case 'next':
        return msg.id === SUBSCRIPTION_ID ? { event: (msg.payload as { data?: unknown } | undefined)?.data } : { other: true };
      case 'connection_ack':
        // subscribe only once acknowledged: graphql-ws closes 4401 a subscribe that comes before
        return { reply: JSON.stringify({ id: SUBSCRIPTION_ID, type: 'subscribe', payload: { query: this.document } }), subscribed: true };
      case 'ping':
        return { reply: JSON.stringify({ type: 'pong' }) };
      case 'pong':
        return {};
      case 'error':
        return { refused: `the subscription failed: ${JSON.stringify(msg.payload).slice(0, 300)}` };
      case 'complete':
        return { refused: 'the server completed the subscription (it will send no more events)' };
      default:
        return { other: true };
    }
  }
}
