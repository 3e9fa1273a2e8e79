// catchup over MQTT: a persistent session is its only replay, and it queues for a client id, not
// from an event id. So the client connects under a fixed client id with a session that outlives the
// connection (3.1.1: clean session 0; 5: a session expiry), subscribes at QoS 1, notes the first
// event's id, drops the connection the way a network does, stays away while `backlog` events pass,
// and reconnects under the same id: the broker owes it every QoS 1 message published meanwhile (as
// many as its queue holds), then live.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { nowUs } from '../../clock.js';
import type { Account } from '../../measurement/accounting.js';
import { phaseAt } from '../../measurement/schedule.js';
import type { PersistentSession, WireAdapter, WireOutput } from '../adapters/adapter.js';
import { ClientConnection, type ConnectionContext } from './connection.js';

const POLL_MS = 10;
/** A first session that sees no event this long has nothing to resume from: the client subscribes live instead. */
const FIRST_EVENT_MS = 5000;
/** How long the broker keeps an MQTT 5 session after the run's end (3.1.1 has no expiry: the broker keeps it). */
const EXPIRY_MARGIN_S = 60;

export class MqttPersistentSessionClient extends ClientConnection {
  /** The id of the first session's first event: where the replay starts. Unset until then, and if there was none. */
  private lastId?: number;
  private readonly persistent: Omit<PersistentSession, 'resume'>;
  private readonly protocol: WireAdapter;
  private first?: WebSocket;
  private timer?: NodeJS.Timeout;
  private gone = false;
  private reconnectUs = 0;

  constructor(clientId: number, ctx: ConnectionContext, account: Account) {
    // the reconnect resumes the session when the first one saw an event, else it subscribes anew
    const adapter: WireAdapter = {
      ...ctx.adapter,
      session: (role) => ctx.adapter.session!(role, { ...this.persistent, resume: this.lastId !== undefined }),
    };
    super(clientId, { ...ctx, adapter }, account);
    this.protocol = ctx.adapter;
    this.persistent = {
      clientId: `evbench-${randomBytes(4).toString('hex')}-${clientId}`,
      expiryS: Math.ceil((ctx.tl.endUs - nowUs()) / 1e6) + EXPIRY_MARGIN_S,
    };
  }

  protected override replayFrom(): number | undefined {
    return this.lastId;
  }

  override open(): void {
    const ws = new WebSocket(this.ctx.url, this.protocol.protocols, {
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
      ...this.ctx.connectOptions,
    });
    this.first = ws;
    const session = this.protocol.session!('subscriber', { ...this.persistent, resume: false });
    let done = false; // the first session has served (or failed): no second way forward
    const subscribeLive = (): void => {
      if (done) return;
      done = true;
      clearTimeout(this.timer);
      ws.terminate();
      if (this.gone) return;
      // nothing to resume from: the backlog is still owed, and nothing will replay it, so the replay row shows it missing
      const head = this.ctx.headId();
      this.account.subscribed(head, nowUs(), Math.max(0, head - (this.ctx.group.backlog ?? 0)));
      this.reconnect();
    };
    const out: WireOutput = {
      event: (ev) => {
        if (done) return;
        done = true;
        clearTimeout(this.timer);
        this.lastId = ev.id;
        ws.terminate(); // an abrupt loss, not a DISCONNECT: the broker keeps the session all the same
        // From here the client is owed every event: the next `backlog` ones from the broker's queue
        // (its time to live counts from this drop), the rest live once it is back.
        const liveAfter = ev.id + (this.ctx.group.backlog ?? 0);
        this.account.subscribed(liveAfter, nowUs(), ev.id);
        this.waitForBacklog(liveAfter);
      },
      other: () => {},
      send: (frame) => ws.readyState === WebSocket.OPEN && ws.send(frame),
      refused: subscribeLive, // the ordinary path then says what went wrong
      closing: subscribeLive,
      subscribed: () => {},
    };
    ws.on('open', () => {
      for (const frame of session.opening()) ws.send(frame);
    });
    ws.on('message', (data: Buffer, binary: boolean) => done || session.read(data, binary, out));
    ws.on('error', subscribeLive);
    ws.on('close', subscribeLive);
    this.timer = setTimeout(subscribeLive, FIRST_EVENT_MS);
  }

  /** Reconnects once the stream has moved `backlog` events past the first session's event. */
  private waitForBacklog(untilId: number): void {
    const poll = (): void => {
      if (this.gone) return;
      if (this.ctx.headId() >= untilId || nowUs() >= this.ctx.tl.endUs) return this.reconnect();
      this.timer = setTimeout(poll, POLL_MS);
    };
    poll();
  }

  private reconnect(): void {
    this.reconnectUs = nowUs();
    super.open();
  }

  /** The broker took the client back (session present) or took its new subscription: the ack time counts from the reconnect. */
  protected override onSubscribed(): void {
    const now = nowUs();
    this.ackUs = now - this.reconnectUs;
    this.ctx.rec.ackTime(phaseAt(this.ctx.tl, now), this.ackUs);
  }

  /** Already owed from the moment the first session dropped: reconnecting changes nothing. */
  protected override owedReplayWithoutAck(): void {}

  override leave(atUs: number): void {
    this.gone = true;
    clearTimeout(this.timer);
    this.first?.terminate();
    super.leave(atUs);
  }
}
