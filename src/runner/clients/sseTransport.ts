// Server-Sent Events: a GET whose response never ends, read chunk by chunk. Every message a chunk
// completes arrived at that chunk's moment and is stamped once; pausing the response stops reading
// its socket, so the server's writes back up just as they do behind a stalled websocket.
import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { nowUs } from '../../clock.js';
import type { ReadControl } from './transport.js';

export interface SseHandlers {
  /** The server answered 200 with an event stream. */
  open(atUs: number): void;
  /** One message's `data` (its lines joined by \n), stamped with its chunk's arrival. */
  message(data: Buffer, atUs: number): void;
  /** No stream: the connection failed or the server answered something else (status, first bytes). */
  refused(reason: string): void;
  /** The stream ended after it had started. */
  closed(reason: string): void;
}

/** Messages over 256 MiB are a broken server, not an event. */
const MAX_MESSAGE_CHARS = 256 * 1024 * 1024;

/** Splits an event stream into messages (WHATWG HTML §9.2.6); `id:` and `event:` are not needed here. */
export class SseParser {
  private line = '';
  private data: string[] = [];
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly onMessage: (data: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.line + this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.field(text.slice(start, end));
      start = nl + 1;
    }
    this.line = text.slice(start);
    if (this.line.length > MAX_MESSAGE_CHARS) this.line = '';
  }

  private field(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onMessage(this.data.length === 1 ? this.data[0]! : this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith('data:')) this.data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
  }
}

/**
 * Opens the stream at `url`; `lastEventId` (catch-up) goes in the Last-Event-ID header. `connect`
 * carries --header (on the GET) and --insecure, as a websocket upgrade would.
 */
export function openSse(
  url: string,
  lastEventId: number | undefined,
  on: SseHandlers,
  connect: { headers?: Record<string, string>; rejectUnauthorized?: boolean } = {},
): ReadControl {
  const headers: Record<string, string> = { ...connect.headers, accept: 'text/event-stream', 'cache-control': 'no-cache' };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const get = url.startsWith('https:') ? https.get : http.get;
  let res: http.IncomingMessage | undefined;
  let started = false;
  let ended = false;
  const chunkWatchers: ((chunk: Buffer) => void)[] = [];
  const req = get(url, { headers, agent: false, timeout: 30_000, rejectUnauthorized: connect.rejectUnauthorized ?? true }, (response) => {
    res = response;
    const type = String(response.headers['content-type'] ?? '');
    if (response.statusCode !== 200 || !type.startsWith('text/event-stream')) {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (s: string) => (body = (body + s).slice(0, 200)));
      response.on('end', () => finish(`HTTP ${response.statusCode} ${type || 'without a content type'}${body ? `: ${body.trim()}` : ''}`));
      setTimeout(() => finish(`HTTP ${response.statusCode} ${type || 'without a content type'}`), 1000).unref();
      return;
    }
    req.setTimeout(0);
    started = true;
    let at = 0;
    const parser = new SseParser((data) => on.message(Buffer.from(data), at));
    response.on('data', (chunk: Buffer) => {
      at = nowUs();
      for (const w of chunkWatchers) w(chunk);
      parser.push(chunk);
    });
    response.on('end', () => finish('the server ended the event stream'));
    response.on('aborted', () => finish('the event stream was cut off'));
    on.open(nowUs());
  });
  const finish = (reason: string): void => {
    if (ended) return;
    ended = true;
    if (started) on.closed(reason);
    else on.refused(reason);
    req.destroy();
  };
  req.on('timeout', () => finish('no response within 30 s'));
  req.on('error', (err) => finish(err.message));
  return {
    pause: () => res?.pause(),
    resume: () => res?.resume(),
    onChunk: (fn) => void chunkWatchers.push(fn),
    terminate: () => {
      ended = true;
      req.destroy();
    },
    socket: () => req.socket ?? undefined,
  };
}
