// Publishing to a server that speaks its own JSON: evbench gives each event its id and intended
// time in the configured fields (or fills the --publish-body template) and sends it as a websocket
// frame (`ws`: plain, or wrapped by the protocol's session: NATS PUB, MQTT PUBLISH) or an HTTP POST.
import WebSocket from 'ws';
import type { GenericOptions } from '../../scenario/types.js';
import type { WireSession } from '../adapters/adapter.js';
import { adapterFor } from '../adapters/registry.js';
import { setPath, usToTime } from '../adapters/generic.js';
import type { PublisherInit } from '../threadMessages.js';
import { targetConnectOptions, withToken } from '../url.js';
import type { OutgoingEvent, Sink, SinkCallbacks } from './sink.js';

/** Ids evbench gives: prefill events take 1…prefill, scheduled event k takes prefill + k + 1. */
export function idOf(init: PublisherInit, k: number): number {
  return init.scenario.publisher.prefill + k + 1;
}

export function eventJson(init: PublisherInit, g: GenericOptions, pad: string, e: OutgoingEvent): string {
  if (g.publishBody !== undefined) {
    const ts = usToTime(e.intendedUs, g.timeUnit);
    return g.publishBody
      .replaceAll('{{id}}', String(idOf(init, e.k)))
      .replaceAll('{{ts}}', String(ts))
      .replaceAll('{{payload}}', pad);
  }
  const body: Record<string, unknown> = {};
  setPath(body, g.idField.split('.'), idOf(init, e.k));
  setPath(body, g.timeField.split('.'), usToTime(e.intendedUs, g.timeUnit));
  body.evbench_sent_us = e.sentUs;
  body.payload = pad;
  return JSON.stringify(body);
}

export class GenericWsSink implements Sink {
  private ws?: WebSocket;
  private closing = false;
  private readonly pad: string;
  /** NATS, MQTT: the protocol's own conversation around each event. */
  private readonly session?: WireSession;
  private keepalive?: NodeJS.Timeout;

  constructor(
    private readonly init: PublisherInit,
    private readonly g: GenericOptions,
    private readonly cb: SinkCallbacks,
  ) {
    this.pad = 'x'.repeat(init.scenario.publisher.payloadBytes);
    this.session = adapterFor(init.scenario).session?.('publisher');
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const adapter = adapterFor(this.init.scenario);
      const ws = new WebSocket(withToken(this.init.url, this.init.token), adapter.protocols, {
        perMessageDeflate: false,
        ...targetConnectOptions(this.init.scenario, this.init.token),
      });
      this.ws = ws;
      const session = this.session;
      ws.once('open', () => {
        if (session) {
          for (const frame of session.opening()) ws.send(frame);
          const k = session.keepalive;
          if (k) this.keepalive = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(k.frame), k.intervalMs).unref();
        }
        if (!session?.confirms) resolve(); // else: publish once the channel is subscribed (ActionCable performs need it)
      });
      // a relay may echo to its publisher: not ours to count; a protocol may want answers (PONG)
      ws.on('message', (data: Buffer, binary: boolean) => {
        session?.read(data, binary, {
          event: () => {},
          other: () => {},
          send: (frame) => ws.readyState === WebSocket.OPEN && ws.send(frame),
          refused: (reason) => this.cb.onFatal(`publisher connection: ${reason}`),
          closing: (reason) => this.cb.onFatal(`publisher connection: ${reason}`),
          subscribed: () => resolve(),
        });
      });
      ws.on('error', (err) => {
        reject(new Error(err.message));
        this.cb.onFatal(`publisher connection: ${err.message}`);
      });
      ws.on('close', (code) => {
        if (!this.closing) this.cb.onFatal(`publisher connection closed by the target (${code})`);
      });
    });
  }

  send(events: OutgoingEvent[]): void {
    if (events.length === 0) return;
    const ws = this.ws!;
    const session = this.session;
    for (const e of events) {
      const body = eventJson(this.init, this.g, this.pad, e);
      ws.send(session?.publish ? session.publish(body) : body);
    }
    // no acknowledgement in a foreign protocol: the id is ours, known the moment it is sent
    this.cb.onIds(events[0]!.k, idOf(this.init, events[0]!.k), events.length);
  }

  async settle(): Promise<void> {}

  backlogBytes(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  close(): void {
    this.closing = true;
    clearInterval(this.keepalive);
    this.ws?.close(1000);
  }
}

const MAX_IN_FLIGHT = 256;

export class GenericHttpSink implements Sink {
  private saidStatus = false;
  private accepted = 0;
  private readonly headers: Record<string, string>;
  private inFlight = 0;
  private queued: string[] = [];
  private readonly pad: string;
  private idle?: () => void;

  constructor(
    private readonly init: PublisherInit,
    private readonly g: GenericOptions,
    private readonly url: string,
    private readonly cb: SinkCallbacks,
  ) {
    this.pad = 'x'.repeat(init.scenario.publisher.payloadBytes);
    // --header applies to every request evbench makes of the target; --publish-header to publishing only
    this.headers = {
      'content-type': 'application/json',
      ...targetConnectOptions(init.scenario, init.token).headers,
      ...Object.fromEntries(g.publishHeaders ?? []),
    };
  }

  async open(): Promise<void> {
    // nothing to hold open; the first POST tells whether the endpoint is there
  }

  private post(body: string): void {
    this.inFlight++;
    fetch(this.url, { method: 'POST', headers: this.headers, body, signal: AbortSignal.timeout(10_000) })
      .then(async (res) => {
        const text = await res.text();
        if (!res.ok) {
          // the first refusal says what the endpoint answered, once: a wrong URL or token is a user's to fix
          if (!this.saidStatus) {
            this.saidStatus = true;
            if (this.accepted === 0)
              this.cb.onFatal(`POST ${this.url} answered HTTP ${res.status} ${res.statusText}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`);
          }
          this.cb.onError();
        } else this.accepted++;
      })
      .catch((err: Error) => {
        if (
          this.inFlight === 1 &&
          this.queued.length === 0 &&
          /ECONNREFUSED|ENOTFOUND/.test(String((err as { cause?: unknown }).cause ?? err.message))
        ) {
          this.cb.onFatal(`cannot POST to ${this.url}: ${String((err as { cause?: { code?: string } }).cause?.code ?? err.message)}`);
        }
        this.cb.onError();
      })
      .finally(() => {
        this.inFlight--;
        const next = this.queued.shift();
        if (next !== undefined) this.post(next);
        else if (this.inFlight === 0) this.idle?.();
      });
  }

  send(events: OutgoingEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      const body = eventJson(this.init, this.g, this.pad, e);
      if (this.inFlight < MAX_IN_FLIGHT) this.post(body);
      else this.queued.push(body); // the schedule does not wait; the wait shows as latency
    }
    this.cb.onIds(events[0]!.k, idOf(this.init, events[0]!.k), events.length);
  }

  settle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  backlogBytes(): number {
    return this.queued.reduce((a, b) => a + b.length, 0);
  }

  close(): void {}
}

/** How evbench publishes to a foreign adapter by default: POST each event (publish http:URL), or send it over a socket. */
export function genericSink(init: PublisherInit, generic: GenericOptions | undefined, cb: SinkCallbacks): Sink {
  if (generic!.publish.kind === 'http') return new GenericHttpSink(init, generic!, generic!.publish.url, cb);
  return new GenericWsSink(init, generic!, cb);
}
