// Did the slow clients push back on the server? A reader that stops reading only tests the server
// once the kernels between them are full: its own receive queue, then the server's send queue
// (several MB on loopback). Until then the server's writes succeed and nothing in it can block. So
// for each slow client this thread samples both queues (Linux's /proc/net/tcp, where the server's
// end is visible when it runs on this host) and what it owes: the bytes a fast reader of the same
// stream received since the slow one joined. Owed bytes that are in neither kernel are held by the
// server process (queued, or blocking its sender): from then on, the run tests the server.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { ASSUMED_SERVER_QUEUE_BYTES, PUSHBACK_HELD_SLACK_BYTES, type PushbackRecord } from '../record/schema.js';

/** A socket's kernel queues, bytes: unsent or unacknowledged data (tx) and data not yet read (rx); its TCP state. */
export interface SocketQueues {
  tx: number;
  rx: number;
  state: number;
}

/** TCP state CLOSE_WAIT: the peer closed its end (a paused reader cannot read the close frame, but its kernel knows). */
const TCP_CLOSE_WAIT = 0x08;

/** "localPort:remotePort" → queues, from the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string, into = new Map<string, SocketQueues>()): Map<string, SocketQueues> {
  for (const line of text.split('\n')) {
    // "  3: 0100007F:8E3D 0100007F:AECA 06 00000000:00000000 …"
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !f[0]!.endsWith(':')) continue;
    const local = f[1]!.split(':');
    const remote = f[2]!.split(':');
    const queues = f[4]!.split(':');
    if (local.length !== 2 || remote.length !== 2 || queues.length !== 2) continue;
    const key = `${parseInt(local[1]!, 16)}:${parseInt(remote[1]!, 16)}`;
    into.set(key, { tx: parseInt(queues[0]!, 16), rx: parseInt(queues[1]!, 16), state: parseInt(f[3]!, 16) });
  }
  return into;
}

function readQueues(): Map<string, SocketQueues> | undefined {
  const out = new Map<string, SocketQueues>();
  let any = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      parseProcNetTcp(readFileSync(file, 'utf8'), out);
      any = true;
    } catch {
      // not Linux, or no IPv6: the other file, or nothing
    }
  }
  return any ? out : undefined;
}

/** The most a server's kernel holds for one socket (tcp_wmem's maximum), when its end cannot be seen. */
function sendBufferMaxBytes(): number {
  try {
    const max = Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]);
    if (Number.isFinite(max) && max > 0) return max;
  } catch {
    // not Linux
  }
  return ASSUMED_SERVER_QUEUE_BYTES;
}

export interface PushbackSubject {
  /** The socket while the client is subscribed (undefined before, and once it was refused or failed by the runner). */
  socket(): Socket | undefined;
  /**
   * µs since t0 when the server closed it after it was open and subscribed (undefined otherwise): a
   * refused connect or subscription, or the runner's own fault, never counts as pushback.
   */
  closedAtUs(): number | undefined;
  /** True once it can never push back (refused, or failed by the runner): no reason to keep sampling for it. */
  settled?(): boolean;
}

interface Watched {
  subject: PushbackSubject;
  /** The reference reader's bytes and the subject's own when the watch began. */
  refStart?: number;
  ownStart?: number;
  result: PushbackRecord;
}

/** How often the queues are looked at while a slow client has not pushed back yet. */
const SAMPLE_MS = 250;

export class PushbackWatch {
  private readonly watched: Watched[] = [];
  private readonly serverMax = sendBufferMaxBytes();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly t0Us: number,
    /** Bytes received so far by a fast reader of the same stream, or undefined when there is none. */
    private readonly referenceBytes: () => number | undefined,
  ) {}

  /** Watches one more slow client; sampling runs while any of them has not pushed back yet. */
  watch(subject: PushbackSubject, nowUs: () => number): PushbackRecord {
    const result: PushbackRecord = {
      reachedAtUs: null,
      how: 'unknown',
      owedBytes: 0,
      rxMaxBytes: 0,
      serverTxMaxBytes: null,
      heldMaxBytes: 0,
    };
    this.watched.push({ subject, result });
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.sample(nowUs());
        if (!this.active) this.stop();
      }, SAMPLE_MS);
      this.timer.unref();
    }
    return result;
  }

  /** Stops sampling (the run ended, or every slow client is settled). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get active(): boolean {
    return this.watched.some((w) => w.result.reachedAtUs === null && w.subject.closedAtUs() === undefined && !w.subject.settled?.());
  }

  /** One look at every watched client still connected and not yet known to push back. */
  sample(nowUs: number): void {
    let queues: Map<string, SocketQueues> | undefined | null = null;
    for (const w of this.watched) {
      const r = w.result;
      if (r.reachedAtUs !== null) continue;
      const closedAt = w.subject.closedAtUs();
      if (closedAt !== undefined) {
        r.reachedAtUs = closedAt;
        r.how = 'closed';
        continue;
      }
      const socket = w.subject.socket();
      const ref = this.referenceBytes();
      if (!socket || socket.localPort === undefined || socket.remotePort === undefined || ref === undefined) continue;
      if (w.refStart === undefined) {
        w.refStart = ref;
        w.ownStart = socket.bytesRead;
        continue;
      }
      if (queues === null) queues = readQueues();
      if (!queues) continue;
      const own = queues.get(`${socket.localPort}:${socket.remotePort}`);
      if (!own || own.state === TCP_CLOSE_WAIT) {
        // the server reset (or closed) a connection its reader had stopped reading: it acted on the
        // backlog, though a paused socket has not read that yet
        if (!own && socket.destroyed) continue;
        r.reachedAtUs = nowUs - this.t0Us;
        r.how = 'closed';
        continue;
      }
      const peer = queues.get(`${socket.remotePort}:${socket.localPort}`);
      r.owedBytes = ref - w.refStart;
      r.rxMaxBytes = Math.max(r.rxMaxBytes, own.rx);
      if (peer) r.serverTxMaxBytes = Math.max(r.serverTxMaxBytes ?? 0, peer.tx);
      const read = socket.bytesRead - w.ownStart!;
      const held = r.owedBytes - read - own.rx - (peer ? peer.tx : this.serverMax);
      r.heldMaxBytes = Math.max(r.heldMaxBytes, held);
      r.how = peer ? 'server-queue' : 'estimated';
      if (held > PUSHBACK_HELD_SLACK_BYTES) {
        r.reachedAtUs = nowUs - this.t0Us;
        r.how = peer ? 'server-queue' : 'estimated';
      }
    }
  }
}
