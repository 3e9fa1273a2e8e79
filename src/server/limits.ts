// Per-session limits on what a client sends, the same in both modes: a token bucket on client→server
// frames (429, then close 1008 when the client keeps going), binary frames and malformed messages
// (400), and the subscription and filter budgets (413). Every refusal is counted in /metrics.
import type { RawData, WebSocket } from 'ws';
import type { ClientRequest, ParseResult } from './messages.js';
import { filterTerms, parseClientFrame } from './messages.js';
import type { ServerContext, Subscriptions } from './session.js';
import type { StatusMessage } from '../protocol/v0.js';

/** Close code and reason for a client that keeps sending over its message rate. */
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_RATE_REASON = 'message rate limit';

type SubscribeRequest = Extract<ClientRequest, { method: 'subscribe' }>;

export class ClientGuard {
  private tokens: number;
  private refilledAt = performance.now();
  /** 429s since the last admitted frame. */
  private strikes = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly ws: WebSocket,
  ) {
    this.tokens = ctx.options.messageBurst;
  }

  /**
   * One client frame → a request to handle, or the status to reply. Over the rate it is a 429 and
   * the frame is not parsed; `messageBurst` refusals in a row close the session with 1008 (the
   * caller's reply then goes nowhere, as the socket is no longer open).
   */
  read(data: RawData, isBinary: boolean): ParseResult {
    const { options, metrics } = this.ctx;
    if (!this.take()) {
      if (this.strikes >= options.messageBurst) {
        // Already closing with 1008: frames still in flight are dropped without a reply.
      } else if (++this.strikes === options.messageBurst) {
        metrics.refused('rate_abuse');
        this.ws.close(CLOSE_POLICY_VIOLATION, CLOSE_RATE_REASON);
      } else {
        metrics.refused('rate_limited');
      }
      return { error: { status: 429, message: `over the message rate of ${options.maxMessageRate}/s (--max-message-rate)` } };
    }
    this.strikes = 0;
    if (isBinary) {
      metrics.refused('bad_message');
      return { error: { status: 400, message: 'binary frames are not supported; send JSON text' } };
    }
    const parsed = parseClientFrame(data.toString());
    if ('error' in parsed) metrics.refused('bad_message');
    return parsed;
  }

  /** A 413 naming the limit when `request` would take the session over its subscription or filter budget. */
  admitSubscription(subs: Subscriptions, request: SubscribeRequest): StatusMessage | undefined {
    const { options, metrics } = this.ctx;
    if (subs.size >= options.maxSubscriptions) {
      metrics.refused('too_many_subscriptions');
      return { status: 413, message: `a session may hold at most ${options.maxSubscriptions} subscriptions (--max-subscriptions)` };
    }
    const terms = filterTerms(request.filters);
    if (subs.filterTerms + terms > options.maxFilters) {
      metrics.refused('too_many_filters');
      return {
        status: 413,
        message: `a session may hold at most ${options.maxFilters} filter terms (--max-filters); it holds ${subs.filterTerms} and this subscription adds ${terms}`,
      };
    }
    return undefined;
  }

  private take(): boolean {
    const now = performance.now();
    const { maxMessageRate, messageBurst } = this.ctx.options;
    this.tokens = Math.min(messageBurst, this.tokens + ((now - this.refilledAt) * maxMessageRate) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
