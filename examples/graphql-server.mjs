#!/usr/bin/env node
// A GraphQL server the way people write one with `graphql` and `graphql-ws` (graphql-transport-ws
// over `ws`): `subscription { events { id ts pad } }` streams {id, ts, pad}; `mutation { publish(…) }`
// over HTTP POST /graphql feeds the same stream. Each subscriber gets its own queue, as
// graphql-subscriptions' PubSub gives it (an async iterator per subscription, unbounded): graphql-ws
// sends the next result once the previous write completed, per subscription.
//
//   node examples/graphql-server.mjs emit 4000     # emits RATE/s (default 500) of PAYLOAD bytes (default 8192)
//   node examples/graphql-server.mjs relay 4000    # emits only what the publish mutation is given
// then e.g.
//   npx evbench run slow-client --target ws://127.0.0.1:4000/graphql --adapter graphql-ws --publish server \
//       --topic 'subscription { events { id ts pad } }' --id-field events.id --time-field events.ts
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { buildSchema, graphql } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';

const epochMs = () => performance.timeOrigin + performance.now();

const schema = buildSchema(`
  type Event { id: Int!, ts: Float!, pad: String! }
  type Query { head: Int!, published: Int! }
  type Mutation { publish(id: Int!, ts: Float!, pad: String!): Boolean! }
  type Subscription { events: Event! }
`);

/** One queue per subscriber: publish never waits; a subscriber that does not read lets its queue grow. */
function pubsub() {
  const subscribers = new Set();
  return {
    publish(event) {
      for (const s of subscribers) s.push(event);
    },
    subscribe() {
      const queue = [];
      let wake;
      const sub = { push: (e) => (queue.push({ events: e }), wake?.()) };
      subscribers.add(sub);
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        async next() {
          while (queue.length === 0) await new Promise((r) => (wake = r));
          wake = undefined;
          return { value: queue.shift(), done: false };
        },
        async return() {
          subscribers.delete(sub);
          return { value: undefined, done: true };
        },
      };
    },
    size: () => subscribers.size,
  };
}

export async function graphqlServer({ mode = 'emit', rate = 500, payloadBytes = 8192, port = 0 } = {}) {
  const events = pubsub();
  let head = 0;
  let published = 0;
  const root = {
    head: () => head,
    published: () => published,
    publish: ({ id, ts, pad }) => {
      published++;
      head = Math.max(head, id);
      events.publish({ id, ts, pad });
      return true;
    },
    events: () => events.subscribe(), // the subscription root field returns the stream; each value is {events: …}
  };
  const http = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql') return void res.writeHead(404).end();
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"message":"not JSON"}]}');
      }
      const result = await graphql({ schema, source: body.query ?? '', rootValue: root, variableValues: body.variables });
      res.writeHead(result.errors ? 400 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
  });
  const wss = new WebSocketServer({ server: http, path: '/graphql', perMessageDeflate: false });
  const gql = useServer({ schema, roots: { query: root, mutation: root, subscription: root } }, wss);
  let timer;
  if (mode === 'emit') {
    const pad = 'x'.repeat(payloadBytes);
    const start = epochMs();
    timer = setInterval(() => {
      const now = epochMs();
      while (start + (head * 1000) / rate <= now) {
        const due = start + (head * 1000) / rate;
        head++;
        events.publish({ id: head, ts: due, pad });
      }
    }, 1);
  }
  await new Promise((r) => http.listen(port, '127.0.0.1', () => r()));
  const bound = http.address().port;
  return {
    url: `ws://127.0.0.1:${bound}/graphql`,
    httpUrl: `http://127.0.0.1:${bound}/graphql`,
    published: () => published,
    close: async () => {
      clearInterval(timer);
      await gql.dispose();
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(() => r()));
      await new Promise((r) => http.close(() => r()));
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [mode = 'emit', port = '4000'] = process.argv.slice(2);
  const s = await graphqlServer({
    mode,
    port: Number(port),
    rate: Number(process.env.RATE ?? 500),
    payloadBytes: Number(process.env.PAYLOAD ?? 8192),
  });
  process.stderr.write(`graphql-ws server (${mode}) on ${s.url}, mutations on POST ${s.httpUrl}; Ctrl-C to stop\n`);
  process.on('SIGINT', () => void s.close().then(() => process.exit(0)));
}
