// Sends stream batches to a Prometheus remote-write endpoint without ever holding the run up: the
// bodies wait in a small queue (when the endpoint is slower than the run, the oldest waiting one is
// dropped and counted), one request is in flight at a time (remote write wants each series' samples
// in time order), and every request has a deadline. Credentials in the URL and the bearer token
// (EVBENCH_PROMETHEUS_TOKEN) go in the Authorization header only, never in a line printed.
import { remoteWriteBody, REMOTE_WRITE_HEADERS } from '../reports/remoteWrite.js';
import type { StreamBatch } from '../reports/streamRows.js';
import { redactText, redactUrl, rememberSecrets } from '../util/redact.js';
import { terminalSafe } from '../util/untrusted.js';

/** Bodies waiting to be sent: a few seconds of a run (a batch every 2 s). */
export const MAX_QUEUE = 8;
/** One request's deadline. */
export const REQUEST_TIMEOUT_MS = 5000;

export interface RemoteWriteOptions {
  /** The bearer token (EVBENCH_PROMETHEUS_TOKEN); wins over credentials in the URL. */
  token?: string;
  version?: string;
  maxQueue?: number;
  timeoutMs?: number;
}
/** What an endpoint's error body may add to the line that reports it. */
const MAX_ERROR_TEXT = 200;

export interface RemoteWriteStats {
  sent: number;
  dropped: number;
  failed: number;
  lastError?: string;
}

export class RemoteWriteSink {
  private readonly queue: Uint8Array[] = [];
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private sending: Promise<void> | undefined;
  private inFlight: AbortController | undefined;
  readonly stats: RemoteWriteStats = { sent: 0, dropped: 0, failed: 0 };
  /** The URL as it may be printed. */
  readonly shown: string;
  private readonly maxQueue: number;
  private readonly timeoutMs: number;

  constructor(url: string, opts: RemoteWriteOptions = {}) {
    const u = new URL(url);
    const { token } = opts;
    this.shown = redactUrl(url);
    this.maxQueue = opts.maxQueue ?? MAX_QUEUE;
    this.timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.headers = { ...REMOTE_WRITE_HEADERS, 'User-Agent': `evbench/${opts.version ?? 'dev'}` };
    if (u.username || u.password) {
      const user = decodeURIComponent(u.username);
      const password = decodeURIComponent(u.password);
      rememberSecrets([password, u.password]);
      this.headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      // fetch refuses a URL with credentials: they travel in the header
      u.username = u.password = '';
    }
    if (token !== undefined) {
      rememberSecrets([token]);
      this.headers.Authorization = `Bearer ${token}`;
    }
    this.endpoint = u.toString();
  }

  send(batch: StreamBatch): void {
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push(remoteWriteBody(batch));
    this.kick();
  }

  private kick(): void {
    if (this.sending) return;
    this.sending = this.pump().finally(() => {
      this.sending = undefined;
      // a body queued while the last request was finishing
      if (this.queue.length > 0) this.kick();
    });
  }

  private async pump(): Promise<void> {
    for (let body = this.queue.shift(); body !== undefined; body = this.queue.shift()) await this.post(body);
  }

  private async post(body: Uint8Array): Promise<void> {
    const controller = new AbortController();
    this.inFlight = controller;
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
    try {
      const res = await fetch(this.endpoint, { method: 'POST', headers: this.headers, body, signal: controller.signal });
      const text = await res.text().catch(() => '');
      if (res.ok) this.stats.sent++;
      else this.fail(`HTTP ${res.status}${text ? `: ${text.slice(0, MAX_ERROR_TEXT)}` : ''}`);
    } catch (err) {
      const e = err as Error & { cause?: Error };
      this.fail(
        controller.signal.aborted ? String((controller.signal.reason as Error)?.message ?? 'aborted') : (e.cause?.message ?? e.message),
      );
    } finally {
      clearTimeout(timer);
      this.inFlight = undefined;
    }
  }

  private fail(message: string): void {
    this.stats.failed++;
    this.stats.lastError = terminalSafe(redactText(message.replace(/\s+/g, ' ').trim()));
  }

  /** Waits up to `boundMs` for what is queued and in flight; then abandons the rest (counted as dropped). */
  async flush(boundMs: number): Promise<void> {
    if (!this.sending) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)));
    await Promise.race([this.sending, bound]);
    clearTimeout(timer);
    this.stats.dropped += this.queue.splice(0).length;
    this.inFlight?.abort(new Error(`still unanswered when the run ended`));
    await this.sending;
  }

  /** One line on what reached the endpoint, for stderr. */
  summary(): string {
    const { sent, dropped, failed, lastError } = this.stats;
    const parts = [`${sent} request(s) accepted`];
    if (dropped) parts.push(`${dropped} dropped (the endpoint was slower than the run)`);
    if (failed) parts.push(`${failed} failed (last: ${lastError ?? 'unknown'})`);
    return `prometheus-rw ${this.shown}: ${parts.join(', ')}`;
  }
}
