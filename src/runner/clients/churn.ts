// churn: connects, subscribes, waits for the ack and disconnects, over and over at a fixed rate;
// records connect and subscribe-ack latency per phase. A server stuck behind a slow client shows
// here first: new connections hang.
import WebSocket from 'ws';
import { nowUs } from '../../clock.js';
import { phaseAt } from '../../measurement/schedule.js';
import type { ConnectionContext } from './connection.js';
import { MAX_MESSAGE_BYTES } from './frameReader.js';
import type { ClientResult } from '../threadMessages.js';

const ACK_TIMEOUT_US = 10_000_000;

export class ChurnClient {
  private stopped = false;
  private ws?: WebSocket;
  private timer?: NodeJS.Timeout;
  private cycles = 0;
  private lastConnectUs = NaN;
  private lastAckUs = NaN;

  constructor(
    readonly clientId: number,
    private readonly ctx: ConnectionContext,
  ) {}

  open(): void {
    const periodUs = 1e6 / (this.ctx.group.connectsPerSecond ?? 1);
    let nextAt = nowUs() + Math.random() * periodUs; // spread clients over the period
    const cycle = (): void => {
      if (this.stopped) return;
      const started = nowUs();
      const phase = phaseAt(this.ctx.tl, started);
      const ws = new WebSocket(this.ctx.url, {
        perMessageDeflate: false,
        maxPayload: MAX_MESSAGE_BYTES,
        handshakeTimeout: ACK_TIMEOUT_US / 1000,
        ...this.ctx.connectOptions,
      });
      this.ws = ws;
      let sentAt = 0;
      let done = false;
      const finish = (acked: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(giveUp);
        if (!acked && !this.stopped) this.ctx.rec.count(phase, 'ackTimeouts');
        ws.terminate();
        this.cycles++;
        nextAt = Math.max(nextAt + periodUs, nowUs());
        if (!this.stopped) this.timer = setTimeout(cycle, Math.max(0, (nextAt - nowUs()) / 1000));
      };
      const giveUp = setTimeout(() => finish(false), ACK_TIMEOUT_US / 1000);
      ws.on('open', () => {
        this.lastConnectUs = nowUs() - started;
        this.ctx.rec.connectTime(phase, this.lastConnectUs);
        sentAt = nowUs();
        ws.send('{"method":"subscribe"}');
      });
      ws.on('message', (data: Buffer) => {
        if (data[2] !== 0x73 /* s of status */) return;
        this.lastAckUs = nowUs() - sentAt;
        this.ctx.rec.ackTime(phase, this.lastAckUs);
        finish(true);
      });
      ws.on('error', () => {
        if (!this.stopped && !done) this.ctx.rec.count(phase, 'connectErrors');
        finish(true);
      });
    };
    this.timer = setTimeout(cycle, Math.max(0, (nextAt - nowUs()) / 1000));
  }

  leave(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
  }

  result(): ClientResult {
    return {
      clientId: this.clientId,
      group: this.ctx.groupIndex,
      totals: { delivered: 0, missing: 0, duplicates: 0, outOfOrder: 0, lateArrivals: 0, maxStallUs: 0 },
      connectUs: this.lastConnectUs,
      ackUs: this.lastAckUs,
    };
  }
}
