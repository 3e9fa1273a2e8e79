// Publishing over the v0 protocol: one `publish` message per batch on one websocket; the target
// acknowledges each batch with the (contiguous) ids it gave it, in order.
import WebSocket from 'ws';
import { isoFromUs } from '../../clock.js';
import { mixTable, ownerOf } from '../../measurement/schedule.js';
import type { PublisherInit } from '../threadMessages.js';
import { withToken } from '../url.js';
import type { OutgoingEvent, Sink, SinkCallbacks } from './sink.js';

export class EvbenchSink implements Sink {
  private ws?: WebSocket;
  private readonly pending: { kFirst: number; count: number }[] = [];
  private readonly table;
  private readonly typeJson: string[];
  private readonly pad: string;
  private settled?: () => void;
  private closing = false;

  constructor(
    private readonly init: PublisherInit,
    private readonly cb: SinkCallbacks,
  ) {
    this.table = mixTable(init.scenario.publisher.mix);
    this.typeJson = this.table.map((m) => JSON.stringify(m.eventType));
    this.pad = JSON.stringify('x'.repeat(init.scenario.publisher.payloadBytes));
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(withToken(this.init.url, this.init.token), { perMessageDeflate: false, skipUTF8Validation: true });
      this.ws = ws;
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) this.onStatus(data.toString());
      });
      ws.once('open', () => resolve());
      ws.on('error', (err) => {
        reject(new Error(err.message));
        this.cb.onFatal(`publisher connection: ${err.message}`);
      });
      ws.on('close', (code) => {
        if (!this.closing) this.cb.onFatal(`publisher connection closed by the target (${code})`);
      });
    });
  }

  private eventJson(e: OutgoingEvent): string {
    const i = ((e.k % this.table.length) + this.table.length) % this.table.length;
    const owner = JSON.stringify(ownerOf(this.table[i]!, Math.max(e.k, 0), this.init.users));
    return `{"event_type":${this.typeJson[i]},"object_uuid":"evbench-${e.k}","object_owner_uuid":${owner},"object_kind":"evbench#event","event_at":"${isoFromUs(e.intendedUs)}","properties":{"sent_us":${e.sentUs},"pad":${this.pad}}}`;
  }

  send(events: OutgoingEvent[]): void {
    if (events.length === 0) return;
    this.pending.push({ kFirst: events[0]!.k, count: events.length });
    this.ws!.send(`{"method":"publish","events":[${events.map((e) => this.eventJson(e)).join(',')}]}`);
  }

  private onStatus(text: string): void {
    let msg: { status?: number; first_id?: number; last_id?: number; message?: string };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (msg.status !== 200) {
      this.cb.onFatal(`target refused a publish: ${msg.status} ${msg.message ?? ''}`.trim());
      return;
    }
    if (msg.first_id === undefined || msg.last_id === undefined) return;
    const batch = this.pending.shift();
    if (!batch) return;
    const count = msg.last_id - msg.first_id + 1;
    if (count !== batch.count) {
      this.cb.onFatal(`target gave ${count} ids to a batch of ${batch.count} events: ids must be contiguous per publish`);
      return;
    }
    this.cb.onIds(batch.kFirst, msg.first_id, count);
    if (this.pending.length === 0) this.settled?.();
  }

  settle(timeoutMs: number): Promise<void> {
    if (this.pending.length === 0 || this.ws?.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.settled = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  backlogBytes(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  close(): void {
    this.closing = true;
    this.ws?.close(1000);
  }
}
