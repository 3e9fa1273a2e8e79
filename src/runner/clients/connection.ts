// One subscribed client: connects, subscribes, reads frames and feeds its account. Behaviours
// (stall, rate, delay, catch-up) change how it reads; they live in files named after them.
import WebSocket from 'ws';
import { nowUs } from '../../clock.js';
import { ClientAccount } from '../../measurement/accounting.js';
import { newScannedEvent, scanEvent } from '../../measurement/frameScan.js';
import { phaseAt, type Timeline } from '../../measurement/schedule.js';
import type { GroupRecorder } from '../../measurement/recorder.js';
import { CLOSE_SLOW_CLIENT } from '../../protocol/v0.js';
import type { GroupSpec } from '../../scenario/types.js';
import type { ClientResult } from '../messages.js';

const scratch = newScannedEvent();

export interface ConnectionContext {
  url: string;
  group: GroupSpec;
  groupIndex: number;
  rec: GroupRecorder;
  tl: Timeline;
  /** Highest id the target has acknowledged to the publisher (catch-up and window fallbacks). */
  headId: () => number;
}

export class ClientConnection {
  ws?: WebSocket;
  connectUs = NaN;
  ackUs = NaN;
  closedByServer?: number;
  private startedUs = 0;
  private subscribeSentUs = 0;
  private acked = false;
  private leaving = false;

  constructor(
    readonly clientId: number,
    protected readonly ctx: ConnectionContext,
    readonly account: ClientAccount,
  ) {}

  /** The subscribe message; catch-up overrides it to add last_log_id. */
  protected subscribeMessage(): Record<string, unknown> {
    const filters = this.ctx.group.eventTypes.length > 0 ? [['event_type', 'in', this.ctx.group.eventTypes]] : [];
    return filters.length > 0 ? { method: 'subscribe', filters } : { method: 'subscribe' };
  }

  /** Called once the subscription is acknowledged (stall pauses reading here). */
  protected onSubscribed(): void {}

  /** Receives each event frame; behaviours that hold or slow reading override it. */
  protected onEventFrame(data: Buffer, atUs: number): void {
    this.consume(data, atUs);
  }

  protected consume(data: Buffer, atUs: number): void {
    if (scanEvent(data, scratch)) this.account.onEvent(scratch, atUs);
  }

  private phaseNow(): number {
    return phaseAt(this.ctx.tl, nowUs());
  }

  open(): void {
    this.startedUs = nowUs();
    const ws = new WebSocket(this.ctx.url, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 30_000 });
    this.ws = ws;
    ws.on('open', () => {
      this.connectUs = nowUs() - this.startedUs;
      this.ctx.rec.connectTime(this.phaseNow(), this.connectUs);
      this.subscribeSentUs = nowUs();
      this.headAtSubscribe = this.ctx.headId();
      ws.send(JSON.stringify(this.subscribeMessage()));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const at = nowUs();
      if (isBinary) return;
      if (data[2] === 0x6d /* m of msgID */) this.onEventFrame(data, at);
      else this.onStatus(data, at);
    });
    ws.on('error', () => {
      if (!this.leaving && this.connectUs !== this.connectUs) this.ctx.rec.count(this.phaseNow(), 'connectErrors');
    });
    ws.on('close', (code: number) => {
      if (this.leaving) return;
      this.closedByServer = code;
      const phase = this.phaseNow();
      if (code === CLOSE_SLOW_CLIENT) this.ctx.rec.count(phase, 'slowCloses');
      else this.ctx.rec.count(phase, 'connectErrors');
      this.account.leaveUs = Math.min(this.account.leaveUs, nowUs());
    });
  }

  private onStatus(data: Buffer, atUs: number): void {
    let msg: { status?: number; last_log_id?: number; gap?: [number, number] };
    try {
      msg = JSON.parse(data.toString()) as typeof msg;
    } catch {
      return;
    }
    if (msg.status === 200 && !this.acked && typeof msg.last_log_id === 'number') {
      this.acked = true;
      this.ackUs = atUs - this.subscribeSentUs;
      this.ctx.rec.ackTime(this.phaseNow(), this.ackUs);
      this.account.subscribed(msg.last_log_id, atUs, this.replayFrom());
      this.onSubscribed();
    } else if (msg.status === 409 && Array.isArray(msg.gap)) {
      this.ctx.rec.count(this.phaseNow(), 'gapsAnnounced');
    }
  }

  /** last_log_id this client asked to replay from (catch-up only). */
  protected replayFrom(): number | undefined {
    return undefined;
  }

  /** From `atUs` on, nothing published is expected (the client is on its way out). */
  stopExpecting(atUs: number): void {
    this.account.leaveUs = Math.min(this.account.leaveUs, atUs);
  }

  /** Closes the client; nothing intended after `atUs` is expected. */
  leave(atUs: number): void {
    this.leaving = true;
    this.stopExpecting(atUs);
    if (!this.acked) this.ctx.rec.count(phaseAt(this.ctx.tl, atUs - 1), 'ackTimeouts');
    this.prepareAccounting();
    this.ws?.terminate();
  }

  /** Head id when the subscribe request was sent: the window start if the ack never comes. */
  private headAtSubscribe = 0;

  /** Before accounting: a subscribe that was sent but never acknowledged still owed this client everything after it. */
  prepareAccounting(): void {
    if (!this.acked && this.subscribeSentUs > 0) this.account.assumeWindow(this.headAtSubscribe);
  }

  result(): ClientResult {
    return {
      clientId: this.clientId,
      group: this.ctx.groupIndex,
      totals: { ...this.account.totals },
      replay: this.account.replayTotals(),
      connectUs: this.connectUs,
      ackUs: this.ackUs,
      closedByServer: this.closedByServer,
    };
  }
}
