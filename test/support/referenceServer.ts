// Test helpers for the reference server: a recording websocket client, bounded waits, and cleanup
// of every server and socket a test opened.
import WebSocket from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import type { EventMessage, StatusMessage } from '../../src/protocol/v0.js';
import { STORE_NOTICES } from '../../src/server/publishing.js';

export const PUBLISHER = 'pub-token';

const servers: RunningServer[] = [];
const clients: TestClient[] = [];

export async function server(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const s = await startServer({ publisherToken: PUBLISHER, ...options });
  servers.push(s);
  return s;
}

/** Call from afterEach: closes every client, then every server. */
export async function cleanup(): Promise<void> {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
}

/** Polls `condition` every 5 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Like waitUntil, for a condition that has to ask over the network. */
export async function waitUntilAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until `value()` has not changed for `quietMs` (bounded by `timeoutMs`); returns it. */
export async function settle(value: () => number, quietMs = 500, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = value();
  let since = Date.now();
  while (Date.now() - since < quietMs && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}

/** The status every session gets when the event store goes away or comes back (`availabilityNotice`). */
function isStoreNotice(status: StatusMessage): boolean {
  return status.message === STORE_NOTICES.paused || status.message === STORE_NOTICES.resumed;
}

export class TestClient {
  readonly events: EventMessage[] = [];
  readonly statuses: StatusMessage[] = [];
  /** The statuses that answer a request: all but the notices the server sends every session unasked. */
  private readonly replies: StatusMessage[] = [];
  /** Every message in arrival order, as received. */
  readonly raw: string[] = [];
  closeCode: number | undefined;
  closeReason = '';
  keepRaw = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      if (this.keepRaw) this.raw.push(text);
      const message = JSON.parse(text) as EventMessage | StatusMessage;
      if ('msgID' in message) this.events.push(message);
      else {
        this.statuses.push(message);
        if (!isStoreNotice(message)) this.replies.push(message);
      }
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    ws.on('error', () => {});
  }

  static async open(
    url: string,
    token?: string,
    headers: Record<string, string> = {},
    options: WebSocket.ClientOptions = {},
  ): Promise<TestClient> {
    const ws = new WebSocket(token === undefined ? url : `${url}?api_token=${encodeURIComponent(token)}`, { ...options, headers });
    const client = new TestClient(ws);
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * Sends a request and resolves with the next status that answers one. A store availability notice
   * can arrive between a request and its reply; taking it for the reply would pair every later
   * reply with the request before it.
   */
  async request(message: unknown, timeoutMs = 10_000): Promise<StatusMessage> {
    const index = this.replies.length;
    this.send(message);
    await waitUntil(() => this.replies.length > index, `a reply to ${JSON.stringify(message).slice(0, 80)}`, timeoutMs);
    return this.replies[index]!;
  }

  async subscribe(extra: Record<string, unknown> = {}): Promise<StatusMessage> {
    const reply = await this.request({ method: 'subscribe', ...extra });
    if (reply.status !== 200) throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  async publish(events: Record<string, unknown>[]): Promise<StatusMessage> {
    return this.request({ method: 'publish', events });
  }

  ids(): number[] {
    return this.events.map((e) => e.id);
  }
}

/** Resolves with the HTTP status a websocket upgrade got refused with (or 101 when it opened). */
export function upgradeStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}
