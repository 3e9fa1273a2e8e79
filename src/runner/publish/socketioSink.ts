// Publishing through a Socket.IO server: evbench emits each event (`42["topic",{id,ts,…}]`) over
// its own publisher socket and the server relays it to the namespace. The ids are evbench's.
import WebSocket from 'ws';
import type { GenericOptions } from '../../scenario/types.js';
import { SocketIoAdapter } from '../adapters/socketio.js';
import { eventJson, idOf } from './genericSink.js';
import type { PublisherInit } from '../threadMessages.js';
import { withToken } from '../url.js';
import type { OutgoingEvent, Sink, SinkCallbacks } from './sink.js';

export class SocketIoSink implements Sink {
  private ws?: WebSocket;
  private closing = false;
  private readonly pad: string;
  private readonly protocol: SocketIoAdapter;

  constructor(
    private readonly init: PublisherInit,
    private readonly g: GenericOptions,
    private readonly cb: SinkCallbacks,
  ) {
    this.pad = 'x'.repeat(init.scenario.publisher.payloadBytes);
    const t = init.scenario.target;
    this.protocol = new SocketIoAdapter(t.kind === 'url' ? t.url : init.url, g);
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(withToken(this.init.url, this.init.token), { perMessageDeflate: false });
      this.ws = ws;
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text === '2')
          ws.send('3'); // Engine.IO ping: the publisher keeps its session alive
        else if (text.startsWith('40'))
          resolve(); // joined the namespace: emits will be taken
        else if (text.startsWith('44')) {
          reject(new Error(`the server refused the namespace: ${text.slice(0, 200)}`));
          this.cb.onFatal(`publisher connection: the server refused the namespace: ${text.slice(0, 200)}`);
        }
      });
      ws.once('open', () => ws.send(this.protocol.subscribeMessage()));
      ws.on('error', (err) => {
        reject(new Error(err.message));
        this.cb.onFatal(`publisher connection: ${err.message}`);
      });
      ws.on('close', (code) => {
        if (!this.closing) this.cb.onFatal(`publisher connection closed by the target (${code})`);
      });
    });
  }

  send(events: OutgoingEvent[]): void {
    if (events.length === 0) return;
    const ws = this.ws!;
    for (const e of events) ws.send(this.protocol.emitMessage(eventJson(this.init, this.g, this.pad, e)));
    // emits are not acknowledged (no ack id is asked for): the id is ours, known the moment it is sent
    this.cb.onIds(events[0]!.k, idOf(this.init, events[0]!.k), events.length);
  }

  async settle(): Promise<void> {}

  backlogBytes(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  close(): void {
    this.closing = true;
    this.ws?.close(1000);
  }
}
