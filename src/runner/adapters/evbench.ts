// The v0 protocol: subscribe with filters and last_log_id; events read from the raw frame.
import { scanEvent, type ScannedEvent } from '../../measurement/frameScan.js';
import type { FrameKind, WireAdapter } from './adapter.js';

export class EvbenchAdapter implements WireAdapter {
  readonly acks = true;

  subscribeMessage(eventTypes: string[], lastId?: number): string {
    const msg: Record<string, unknown> = { method: 'subscribe' };
    if (eventTypes.length > 0) msg.filters = [['event_type', 'in', eventTypes]];
    if (lastId !== undefined) msg.last_log_id = lastId;
    return JSON.stringify(msg);
  }

  read(data: Buffer, out: ScannedEvent): FrameKind {
    if (data[2] === 0x6d /* m of msgID */) return scanEvent(data, out) ? 'event' : 'other';
    return data[2] === 0x73 /* s of status */ ? 'status' : 'other';
  }
}
