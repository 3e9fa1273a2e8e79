// The first seconds' diagnostic of a client worker: do the target's messages carry the id and time
// fields at all? It counts what the adapter makes of each frame and keeps a sample of each kind, so a
// run against a server that speaks something else says what arrived instead of reporting silence.
import type { WireAdapter, WireOutput } from './adapters/adapter.js';
import type { ScannedEvent } from '../measurement/frameScan.js';

/** How long after t0 the diagnostic is sent. */
export const DIAGNOSTIC_US = 3_000_000;

/** What the diagnostic message carries. */
export interface FrameCounts {
  events: number;
  eventsWithoutTime: number;
  nonEvents: number;
  firstNonEvent?: string;
  firstEvent?: string;
}

const sample = (data: Buffer): string => {
  const text = data.toString('utf8', 0, Math.min(data.length, 400));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

export class FrameDiagnostic {
  private readonly counted: FrameCounts = {
    events: 0,
    eventsWithoutTime: 0,
    nonEvents: 0,
    firstNonEvent: undefined,
    firstEvent: undefined,
  };

  noteNonEvent(data: Buffer): void {
    this.counted.nonEvents++;
    this.counted.firstNonEvent ??= sample(data);
  }

  /** An event read; `data` is its frame when there is one frame per event (sessions read several at once). */
  noteEvent(data: Buffer | undefined, out: ScannedEvent): void {
    this.counted.events++;
    if (Number.isNaN(out.intendedUs)) {
      this.counted.eventsWithoutTime++;
      if (data) this.counted.firstEvent ??= sample(data);
    }
  }

  counts(): FrameCounts {
    return { ...this.counted };
  }
}

/** `adapter` with every event it reads reported to `onEvent` first (a session's events too). */
export function countingAdapter(adapter: WireAdapter, onEvent: (data: Buffer | undefined, ev: ScannedEvent) => void): WireAdapter {
  return {
    acks: adapter.acks,
    transport: adapter.transport,
    keepaliveAnswer: adapter.keepaliveAnswer?.bind(adapter),
    subscribeMessage: (types, lastId) => adapter.subscribeMessage(types, lastId),
    protocols: adapter.protocols,
    read(data: Buffer, out: ScannedEvent) {
      const kind = adapter.read(data, out);
      if (kind === 'event') onEvent(data, out);
      return kind;
    },
    session: adapter.session
      ? (role, persistent) => {
          const s = adapter.session!(role, persistent);
          let counted: WireOutput | undefined;
          return {
            opening: () => s.opening(),
            keepalive: s.keepalive,
            confirms: s.confirms,
            read(data, binary, out) {
              counted ??= { ...out, event: (ev) => (onEvent(undefined, ev), out.event(ev)) };
              s.read(data, binary, counted);
            },
          };
        }
      : undefined,
  };
}
