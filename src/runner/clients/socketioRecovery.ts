// catchup over Socket.IO: connection state recovery (v4.6+) is its only replay, and it recovers a
// session, not an id. So the client opens a session, notes its pid and the offset of the first
// event, drops the connection the way a network does, waits while `backlog` events pass, and
// reconnects with `40{"pid","offset"}`: the server must replay every event it missed, then go live.
import WebSocket from 'ws';
import { nowUs } from '../../clock.js';
import type { Account } from '../../measurement/accounting.js';
import { newScannedEvent } from '../../measurement/frameScan.js';
import type { WireAdapter } from '../adapters/adapter.js';
import { SocketIoAdapter } from '../adapters/socketio.js';
import type { ConnectionContext } from './connection.js';
import { MAX_MESSAGE_BYTES } from './frameReader.js';
import { ResumingClient } from './resuming.js';

/** A first session that sees no event this long has nothing to recover: the client connects live instead. */
const FIRST_EVENT_MS = 5000;

export class SocketIoRecoveryClient extends ResumingClient {
  private recoverable?: { pid: string; offset: string; lastId: number };
  private recoverSentUs = 0;

  constructor(
    clientId: number,
    ctx: ConnectionContext,
    account: Account,
    private readonly protocol: SocketIoAdapter,
  ) {
    // the second connection asks for recovery; Socket.IO sends the missed events before its CONNECT answer
    const adapter: WireAdapter = {
      acks: false,
      keepaliveAnswer: () => '3',
      subscribeMessage: () => {
        this.recoverSentUs = nowUs();
        if (this.recoverable) return protocol.recoverMessage(this.recoverable.pid, this.recoverable.offset);
        // no session to recover (recovery off, or no event to take an offset from): the backlog
        // is still owed, and nothing will replay it, so the replay row shows it missing
        const head = ctx.headId();
        this.account.subscribed(head, this.recoverSentUs, Math.max(0, head - (ctx.group.backlog ?? 0)));
        return protocol.subscribeMessage();
      },
      read: (data, out) => {
        const kind = ctx.adapter.read(data, out);
        // the recovered session's CONNECT answer, after its replay (a new pid means the session was lost: the replay shows it missing)
        if (kind === 'other' && data[0] === 0x34 && data[1] === 0x30) this.noteAck(this.recoverSentUs);
        return kind;
      },
    };
    super(clientId, { ...ctx, adapter }, account);
  }

  protected override replayFrom(): number | undefined {
    return this.recoverable?.lastId;
  }

  override open(): void {
    const ws = new WebSocket(this.ctx.url, {
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: 30_000,
      ...this.ctx.connectOptions,
    });
    this.first = ws;
    const scratch = newScannedEvent();
    let pid: string | undefined;
    let done = false; // the first session has served (or failed): no second way forward
    const connectLive = (): void => {
      done = true;
      clearTimeout(this.timer);
      ws.terminate();
      if (!this.gone) this.reconnect();
    };
    ws.on('open', () => ws.send(this.protocol.subscribeMessage()));
    this.timer = setTimeout(() => done || connectLive(), FIRST_EVENT_MS);
    ws.on('message', (data: Buffer) => {
      if (done) return;
      const kind = this.protocol.read(data, scratch);
      if (kind === 'keepalive') return void ws.send('3');
      if (data[0] === 0x34 && data[1] === 0x30) pid = this.protocol.connectAnswer(data.toString())?.pid;
      if (kind !== 'event') return;
      const offset = this.protocol.offsetOf(data);
      // no pid or offset: the server has connection state recovery off, so there is nothing to catch up with
      if (pid === undefined || offset === undefined) return connectLive();
      done = true;
      clearTimeout(this.timer);
      this.recoverable = { pid, offset, lastId: scratch.id };
      ws.terminate(); // an abrupt loss, not a disconnect packet: only that is recoverable
      // From here the client is owed every event: the next `backlog` ones by the replay (its rate
      // and time to live count from the reconnect, see resuming.ts), the rest live once it is back.
      const liveAfter = scratch.id + (this.ctx.group.backlog ?? 0);
      this.account.subscribed(liveAfter, nowUs(), scratch.id);
      this.reconnectAt(liveAfter);
    });
    ws.on('error', () => done || connectLive()); // the ordinary path then says what went wrong
  }
}
