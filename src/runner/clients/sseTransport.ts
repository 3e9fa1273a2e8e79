// Server-Sent Events: a GET whose response never ends, read chunk by chunk. Every message a chunk
// completes arrived at that chunk's moment and is stamped once; pausing the response stops reading
// its socket, so the server's writes back up just as they do behind a stalled websocket.
import http from 'node:http';
import https from 'node:https';
import { nowUs } from '../../clock.js';
import type { ReadControl } from './transport.js';
import { MAX_MESSAGE_BYTES, UNBUDGETED_BYTES, type FrameFault } from './frameReader.js';
import { threadBudget, type MessageBudget } from './messageBudget.js';

export interface SseHandlers {
  /** The server answered 200 with an event stream. */
  open(atUs: number): void;
  /** One message's `data` (its lines joined by \n), stamped with its chunk's arrival. */
  message(data: Buffer, atUs: number): void;
  /** No stream: the connection failed or the server answered something else (status, first bytes). */
  refused(reason: string): void;
  /** The stream ended after it had started. */
  closed(reason: string): void;
  /** The stream broke a bound (a line or message too long, the worker's budget spent): it is failed. */
  fault(what: string, fault: FrameFault): void;
}

/** From the request to the response's headers, at most this long in all (not reset by each byte that trickles in). */
export const SSE_RESPONSE_TIMEOUT_MS = 30_000;

/**
 * A line, and a message's `data`, are bounded like a websocket message; so is the number of `data:`
 * lines one message may have. A target over a bound is at fault, and the stream is failed.
 */
export const MAX_SSE_MESSAGE_BYTES = MAX_MESSAGE_BYTES;
export const MAX_DATA_LINES = 4096;
const DATA_FIELD = Buffer.from('data:');
/** An unfinished line in more pieces than this is joined into one (a stream dribbled a few bytes per read). */
const MAX_LINE_PIECES = 256;

/**
 * Splits an event stream into messages (WHATWG HTML §9.2.6); `id:` and `event:` are not needed here.
 * It works on bytes: a line ends at LF (0x0a, never part of a UTF-8 sequence), and an unfinished line
 * is kept in the pieces it arrived in and joined once, when its end arrives.
 */
export class SseParser {
  private line: Buffer[] = [];
  private lineBytes = 0;
  /** The message's data lines so far: views into the chunk being parsed, then (from `held` on) copies. */
  private data: Buffer[] = [];
  private dataBytes = 0;
  /** How many of `data` are copies already (the ones from earlier chunks). */
  private held = 0;
  private failed = false;
  /** What this parser has taken from the worker's budget. */
  private charged = 0;

  constructor(
    private readonly onMessage: (data: Buffer) => void,
    private readonly onFault: (what: string, fault: FrameFault) => void = () => {},
    private readonly maxBytes = MAX_SSE_MESSAGE_BYTES,
    private readonly budget: MessageBudget = threadBudget,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      let line = chunk.subarray(start, nl);
      if (this.line.length > 0) {
        this.line.push(line);
        line = Buffer.concat(this.line, this.lineBytes + line.length);
        this.line = [];
        this.lineBytes = 0;
      }
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      this.field(line);
      if (this.failed) return;
      start = nl + 1;
    }
    // a message still unfinished keeps copies: a view would keep the whole chunk it arrived in alive
    for (; this.held < this.data.length; this.held++) this.data[this.held] = Buffer.from(this.data[this.held]!);
    if (start < chunk.length) {
      this.line.push(chunk.subarray(start));
      this.lineBytes += chunk.length - start;
      if (this.lineBytes > this.maxBytes) return this.fail(`an SSE line over ${this.maxBytes} bytes`, 'line_too_long');
      if (this.line.length > MAX_LINE_PIECES) this.line = [Buffer.concat(this.line, this.lineBytes)];
    }
    this.charge();
  }

  /** Gives back what this parser holds of the budget (its stream is gone). */
  release(): void {
    this.budget.recharge(this.charged, 0);
    this.charged = 0;
  }

  private field(line: Buffer): void {
    if (line.length === 0) {
      if (this.data.length > 0) this.onMessage(this.data.length === 1 ? this.data[0]! : joinLines(this.data, this.dataBytes));
      this.data = [];
      this.dataBytes = 0;
      this.held = 0;
      return;
    }
    if (line.length < 5 || DATA_FIELD.compare(line, 0, 5) !== 0) return;
    // a view: a message that completes in this chunk is handed on without a copy (push copies what it still holds)
    const value = line.subarray(line[5] === 32 ? 6 : 5);
    this.dataBytes += value.length + (this.data.length > 0 ? 1 : 0);
    if (this.dataBytes > this.maxBytes) return this.fail(`an SSE message over ${this.maxBytes} bytes`, 'message_too_large');
    if (this.data.length >= MAX_DATA_LINES) return this.fail(`an SSE message of more than ${MAX_DATA_LINES} data lines`, 'too_many_lines');
    this.data.push(value);
  }

  /** Charges the budget for what this parser holds beyond its own allowance; fails the stream when the budget is spent. */
  private charge(): void {
    const over = Math.max(0, this.lineBytes + this.dataBytes - UNBUDGETED_BYTES);
    if (over === this.charged) return;
    if (this.budget.recharge(this.charged, over)) {
      this.charged = over;
      return;
    }
    this.fail(
      `an unfinished SSE message of ${this.lineBytes + this.dataBytes} bytes while this worker's clients hold ${this.budget.held} (budget ${this.budget.limit})`,
      'worker_budget_exceeded',
    );
  }

  private fail(what: string, fault: FrameFault): void {
    this.failed = true;
    this.line = [];
    this.lineBytes = 0;
    this.data = [];
    this.dataBytes = 0;
    this.held = 0;
    this.release();
    this.onFault(what, fault);
  }
}

/** A message's data lines joined with \n. */
function joinLines(lines: Buffer[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const [i, l] of lines.entries()) {
    if (i > 0) out[at++] = 10;
    at += l.copy(out, at);
  }
  return out;
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
  let parser: SseParser | undefined;
  const req = get(url, { headers, agent: false, rejectUnauthorized: connect.rejectUnauthorized ?? true }, (response) => {
    clearTimeout(deadline);
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
    started = true;
    let at = 0;
    const stream = new SseParser(
      (data) => on.message(data, at),
      (what, fault) => {
        if (ended) return;
        ended = true;
        req.destroy();
        on.fault(what, fault);
      },
    );
    parser = stream;
    response.on('data', (chunk: Buffer) => {
      at = nowUs();
      for (const w of chunkWatchers) w(chunk);
      stream.push(chunk);
    });
    response.on('end', () => finish('the server ended the event stream'));
    response.on('aborted', () => finish('the event stream was cut off'));
    on.open(nowUs());
  });
  const finish = (reason: string): void => {
    parser?.release();
    if (ended) return;
    ended = true;
    if (started) on.closed(reason);
    else on.refused(reason);
    req.destroy();
  };
  const deadline = setTimeout(() => finish(`no response within ${SSE_RESPONSE_TIMEOUT_MS / 1000} s`), SSE_RESPONSE_TIMEOUT_MS);
  deadline.unref();
  req.on('error', (err) => finish(err.message));
  req.on('close', () => {
    clearTimeout(deadline);
    parser?.release();
  });
  return {
    pause: () => res?.pause(),
    resume: () => res?.resume(),
    onChunk: (fn) => void chunkWatchers.push(fn),
    terminate: () => {
      ended = true;
      clearTimeout(deadline);
      parser?.release();
      req.destroy();
    },
    socket: () => req.socket ?? undefined,
  };
}
