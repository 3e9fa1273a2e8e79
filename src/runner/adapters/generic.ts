// Any JSON websocket server: the event id and its publish time are found by dotted paths and the
// time converted from its unit; messages without the id are counted as non-events.
import { isoFromUs, usFromIso } from '../../clock.js';
import type { ScannedEvent } from '../../measurement/frameScan.js';
import type { GenericOptions } from '../../scenario/types.js';
import type { FrameKind, WireAdapter } from './adapter.js';

/** Reads a dotted path (`a.b.c`) from parsed JSON. */
export function getPath(value: unknown, path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Converts a time field to epoch µs; NaN when it is not a time in that unit. */
export function timeToUs(value: unknown, unit: GenericOptions['timeUnit']): number {
  if (unit === 'iso') return typeof value === 'string' ? usFromIso(value) : NaN;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return NaN;
  return unit === 'ms' ? Math.round(n * 1000) : unit === 'us' ? Math.round(n) : Math.round(n / 1000);
}

/** Sets a dotted path in an object, creating the objects on the way (for events evbench publishes). */
export function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let o = target;
  for (const key of path.slice(0, -1)) {
    if (typeof o[key] !== 'object' || o[key] === null) o[key] = {};
    o = o[key] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = value;
}

/** The time field's value for an intended time in µs, in the configured unit. */
export function usToTime(us: number, unit: GenericOptions['timeUnit']): number | string {
  if (unit === 'iso') return isoFromUs(us);
  return unit === 'ms' ? us / 1000 : unit === 'us' ? us : us * 1000;
}

export class GenericAdapter implements WireAdapter {
  readonly acks = false;
  private readonly idPath: string[];
  private readonly timePath: string[];

  constructor(private readonly options: GenericOptions) {
    this.idPath = options.idField.split('.');
    this.timePath = options.timeField.split('.');
  }

  subscribeMessage(_eventTypes: string[], lastId?: number): string | undefined {
    const template = this.options.subscribeMessage;
    if (template === undefined) return undefined;
    // a client that does not catch up asks for no replay: null, as a JSON API reads an absent id
    return template.replaceAll('{{lastId}}', lastId === undefined ? 'null' : String(lastId));
  }

  read(data: Buffer, out: ScannedEvent): FrameKind {
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return 'other';
    }
    return this.readParsed(msg, out);
  }

  /** Reads an event from JSON already parsed (an envelope's payload, for protocol adapters). */
  readParsed(msg: unknown, out: ScannedEvent): FrameKind {
    const id = getPath(msg, this.idPath);
    const idNum = typeof id === 'number' ? id : typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : NaN;
    if (!Number.isSafeInteger(idNum)) return 'other';
    out.id = idNum;
    out.msgId = 0;
    out.intendedUs = timeToUs(getPath(msg, this.timePath), this.options.timeUnit);
    const sent = getPath(msg, ['evbench_sent_us']);
    out.sentUs = typeof sent === 'number' ? sent : NaN;
    return 'event';
  }
}
