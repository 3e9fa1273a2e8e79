// The built-in adapters' implementations, one line each (their names, flags and capabilities are in
// scenario/adapters.ts). Imported for its effect by every thread that connects or publishes.
import { EvbenchSink } from '../publish/evbenchSink.js';
import { genericSink } from '../publish/genericSink.js';
import { SocketIoSink } from '../publish/socketioSink.js';
import { MqttPersistentSessionClient } from '../clients/mqttPersistentSession.js';
import { SocketIoRecoveryClient } from '../clients/socketioRecovery.js';
import { ActionCableAdapter } from './actioncable.js';
import { EvbenchAdapter } from './evbench.js';
import { GenericAdapter } from './generic.js';
import { GraphqlWsAdapter } from './graphqlWs.js';
import { MqttAdapter } from './mqtt.js';
import { NatsAdapter } from './nats.js';
import { registerWire } from './registry.js';
import { engineIoUrl, SocketIoAdapter } from './socketio.js';
import { SseAdapter } from './sse.js';

registerWire('evbench', { wire: () => new EvbenchAdapter(), sink: (init, _g, cb) => new EvbenchSink(init, cb) });
registerWire('generic', { wire: (t) => new GenericAdapter(t!.generic), sink: genericSink });
registerWire('nats', { wire: (t) => new NatsAdapter(t!.generic), sink: genericSink });
registerWire('mqtt', {
  wire: (t) => new MqttAdapter(t!.generic),
  sink: genericSink,
  catchupClient: (id, ctx, account) => new MqttPersistentSessionClient(id, ctx, account),
  protocolOf: (g) => `MQTT ${g.mqttVersion ?? '3.1.1'}, QoS ${g.qos ?? 0}`,
});
registerWire('graphql-ws', { wire: (t) => new GraphqlWsAdapter(t!.generic), sink: genericSink });
registerWire('actioncable', { wire: (t) => new ActionCableAdapter(t!.generic), sink: genericSink });
registerWire('socketio', {
  wire: (t) => new SocketIoAdapter(t!.url, t!.generic),
  // Socket.IO clients are given http://host:port[/namespace]; they speak Engine.IO's websocket endpoint
  clientUrl: engineIoUrl,
  sink: (init, g, cb) => (g!.publish.kind === 'ws' ? new SocketIoSink(init, g!, cb) : genericSink(init, g, cb)),
  catchupClient: (id, ctx, account, wire) => new SocketIoRecoveryClient(id, ctx, account, wire as SocketIoAdapter),
});
registerWire('sse', { wire: (t) => new SseAdapter(t!.generic), sink: genericSink });
