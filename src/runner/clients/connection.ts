// One subscribed client: connects, subscribes, reads frames and feeds its account. Behaviours
// (stall, rate, delay, catch-up) change how it reads; they live in files named after them.
import WebSocket from 'ws';
import { nowUs } from '../../clock.js';
import type { Account } from '../../measurement/accounting.js';
import { newScannedEvent, type ScannedEvent } from '../../measurement/frameScan.js';
import { phaseAt, type Timeline } from '../../measurement/schedule.js';
import type { GroupRecorder } from '../../measurement/recorder.js';
import { CLOSE_SLOW_CLIENT } from '../../protocol/v0.js';
import type { GroupSpec } from '../../scenario/types.js';
import type { ClientResult } from '../threadMessages.js';
import type { WireAdapter, WireOutput, WireSession } from '../adapters/adapter.js';
import type { Socket } from 'node:net';
import { BareWebSocket, bareApplies, type BareReader } from './bareWebSocket.js';
import { echoableCloseCode, FrameReader, type FrameFault, type FrameHandlers } from './frameReader.js';
import { BUDGET_FAULT } from './messageBudget.js';
import { openSse } from './sseTransport.js';
import { BareReadControl, WsReadControl, type ReadControl } from './transport.js';
import type { PushbackSubject } from '../pushback.js';

const scratch = newScannedEvent();

export interface ConnectionContext {
  url: string;
  group: GroupSpec;
  groupIndex: number;
  rec: GroupRecorder;
  tl: Timeline;
  /** Highest id the target has acknowledged to the publisher (catch-up and window fallbacks). */
  headId: () => number;
  adapter: WireAdapter;
  /** Frames that are not events (no id field), and the first one seen, for the diagnostic. */
  noteNonEvent: (data: Buffer) => void;
  /** Upgrade headers (--header) and TLS leniency (--insecure) for a URL target. */
  connectOptions?: { headers?: Record<string, string>; rejectUnauthorized?: boolean };
  /** How long the opening handshake may take (default HANDSHAKE_TIMEOUT_MS). */
  handshakeTimeoutMs?: number;
}

/** Without acks, the head this long after subscribing is where the client's window starts. */
const NO_ACK_SETTLE_MS = 250;
/** After answering a server's close frame, how long the server gets to close the TCP connection. */
const CLOSE_GRACE_MS = 1000;
/**
 * The opening handshake must finish within this long. Timed here rather than with ws's
 * handshakeTimeout, which leaves a cleared socket timer (and its bound callback) on every open
 * connection for good: ~250 bytes per idle client.
 */
export const HANDSHAKE_TIMEOUT_MS = 30_000;
/** Pongs are skipped while this much is unsent: a ping flood from a target that never reads cannot grow our buffers. */
const PONG_BACKLOG_BYTES = 64 * 1024;

/** The socket under a ws connection (ws keeps it private). */
function socketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}

/** What the connection speaks through: ws, or the bare-socket websocket of the fast path (bareWebSocket.ts). */
type Ws = WebSocket | BareWebSocket;

export class ClientConnection implements FrameHandlers, BareReader {
  ws?: Ws;
  /** How this client's bytes arrive: what stall, rate and delay pause, resume and watch. */
  protected reading?: ReadControl;
  connectUs = NaN;
  ackUs = NaN;
  closedByServer?: number;
  private closeReason?: string;
  private closedAtUs?: number;
  private refused?: 'connect' | 'subscribe';
  private startedUs = 0;
  /** The head when the client set out: what it is owed from if it never gets to subscribe. */
  private headAtOpen = 0;
  private subscribeSentUs = 0;
  private acked = false;
  /** The subscription stands (acknowledged, or sent where the protocol has no acknowledgement). */
  private subscribed = false;
  /** The runner ended the connection over a frame no server may send: a fault of the server's, but no pushback. */
  private failedOnFrame = false;
  private leaving = false;
  /** What the target sent that the reader refused, and pings left unanswered (see frameReader.ts). */
  private frameFaults?: Record<string, number>;
  /** The runner's own limit (its thread's message budget) failed this client: not the server's doing. */
  private limitedByRunner = false;
  private socketError?: string;
  /** Slow behaviours read a slow client's window at a time (bareWebSocket.ts), as they did through ws. */
  protected readonly slowReads: boolean = false;

  constructor(
    readonly clientId: number,
    protected readonly ctx: ConnectionContext,
    readonly account: Account,
  ) {}

  /** The TCP socket under the connection, once open. */
  socket(): Socket | undefined {
    return this.reading?.socket();
  }

  /** When the server closed or refused this client, µs since t0 (undefined while it has not). */
  endedByServerAtUs(): number | undefined {
    return this.closedByServer !== undefined || this.refused !== undefined ? this.closedAtUs : undefined;
  }

  /**
   * This client as a pushback watch sees it (runner/pushback.ts): its socket only while it is
   * subscribed, and a close only when the server closed it (a close frame, a reset, an ended stream)
   * after it was open and subscribed. A refused connect or subscription held no backlog, and a
   * connection the runner failed itself (a frame it would not read) says nothing of the server.
   */
  pushbackSubject(): PushbackSubject {
    const counts = (): boolean => this.subscribed && this.refused === undefined && !this.failedOnFrame && !this.limitedByRunner;
    return {
      socket: () => (counts() ? this.socket() : undefined),
      closedAtUs: () => (counts() && this.closedByServer !== undefined ? this.closedAtUs : undefined),
      settled: () => this.refused !== undefined || this.failedOnFrame || this.limitedByRunner,
    };
  }

  /** Bytes read from the network so far (0 before the connection opened). */
  bytesRead(): number {
    return this.reading?.socket()?.bytesRead ?? 0;
  }

  /** The opening handshake is under way: neither connected nor failed yet. */
  get connecting(): boolean {
    return this.connectUs !== this.connectUs && this.refused === undefined && !this.leaving;
  }

  /** The id to replay from (catch-up overrides it); undefined for a live-only subscription. */
  protected replayFrom(): number | undefined {
    return undefined;
  }

  /** Called once the subscription is acknowledged (stall pauses reading here). */
  protected onSubscribed(): void {}

  /** Without an acknowledgement, a catch-up client is owed the replay (replayFrom, head] and everything live after it. */
  protected owedReplayWithoutAck(headId: number, atUs: number, replayFrom: number): void {
    this.account.subscribed(headId, atUs, replayFrom);
  }

  /** Receives each event as read from its frame (`ev` is reused: copy it to keep it). */
  protected onEvent(ev: ScannedEvent, atUs: number): void {
    this.account.onEvent(ev, atUs);
  }

  private phaseNow(): number {
    return phaseAt(this.ctx.tl, nowUs());
  }

  open(): void {
    this.startedUs = nowUs();
    this.headAtOpen = this.ctx.headId();
    if (this.ctx.adapter.transport === 'sse') return this.openSse();
    const headers = this.ctx.connectOptions?.headers;
    // ws:// reads on a bare socket (many frames per read, no stream events); wss:// and the rest through ws
    const ws: Ws = bareApplies(this.ctx.url, headers)
      ? new BareWebSocket(this.ctx.url, this.ctx.adapter.protocols, headers, this, this.slowReads)
      : new WebSocket(this.ctx.url, this.ctx.adapter.protocols, {
          perMessageDeflate: false,
          skipUTF8Validation: true,
          ...this.ctx.connectOptions,
        });
    this.ws = ws;
    this.session = this.ctx.adapter.session?.('subscriber');
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      if (ws.readyState !== WebSocket.CONNECTING) return;
      this.handshakeTimedOut = true;
      ws.terminate(); // 'error', then 'close', as for any failed connect
    }, this.ctx.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS).unref();
    ws.once('open', () => {
      this.endHandshakeTimer();
      if (ws instanceof BareWebSocket) this.readBareFrames(ws);
      else {
        this.readFramesDirectly(ws); // before anything can arrive: ws has not read from the socket yet
        this.reading = new WsReadControl(ws);
      }
      this.connectUs = nowUs() - this.startedUs;
      this.ctx.rec.connectTime(this.phaseNow(), this.connectUs);
      this.subscribeSentUs = nowUs();
      this.headAtSubscribe = this.ctx.headId();
      const replayFrom = this.replayFrom();
      if (this.session) {
        for (const frame of this.session.opening()) ws.send(frame);
        this.startKeepalive(ws, this.session);
      } else {
        const message = this.ctx.adapter.subscribeMessage(this.ctx.group.eventTypes, replayFrom);
        if (message !== undefined) ws.send(message);
      }
      if (!this.ctx.adapter.acks) {
        // a catch-up client is owed the replay (replayFrom, head] and everything live after it
        if (replayFrom !== undefined) this.owedReplayWithoutAck(this.headAtSubscribe, nowUs(), replayFrom);
        // no acknowledgement will come: the window starts where the stream is once the request settled
        else setTimeout(() => (this.headAtSubscribe = this.ctx.headId()), NO_ACK_SETTLE_MS).unref();
        if (!this.session?.confirms) this.nowSubscribed();
      }
    });
    ws.on('error', (err: Error) => {
      this.endHandshakeTimer();
      if (this.leaving || this.connectUs === this.connectUs) return; // after open, 'close' tells the story
      this.refused = 'connect';
      this.ctx.rec.count(this.phaseNow(), 'connectErrors');
      this.noteEnd(this.handshakeTimedOut ? 'Opening handshake has timed out' : err.message);
    });
    ws.on('close', (wsCode: number, wsReason: Buffer) => {
      this.reader?.release(); // what it held of an unfinished message goes back to the worker's budget
      if (this.leaving || this.refused === 'connect' || this.limitedByRunner) return;
      // still owed every event until its phase ends: the account's leave time does not move
      const code = this.serverCloseCode ?? wsCode;
      this.closedByServer = code;
      const phase = this.phaseNow();
      this.ctx.rec.count(phase, code === CLOSE_SLOW_CLIENT ? 'slowCloses' : 'serverCloses');
      const socketError = this.socketError ?? (ws instanceof BareWebSocket ? ws.socketError : undefined);
      this.noteEnd(this.serverCloseReason ?? (wsReason.toString() || socketError || 'connection lost without a close frame'));
    });
  }

  private handshakeTimer?: NodeJS.Timeout;
  private handshakeTimedOut = false;

  /** Drops the handshake timer, so an open connection keeps no timer object. */
  private endHandshakeTimer(): void {
    if (this.handshakeTimer === undefined) return;
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private session?: WireSession;
  private sessionSubscribed = false;
  private keepaliveTimer?: NodeJS.Timeout;

  /** Client-driven keepalive (MQTT PINGREQ), sent only while the client reads: a paused socket sends nothing. */
  private startKeepalive(ws: Ws, session: WireSession): void {
    const k = session.keepalive;
    if (!k) return;
    this.keepaliveTimer = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN && !ws.isPaused) ws.send(k.frame);
    }, k.intervalMs);
    this.keepaliveTimer.unref();
    ws.once('close', () => clearInterval(this.keepaliveTimer));
  }

  /** What a session reports, routed as a v0 frame would be. */
  private sessionOutput(ws: Ws, at: () => number): WireOutput {
    return {
      event: (ev) => this.onEvent(ev, at()),
      other: (data) => this.ctx.noteNonEvent(data),
      send: (frame) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      },
      refused: (reason) => {
        if (this.refused !== undefined) return;
        this.refused = 'subscribe';
        this.ctx.rec.count(this.phaseNow(), 'subscribeRefusals');
        this.noteEnd(reason);
      },
      subscribed: () => {
        if (this.session?.confirms && !this.sessionSubscribed) {
          this.sessionSubscribed = true;
          this.nowSubscribed();
        }
      },
      closing: (reason) => this.noteEnd(reason), // the close that follows counts it; this is why
    };
  }

  private countFault(kind: string): void {
    this.frameFaults ??= {};
    this.frameFaults[kind] = (this.frameFaults[kind] ?? 0) + 1;
  }

  /**
   * The runner's message budget, not the server, ended this client: the fault is counted (the run is
   * then invalid, see budgetLimitedClients) and the client is never taken as closed by the server.
   */
  private failedByRunner(fault: FrameFault, what: string): void {
    this.countFault(fault);
    this.limitedByRunner = true;
    this.noteEnd(`failed by the runner: ${what}`);
  }

  private noteEnd(reason: string): void {
    this.closeReason ??= reason.slice(0, 200);
    this.closedAtUs ??= nowUs() - this.ctx.tl.t0Us;
  }

  /** The close code the server sent, read from its close frame. */
  private serverCloseCode?: number;
  private serverCloseReason?: string;

  private reader?: FrameReader;
  /** When the chunk being read arrived: every message in one chunk arrived at the same moment. */
  private chunkAtUs = 0;
  /** A session's outputs (adapters with a session), made once per connection. */
  private sessionOut?: WireOutput;

  /**
   * Takes the socket's bytes from ws and splits frames here (see frameReader.ts): every message in
   * one chunk arrived at the same moment, so it is stamped once. Control frames are answered
   * through ws, which still owns sending. The connection is the reader's handlers itself (the
   * `on…` methods below): an idle client then holds no closure per handler.
   */
  private readFramesDirectly(ws: WebSocket): void {
    const socket = socketOf(ws);
    if (!socket || ws.readyState !== WebSocket.OPEN) return;
    if (this.session) this.sessionOut = this.sessionOutput(ws, () => this.chunkAtUs);
    const reader = new FrameReader(this);
    this.reader = reader;
    socket.on('error', (err: NodeJS.ErrnoException) => (this.socketError ??= err.code ?? err.message));
    for (const listener of socket.listeners('data')) socket.removeListener('data', listener as (chunk: Buffer) => void);
    socket.on('data', (chunk: Buffer) => {
      this.chunkAtUs = nowUs();
      reader.push(chunk);
    });
  }

  /**
   * The fast path: the bare socket's reads come to `onBytes` (the connection is its reader, as it is
   * the frame reader's handlers: no closure per client).
   */
  private readBareFrames(ws: BareWebSocket): void {
    if (this.session) this.sessionOut = this.sessionOutput(ws, () => this.chunkAtUs);
    this.reader = new FrameReader(this);
    this.reading = new BareReadControl(ws);
  }

  /** BareReader: the bytes of one read, `buffer[0, end)` of the thread's reused buffer (the reader copies what it keeps). */
  onBytes(buffer: Buffer, end: number): void {
    this.chunkAtUs = nowUs();
    this.reader?.push(buffer, true, end);
  }

  /** FrameHandlers: a whole message from the server. */
  onMessage(data: Buffer, binary: boolean): void {
    // a session that keeps bytes across messages (an MQTT packet split over two) never gets the reused read buffer
    const session = this.session;
    if (session) session.read(session.keepsInput && this.ws instanceof BareWebSocket ? Buffer.from(data) : data, binary, this.sessionOut!);
    else this.readMessage(data, binary, this.chunkAtUs, this.ws);
  }

  /** FrameHandlers: answered through ws, unless our unsent bytes pile up. */
  onPing(payload: Buffer): void {
    const socket = this.socket();
    if (socket && socket.writableLength < PONG_BACKLOG_BYTES) this.ws!.pong(payload);
    else this.countFault('pings_unanswered');
  }

  /** FrameHandlers: the server's close frame. */
  onClose(code: number, reason: string): void {
    const ws = this.ws!;
    this.serverCloseCode = code;
    this.serverCloseReason = reason;
    ws.close(echoableCloseCode(code) ? code : 1000); // the reader lets only these through, but 1005 (no code) too: ws would throw on it
    // a server that never closes its side does not keep the client (or the run) waiting
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** FrameHandlers: a frame no server may send, or one the runner had no room for. */
  onProtocolError(what: string, code: number, fault: FrameFault): void {
    if (fault === BUDGET_FAULT) {
      this.failedByRunner(fault, what);
      return void this.ws!.terminate();
    }
    this.countFault(fault);
    this.failedOnFrame = true;
    this.serverCloseCode = code;
    this.serverCloseReason = `protocol error: ${what}`;
    this.ws!.terminate();
  }

  private readMessage(data: Buffer, binary: boolean, atUs: number, ws?: Ws): void {
    if (binary) return void this.ctx.noteNonEvent(data);
    const kind = this.ctx.adapter.read(data, scratch);
    if (kind === 'event') this.onEvent(scratch, atUs);
    else if (kind === 'status') this.onStatus(data, atUs);
    else if (kind === 'keepalive') ws?.send(this.ctx.adapter.keepaliveAnswer!(data));
    else this.ctx.noteNonEvent(data);
  }

  /**
   * Server-Sent Events: one HTTP request whose response is the stream. The response is the
   * subscription's acknowledgement; a catch-up client asks for its replay with Last-Event-ID.
   */
  private openSse(): void {
    const from = this.replayFrom();
    this.subscribeSentUs = nowUs();
    this.headAtSubscribe = this.ctx.headId();
    this.reading = openSse(
      this.ctx.url,
      from,
      {
        open: (atUs) => {
          this.connectUs = atUs - this.startedUs;
          this.ctx.rec.connectTime(this.phaseNow(), this.connectUs);
          if (from !== undefined) return this.acknowledged(this.ctx.headId(), atUs);
          setTimeout(() => (this.headAtSubscribe = this.ctx.headId()), NO_ACK_SETTLE_MS).unref();
          this.nowSubscribed();
        },
        message: (data, atUs) => this.readMessage(data, false, atUs),
        refused: (reason) => {
          if (this.leaving) return;
          this.refused = 'connect';
          this.ctx.rec.count(this.phaseNow(), 'connectErrors');
          this.noteEnd(reason);
        },
        closed: (reason) => {
          if (this.leaving || this.refused === 'connect') return;
          this.closedByServer = 1006; // an HTTP stream has no close code: the server ended the response
          this.ctx.rec.count(this.phaseNow(), 'serverCloses');
          this.noteEnd(reason);
        },
        fault: (what, fault) => {
          if (this.leaving) return;
          if (fault === BUDGET_FAULT) return this.failedByRunner(fault, what);
          // failed as a websocket reader fails an oversized message: 1009, the fault counted
          this.countFault(fault);
          this.failedOnFrame = true;
          this.closedByServer = 1009;
          this.ctx.rec.count(this.phaseNow(), 'serverCloses');
          this.noteEnd(`protocol error: ${what}`);
        },
      },
      this.ctx.connectOptions,
    );
  }

  /** The subscription stands, the target's head being `headId`: the window (and a replay) starts here. */
  private acknowledged(headId: number, atUs: number): void {
    this.acked = true;
    this.ackUs = atUs - this.subscribeSentUs;
    this.ctx.rec.ackTime(this.phaseNow(), this.ackUs);
    this.account.subscribed(headId, atUs, this.replayFrom());
    this.nowSubscribed();
  }

  private nowSubscribed(): void {
    this.subscribed = true;
    this.onSubscribed();
  }

  private onStatus(data: Buffer, atUs: number): void {
    let msg: { status?: number; last_log_id?: number; gap?: [number, number]; message?: unknown };
    try {
      msg = JSON.parse(data.toString()) as typeof msg;
    } catch {
      return;
    }
    if (msg.status === 200 && !this.acked && typeof msg.last_log_id === 'number') {
      this.acknowledged(msg.last_log_id, atUs);
    } else if (msg.status === 409 && Array.isArray(msg.gap)) {
      this.ctx.rec.count(this.phaseNow(), 'gapsAnnounced');
    } else if (!this.acked && typeof msg.status === 'number' && msg.status >= 400 && this.refused === undefined) {
      // the server said no to the subscription: the client is still owed what it asked for
      this.refused = 'subscribe';
      this.ctx.rec.count(this.phaseNow(), 'subscribeRefusals');
      this.noteEnd(`subscribe refused: ${msg.status}${typeof msg.message === 'string' ? ` ${msg.message}` : ''}`);
    }
  }

  /** From `atUs` on, nothing published is expected (the client is on its way out). */
  stopExpecting(atUs: number): void {
    this.account.leaveUs = Math.min(this.account.leaveUs, atUs);
  }

  /** Closes the client; nothing intended after `atUs` is expected. */
  leave(atUs: number): void {
    if (this.connectUs !== this.connectUs && this.refused === undefined) {
      // the handshake was never answered: a refused connect, not silence
      this.refused = 'connect';
      this.ctx.rec.count(phaseAt(this.ctx.tl, atUs - 1), 'connectErrors');
      this.noteEnd(this.ctx.adapter.transport === 'sse' ? 'no answer to the SSE request' : 'no answer to the websocket handshake');
    }
    this.leaving = true;
    this.endHandshakeTimer();
    clearInterval(this.keepaliveTimer);
    this.stopExpecting(atUs);
    if (!this.acked && this.ctx.adapter.acks && this.refused === undefined && this.closedByServer === undefined) {
      this.ctx.rec.count(phaseAt(this.ctx.tl, atUs - 1), 'ackTimeouts');
    }
    this.prepareAccounting();
    this.ws?.terminate();
    this.reading?.terminate();
  }

  /** Head id when the subscribe request was sent: the window start if the ack never comes. */
  private headAtSubscribe = 0;

  /**
   * Before accounting: a client whose subscribe was never acknowledged — or never sent, because the
   * connection failed — is still owed everything after the head when it set out.
   */
  prepareAccounting(): void {
    if (!this.acked) this.account.assumeWindow(this.subscribeSentUs > 0 ? this.headAtSubscribe : this.headAtOpen);
  }

  result(): ClientResult {
    return {
      clientId: this.clientId,
      group: this.ctx.groupIndex,
      totals: { ...this.account.totals },
      replay: this.account.replayTotals(),
      connectUs: this.connectUs,
      ackUs: this.ackUs,
      closedByServer: this.closedByServer,
      closeReason: this.closeReason,
      closedAtUs: this.closedAtUs,
      refused: this.refused,
      frameFaults: this.frameFaults,
    };
  }
}
