// catchup over MQTT: a persistent session is its only replay, and it queues for a client id, not
// from an event id. So the client connects under a fixed client id with a session that outlives the
// connection (3.1.1: clean session 0; 5: a session expiry), subscribes at QoS 1, reads a quarter
// second of events, drops the connection the way a network does, stays away while `backlog` events
// pass, and reconnects under the same id: the broker owes it every QoS 1 message published
// meanwhile (as many as its queue holds), then live.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { nowUs } from '../../clock.js';
import type { Account } from '../../measurement/accounting.js';
import { phaseAt } from '../../measurement/schedule.js';
import type { PersistentSession, WireAdapter, WireOutput } from '../adapters/adapter.js';
import type { ConnectionContext } from './connection.js';
import { MAX_MESSAGE_BYTES } from './frameReader.js';
import { ResumingClient } from './resuming.js';

/** A first session that sees no event this long has nothing to resume from: the client subscribes live instead. */
const FIRST_EVENT_MS = 5000;
/** The first session reads this much of the stream (by its events' own times) to learn its rate. */
const RATE_SAMPLE_US = 250_000;
/** How long the broker keeps an MQTT 5 session after the run's end (3.1.1 has no expiry: the broker keeps it). */
const EXPIRY_MARGIN_S = 60;

export class MqttPersistentSessionClient extends ResumingClient {
  /** The newest event the first session read: the replay starts after it. Unset until the drop, and if there was none. */
  private lastId?: number;
  private readonly persistent: Omit<PersistentSession, 'resume'>;
  private readonly protocol: WireAdapter;
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
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: 30_000,
      ...this.ctx.connectOptions,
    });
    this.first = ws;
    const session = this.protocol.session!('subscriber', { ...this.persistent, resume: false });
    const drop = (): void => this.drop();
    const out: WireOutput = {
      event: (ev) => {
        if (this.dropped) return;
        const us = Number.isNaN(ev.intendedUs) ? nowUs() : ev.intendedUs;
        const s = (this.sample ??= { firstId: ev.id, firstUs: us, id: ev.id, us });
        if (ev.id > s.id) Object.assign(s, { id: ev.id, us });
        if (s.us - s.firstUs >= RATE_SAMPLE_US) this.drop();
      },
      other: () => {},
      send: (frame) => ws.readyState === WebSocket.OPEN && ws.send(frame),
      refused: drop, // without an event, the ordinary path then says what went wrong
      closing: drop,
      subscribed: () => {},
    };
    ws.on('open', () => {
      for (const frame of session.opening()) ws.send(frame);
    });
    ws.on('message', (data: Buffer, binary: boolean) => this.dropped || session.read(data, binary, out));
    ws.on('error', drop);
    ws.on('close', drop);
    this.timer = setTimeout(drop, FIRST_EVENT_MS);
  }

  private dropped = false;
  /** What the first session read: its first and newest event ids, and their publish times. */
  private sample?: { firstId: number; firstUs: number; id: number; us: number };

  /**
   * Drops the first session, from the newest event it read, and opens the client's books: it is owed
   * every event after that one — the next `backlog` from the broker's queue (the replay, timed from
   * this drop), the rest live. The backlog is no more than the stream publishes, at the rate its own
   * timestamps showed, in half the rest of the phase, so the replay and live delivery are measured in
   * the phase the client left in and nothing is owed that the stream will not have published.
   */
  private drop(): void {
    if (this.dropped) return;
    const sample = this.sample;
    this.dropped = true;
    clearTimeout(this.timer);
    this.first?.terminate(); // an abrupt loss, not a DISCONNECT: the broker keeps the session all the same
    const now = nowUs();
    const backlog = this.ctx.group.backlog ?? 0;
    if (!sample) {
      // no event to resume from: the backlog is still owed, and nothing will replay it, so the replay
      // row shows it missing (socketioRecovery.ts does the same); the client subscribes anew
      const head = this.ctx.headId();
      this.account.subscribed(head, now, Math.max(0, head - backlog));
      if (!this.gone) this.reconnect();
      return;
    }
    const perUs = sample.us > sample.firstUs ? (sample.id - sample.firstId) / (sample.us - sample.firstUs) : Infinity;
    const phaseLeftUs = this.ctx.tl.ends[phaseAt(this.ctx.tl, now)]! - now;
    const buildable = perUs === Infinity ? backlog : Math.max(0, Math.floor((perUs * phaseLeftUs) / 2));
    const untilId = sample.id + Math.min(backlog, buildable);
    this.lastId = sample.id;
    this.account.subscribed(untilId, now, sample.id);
    this.reconnectAt(untilId);
  }

  /** Accounting has reached a client still in its first session (a busy machine): it drops now, so its books are open. */
  override prepareAccounting(): void {
    if (this.first) this.drop();
    super.prepareAccounting();
  }

  protected override reconnect(): void {
    this.reconnectUs = nowUs();
    super.reconnect();
  }

  /** The broker took the client back (session present) or took its new subscription: the ack time counts from the reconnect. */
  protected override onSubscribed(): void {
    this.noteAck(this.reconnectUs);
  }
}
