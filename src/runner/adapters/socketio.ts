// Socket.IO v4 over Engine.IO v4, spoken over the runner's own websocket so slow behaviours and the
// per-chunk receive stamp work as for any websocket: `40` joins the namespace, events arrive as
// `42["name",payload(,offset)]`, the server's ping `2` is answered `3` by clients that still read.
// The packets are short text prefixes before JSON; socket.io-parser would add an emitter and
// binary-attachment handling per packet for nothing, so the few prefixes are read here.
import type { ScannedEvent } from '../../measurement/frameScan.js';
import type { GenericOptions } from '../../scenario/types.js';
import type { FrameKind, WireAdapter } from './adapter.js';
import { GenericAdapter } from './generic.js';

/** The Engine.IO websocket endpoint for a Socket.IO target URL (`http://host:port[/namespace]`). */
export function engineIoUrl(target: string): string {
  const u = new URL(target);
  u.protocol = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
  u.pathname = '/socket.io/';
  u.search = '?EIO=4&transport=websocket';
  return u.toString();
}

/** The namespace a Socket.IO client joins for a target URL: its path, `/` by default. */
export function namespaceOf(target: string): string {
  const path = new URL(target).pathname.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

/** `42`, the namespace (`/ns,`, omitted for `/`) and an optional ack id come before the JSON array. */
function eventJsonStart(text: string, nsp: string): number {
  let i = 2;
  if (nsp !== '/') {
    if (!text.startsWith(nsp, i) || text[i + nsp.length] !== ',') return -1;
    i += nsp.length + 1;
  }
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  return text[i] === '[' ? i : -1;
}

export class SocketIoAdapter implements WireAdapter {
  readonly acks = false;
  private readonly nsp: string;
  private readonly topic: string;
  private readonly payload: GenericAdapter;

  constructor(target: string, options: GenericOptions) {
    this.nsp = namespaceOf(target);
    this.topic = options.topic ?? 'event';
    this.payload = new GenericAdapter(options);
  }

  /** `40` (or `40/ns,`) connects to the namespace; the server then sends to every socket in it. */
  subscribeMessage(): string {
    return this.nsp === '/' ? '40' : `40${this.nsp},`;
  }

  /** Connection state recovery: CONNECT with the session's pid and the offset of its last event. */
  recoverMessage(pid: string, offset: string): string {
    return `40${this.nsp === '/' ? '' : `${this.nsp},`}${JSON.stringify({ pid, offset })}`;
  }

  /** The server's CONNECT answer (`40{"sid","pid"}`); `pid` only when recovery is on. */
  connectAnswer(text: string): { sid?: string; pid?: string } | undefined {
    const start = text.indexOf('{');
    if (start < 0) return undefined;
    try {
      return JSON.parse(text.slice(start)) as { sid?: string; pid?: string };
    } catch {
      return undefined;
    }
  }

  /** With recovery on, the server appends each event's offset as its last argument. */
  offsetOf(data: Buffer): string | undefined {
    const text = data.toString();
    const start = eventJsonStart(text, this.nsp);
    if (start < 0) return undefined;
    try {
      const args = JSON.parse(text.slice(start)) as unknown[];
      const last = args.length > 2 ? args[args.length - 1] : undefined;
      return typeof last === 'string' ? last : undefined;
    } catch {
      return undefined;
    }
  }

  /** The message that emits `payload` as event `name` (for evbench publishing through the server). */
  emitMessage(payloadJson: string): string {
    return `42${this.nsp === '/' ? '' : `${this.nsp},`}[${JSON.stringify(this.topic)},${payloadJson}]`;
  }

  read(data: Buffer, out: ScannedEvent): FrameKind {
    if (data.length === 1 && data[0] === 0x32 /* 2: Engine.IO ping */) return 'keepalive';
    if (data[0] !== 0x34 /* 4: message */ || data[1] !== 0x32 /* 2: event */) return 'other';
    const text = data.toString();
    const start = eventJsonStart(text, this.nsp);
    if (start < 0) return 'other';
    let args: unknown;
    try {
      args = JSON.parse(text.slice(start));
    } catch {
      return 'other';
    }
    if (!Array.isArray(args) || args[0] !== this.topic) return 'other';
    return this.payload.readParsed(args[1], out);
  }

  keepaliveAnswer(): string {
    return '3';
  }
}
