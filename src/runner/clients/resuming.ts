// What the catch-up clients of protocols that resume a session, rather than replay from an id, share
// (Socket.IO connection state recovery, MQTT persistent sessions): a first connection that is dropped
// the way a network drops it, a wait while the backlog builds, and the reconnect, whose answer is the
// subscription's acknowledgement. The replay is owed from the drop, so reconnecting owes nothing more;
// its rate and time to live count from the reconnect, when the server is asked for it.
import type WebSocket from 'ws';
import { nowUs } from '../../clock.js';
import { phaseAt } from '../../measurement/schedule.js';
import { ClientConnection } from './connection.js';

const POLL_MS = 10;

export abstract class ResumingClient extends ClientConnection {
  /** The connection that is dropped. */
  protected first?: WebSocket;
  protected timer?: NodeJS.Timeout;
  protected gone = false;

  /** Reconnects once the stream has reached `untilId`, or when the client's time is up. */
  protected reconnectAt(untilId: number): void {
    const poll = (): void => {
      if (this.gone) return;
      if (this.ctx.headId() >= untilId || nowUs() >= Math.min(this.ctx.tl.endUs, this.account.leaveUs)) return this.reconnect();
      this.timer = setTimeout(poll, POLL_MS);
    };
    poll();
  }

  /** Connects again, the ordinary way (ClientConnection's), to the session the first connection left: this asks for the replay. */
  protected reconnect(): void {
    this.account.replayAskedFor(nowUs());
    super.open();
  }

  /** The resumed session answered: the subscription's acknowledgement, timed from `sinceUs`. */
  protected noteAck(sinceUs: number): void {
    const now = nowUs();
    this.ackUs = now - sinceUs;
    this.ctx.rec.ackTime(phaseAt(this.ctx.tl, now), this.ackUs);
  }

  /** Already owed from the moment the first connection dropped: reconnecting changes nothing. */
  protected override owedReplayWithoutAck(): void {}

  override leave(atUs: number): void {
    this.gone = true;
    clearTimeout(this.timer);
    this.first?.terminate();
    super.leave(atUs);
  }
}
