// Server-Sent Events: the transport (clients/sseTransport.ts) splits the stream into messages; each
// message's `data` is JSON read like the generic adapter's. Catch-up is the Last-Event-ID header,
// so nothing is sent to subscribe.
import type { ScannedEvent } from '../../measurement/frameScan.js';
import type { GenericOptions } from '../../scenario/types.js';
import type { FrameKind, WireAdapter } from './adapter.js';
import { GenericAdapter } from './generic.js';

export class SseAdapter implements WireAdapter {
  readonly acks = false;
  readonly transport = 'sse';
  private readonly payload: GenericAdapter;

  constructor(options: GenericOptions) {
    this.payload = new GenericAdapter(options);
  }

  subscribeMessage(): undefined {
    return undefined;
  }

  read(data: Buffer, out: ScannedEvent): FrameKind {
    return this.payload.read(data, out);
  }
}
