// Per-session limits on what a client sends, the same in both modes: a token bucket on client→server
// frames and pings (429, then close 1008 when the client keeps going), a byte bucket for subscribers,
// binary frames and malformed messages (400), and the filter-term budgets (413) per session, per
// token (anonymous sessions: per peer address), per peer address and server-wide. Every refusal is
// counted in /metrics.
import type { RawData, WebSocket } from 'ws';
import type { ClientRequest, ParseLimits, ParseResult } from './clientFrames.js';
import { maxBatchBytes, parseClientFrame } from './clientFrames.js';
import { isLoopbackAddress, peerOf } from './addressShares.js';
import { rawSocket } from './frame.js';
import { defaultFiltersPerAddress, type ServerOptions } from './options.js';
import type { Reader } from './permissions.js';
import type { ServerContext } from './serverContext.js';
import type { Subscriptions } from './subscriptions.js';
import type { StatusMessage } from '../protocol/v0.js';

/** Close code and reason for a client that keeps sending over its message rate. */
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_RATE_REASON = 'message rate limit';
/** Close code for a client whose unread replies (pongs, statuses) exceed its byte budget. */
const CLOSE_SLOW_CLIENT = 4008;

type SubscribeRequest = Extract<ClientRequest, { method: 'subscribe' }>;

/** The parser's limits: the same for every session of a server, so one object per server's options. */
const parseLimitsByOptions = new WeakMap<ServerOptions, ParseLimits>();
function parseLimitsOf(o: ServerOptions): ParseLimits {
  let limits = parseLimitsByOptions.get(o);
  if (!limits) parseLimitsByOptions.set(o, (limits = { maxFilters: o.maxFilters, maxBatchBytes: maxBatchBytes(o.queueBytes) }));
  return limits;
}

export class ClientGuard {
  private tokens: number;
  private refilledAt = performance.now();
  /** Byte bucket (subscribers only; publishers are trusted with their --max-frame-bytes). */
  private bytes: number;
  private readonly byteRate: number;
  private readonly byteBurst: number;
  /** 429s since the last admitted frame. */
  private strikes = 0;
  /** Filter terms this session holds in the shared budget. */
  private heldTerms = 0;
  private readonly holder: string;
  /** The peer's address, and how many filter terms its sessions may hold together. */
  private readonly address: string;
  private readonly addressShare: number;
  private readonly parseLimits: ParseLimits;

  constructor(
    private readonly ctx: ServerContext,
    private readonly ws: WebSocket,
    reader: Reader,
  ) {
    const o = ctx.options;
    this.tokens = o.messageBurst;
    this.byteRate = reader.mayPublish ? Infinity : o.maxByteRate;
    this.byteBurst = Math.max(o.maxByteRate, o.maxSubscriberFrameBytes);
    this.bytes = this.byteBurst;
    this.address = peerOf(rawSocket(ws));
    // Anonymous sessions share no secret: each peer address is its own holder, so one address cannot
    // take the budget every other anonymous client subscribes from.
    this.holder = reader.anonymous ? `anonymous@${this.address}` : (reader.holder ?? reader.name);
    this.addressShare =
      o.maxFiltersPerAddress ?? (isLoopbackAddress(this.address) ? Infinity : defaultFiltersPerAddress(o.maxFiltersTotal));
    this.parseLimits = parseLimitsOf(o);
  }

  /**
   * One client frame → a request to handle, or the status to reply. Over the rate (frames, or bytes
   * for a subscriber) it is a 429 and the frame is not parsed; `messageBurst` refusals in a row close
   * the session with 1008 (the caller's reply then goes nowhere, as the socket is no longer open).
   */
  read(data: RawData, isBinary: boolean): ParseResult {
    const { options, metrics } = this.ctx;
    const length = (data as Buffer).length;
    if (!this.take(length)) {
      const rate =
        this.tokens < 1
          ? `message rate of ${options.maxMessageRate}/s (--max-message-rate)`
          : `byte rate of ${options.maxByteRate} B/s (--max-byte-rate)`;
      this.strike();
      return { error: { status: 429, message: `over the ${rate}` } };
    }
    this.strikes = 0;
    if (isBinary) {
      metrics.refused('bad_message');
      return { error: { status: 400, message: 'binary frames are not supported; send JSON text' } };
    }
    const parsed = parseClientFrame(data.toString(), this.parseLimits);
    if ('error' in parsed) metrics.refused(parsed.error.status === 413 ? 'too_many_filters' : 'bad_message');
    return parsed;
  }

  /**
   * A client ping, answered under the same frame rate as messages (ws's own auto-pong is off, as it
   * terminated a client after 60 unanswered pings without counting it). The pong counts against the
   * session's byte budget like any reply.
   */
  ping(data: Buffer): void {
    if (!this.take(data.length)) return this.strike();
    this.strikes = 0;
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.ctx.options.queueBytes) {
      this.ctx.metrics.refused('reply_over_budget');
      this.ctx.metrics.slowClientCloses++;
      this.ws.close(CLOSE_SLOW_CLIENT, 'slow client');
      return;
    }
    this.ws.pong(data);
  }

  /** A 413 naming the limit when `request` would take the session, its token or the server over a filter budget. */
  admitSubscription(subs: Subscriptions, request: SubscribeRequest): StatusMessage | undefined {
    const { options, metrics, filterBudget } = this.ctx;
    if (subs.size >= options.maxSubscriptions) {
      metrics.refused('too_many_subscriptions');
      return { status: 413, message: `a session may hold at most ${options.maxSubscriptions} subscriptions (--max-subscriptions)` };
    }
    const terms = request.terms;
    if (subs.filterTerms + terms > options.maxFilters) {
      metrics.refused('too_many_filters');
      return {
        status: 413,
        message: `a session may hold at most ${options.maxFilters} filter terms (--max-filters); it holds ${subs.filterTerms} and this subscription adds ${terms}`,
      };
    }
    if (filterBudget.held(this.holder) + terms > options.maxFiltersPerToken) {
      metrics.refused('too_many_filters_token');
      return {
        status: 413,
        message: `the sessions of one token may hold at most ${options.maxFiltersPerToken} filter terms together (--max-filters-per-token)`,
      };
    }
    if (filterBudget.heldByAddress(this.address) + terms > this.addressShare) {
      metrics.refused('too_many_filters_address');
      return {
        status: 413,
        message: `the sessions of one address may hold at most ${this.addressShare} filter terms together (--max-filters-per-address)`,
      };
    }
    if (filterBudget.total + terms > options.maxFiltersTotal) {
      metrics.refused('too_many_filters_server');
      return {
        status: 413,
        message: `the server holds its limit of ${options.maxFiltersTotal} filter terms (--max-filters-total); try again later`,
      };
    }
    this.heldTerms += terms;
    filterBudget.take(this.holder, this.address, terms);
    return undefined;
  }

  /** Gives back the terms of removed subscriptions. */
  release(terms: number): void {
    const n = Math.min(terms, this.heldTerms);
    this.heldTerms -= n;
    this.ctx.filterBudget.give(this.holder, this.address, n);
  }

  /** The session is gone: every term it held goes back to the budgets. */
  releaseAll(): void {
    this.release(this.heldTerms);
  }

  private strike(): void {
    const { options, metrics } = this.ctx;
    if (this.strikes >= options.messageBurst) {
      // Already closing with 1008: frames still in flight are dropped without a reply.
    } else if (++this.strikes === options.messageBurst) {
      metrics.refused('rate_abuse');
      this.ws.close(CLOSE_POLICY_VIOLATION, CLOSE_RATE_REASON);
    } else {
      metrics.refused('rate_limited');
    }
  }

  /** Takes one frame token and `length` byte tokens (subscribers), or neither. */
  private take(length: number): boolean {
    const now = performance.now();
    const elapsed = now - this.refilledAt;
    const { maxMessageRate, messageBurst } = this.ctx.options;
    this.tokens = Math.min(messageBurst, this.tokens + (elapsed * maxMessageRate) / 1000);
    if (this.byteRate !== Infinity) this.bytes = Math.min(this.byteBurst, this.bytes + (elapsed * this.byteRate) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    if (this.byteRate !== Infinity && this.bytes < length) return false;
    this.tokens -= 1;
    if (this.byteRate !== Infinity) this.bytes -= length;
    return true;
  }
}
