// Did the slow clients push back on the server? A reader that stops reading only tests the server
// once the kernels between them are full: its own receive queue, then the server's send queue
// (several MB on loopback). Until then the server's writes succeed and nothing in it can block. So
// for each slow client this thread samples both queues (Linux's /proc/net/tcp, where the server's
// end is visible when it runs on this host) and what it owes: the bytes a fast reader of the same
// stream received since the slow one joined. Owed bytes that are in neither kernel are held by the
// server process (queued, or blocking its sender): from then on, the run tests the server.
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6, type Socket } from 'node:net';
import { endianness } from 'node:os';
import { ASSUMED_SERVER_QUEUE_BYTES, PUSHBACK_HELD_SLACK_BYTES, type PushbackRecord } from '../record/schema.js';

/** A socket's kernel queues, bytes: unsent or unacknowledged data (tx) and data not yet read (rx); its TCP state. */
export interface SocketQueues {
  tx: number;
  rx: number;
  state: number;
}

/** TCP state CLOSE_WAIT: the peer closed its end (a paused reader cannot read the close frame, but its kernel knows). */
const TCP_CLOSE_WAIT = 0x08;

const LITTLE_ENDIAN = endianness() === 'LE';
/** An IPv4-mapped IPv6 address as /proc/net/tcp6 writes it (32-bit words in host order), before its last word. */
const V4_MAPPED = LITTLE_ENDIAN ? '0000000000000000FFFF0000' : '00000000000000000000FFFF';

/** A port as /proc/net/tcp writes it: four upper-case hex digits. */
export const procPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');

const hex32 = (b: number[], at: number): string => {
  const word = LITTLE_ENDIAN ? [b[at + 3]!, b[at + 2]!, b[at + 1]!, b[at]!] : b.slice(at, at + 4);
  return word.map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
};

/** The 16 bytes of an IPv6 address (an IPv4 one mapped), or undefined when it is neither. */
function addressBytes(address: string): number[] | undefined {
  const v4 = (text: string): number[] | undefined => {
    const parts = text.split('.').map(Number);
    return parts.length === 4 && parts.every((x) => Number.isInteger(x) && x >= 0 && x < 256) ? parts : undefined;
  };
  if (isIPv4(address)) return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...v4(address)!];
  let text = address.split('%')[0]!;
  if (!isIPv6(text)) return undefined;
  let tail: number[] = [];
  if (text.includes('.')) {
    const colon = text.lastIndexOf(':');
    tail = v4(text.slice(colon + 1)) ?? [];
    text = `${text.slice(0, colon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const before = head ? head.split(':') : [];
  const after = rest ? rest.split(':') : [];
  const groups = rest === undefined ? before : [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  const bytes = groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** An address as /proc/net/tcp{,6} writes it, IPv4 (also when mapped into IPv6) as 8 hex digits. */
export function procAddress(address: string): string | undefined {
  const b = addressBytes(address);
  if (!b) return undefined;
  const head = hex32(b, 0) + hex32(b, 4) + hex32(b, 8);
  return head === V4_MAPPED ? hex32(b, 12) : head + hex32(b, 12);
}

/** One end of a connection's key in the maps below: "ADDR:PORT ADDR:PORT", local then remote, as /proc writes them. */
export function socketKey(local: { address: string; port: number }, remote: { address: string; port: number }): string | undefined {
  const la = procAddress(local.address);
  const ra = procAddress(remote.address);
  return la && ra ? `${la}:${procPort(local.port)} ${ra}:${procPort(remote.port)}` : undefined;
}

/** "ADDR:PORT" with an IPv4-mapped IPv6 address written as IPv4, as socketKey writes it. */
const normalEnd = (field: string): string => (field.length === 37 && field.startsWith(V4_MAPPED) ? field.slice(24) : field);

/**
 * "local remote" (socketKey) → queues, from the text of /proc/net/tcp or /proc/net/tcp6. With
 * `ports` (procPort), only the lines whose local or remote port is one of them are split and parsed:
 * on a busy host the file has a line per socket (two per loopback connection), and this runs on the
 * thread that timestamps fast clients' arrivals.
 */
export function parseProcNetTcp(
  text: string,
  ports?: ReadonlySet<string>,
  into = new Map<string, SocketQueues>(),
): Map<string, SocketQueues> {
  for (let at = 0; at < text.length;) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const lineAt = at;
    at = end + 1;
    // "  3: 0100007F:8E3D 0100007F:AECA 06 00000000:00000000 …": the fields are space-separated, the
    // addresses fixed-width, so the ports are the four characters before each address field's end
    if (ports) {
      const colon = text.indexOf(': ', lineAt);
      if (colon < 0 || colon > end) continue;
      const localEnd = text.indexOf(' ', colon + 2);
      const remoteEnd = localEnd < 0 ? -1 : text.indexOf(' ', localEnd + 1);
      if (remoteEnd < 0 || remoteEnd > end) continue;
      if (!ports.has(text.slice(localEnd - 4, localEnd)) && !ports.has(text.slice(remoteEnd - 4, remoteEnd))) continue;
    }
    const f = text.slice(lineAt, end).trim().split(/\s+/);
    if (f.length < 5 || !f[0]!.endsWith(':')) continue;
    const local = f[1]!.split(':');
    const remote = f[2]!.split(':');
    const queues = f[4]!.split(':');
    if (local.length !== 2 || remote.length !== 2 || queues.length !== 2) continue;
    into.set(`${normalEnd(f[1]!)} ${normalEnd(f[2]!)}`, {
      tx: parseInt(queues[0]!, 16),
      rx: parseInt(queues[1]!, 16),
      state: parseInt(f[3]!, 16),
    });
  }
  return into;
}

function readQueues(ports: ReadonlySet<string>): Map<string, SocketQueues> | undefined {
  const out = new Map<string, SocketQueues>();
  let any = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      parseProcNetTcp(readFileSync(file, 'utf8'), ports, out);
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

/** Bytes received so far by a fast reader of a slow client's stream, or undefined when there is none. */
export type PushbackReference = () => number | undefined;

interface Watched {
  subject: PushbackSubject;
  /** The fast reader of this client's own stream (its event types and user). */
  reference: PushbackReference;
  /** After this (µs, the clock's), what the client owes no longer matters: stress is over. */
  untilUs: number;
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

  constructor(private readonly t0Us: number) {}

  /**
   * Watches one more slow client against the fast reader of its own stream, until `untilUs`;
   * sampling runs while any of them has not pushed back yet and still matters.
   */
  watch(subject: PushbackSubject, reference: PushbackReference, nowUs: () => number, untilUs = Infinity): PushbackRecord {
    const result: PushbackRecord = {
      reachedAtUs: null,
      how: 'unknown',
      owedBytes: 0,
      rxMaxBytes: 0,
      serverTxMaxBytes: null,
      heldMaxBytes: 0,
    };
    this.watched.push({ subject, reference, untilUs, result });
    if (!this.timer) {
      this.timer = setInterval(() => {
        const now = nowUs();
        this.sample(now);
        if (!this.activeAt(now)) this.stop();
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

  /** Whether a watched client may still push back in time to matter. */
  activeAt(nowUs: number): boolean {
    return this.watched.some(
      (w) => w.result.reachedAtUs === null && nowUs <= w.untilUs && w.subject.closedAtUs() === undefined && !w.subject.settled?.(),
    );
  }

  /** One look at every watched client still connected, not yet known to push back, and whose stress is not over. */
  sample(nowUs: number): void {
    // each reference once per sample, however many slow clients share it
    const refs = new Map<PushbackReference, number | undefined>();
    const refOf = (w: Watched): number | undefined => {
      if (!refs.has(w.reference)) refs.set(w.reference, w.reference());
      return refs.get(w.reference);
    };
    const due: { w: Watched; socket: Socket; ref: number }[] = [];
    for (const w of this.watched) {
      const r = w.result;
      if (r.reachedAtUs !== null || nowUs > w.untilUs) continue;
      const closedAt = w.subject.closedAtUs();
      if (closedAt !== undefined) {
        r.reachedAtUs = closedAt;
        r.how = 'closed';
        continue;
      }
      const socket = w.subject.socket();
      if (!socket || socket.localPort === undefined || socket.remotePort === undefined) continue;
      const ref = refOf(w);
      if (ref === undefined) continue;
      if (w.refStart === undefined) {
        w.refStart = ref;
        w.ownStart = socket.bytesRead;
        continue;
      }
      due.push({ w, socket, ref });
    }
    if (due.length === 0) return;
    const queues = readQueues(new Set(due.map((d) => procPort(d.socket.localPort!))));
    if (!queues) return;
    for (const { w, socket, ref } of due) {
      const r = w.result;
      const local = { address: socket.localAddress ?? '', port: socket.localPort! };
      const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort! };
      const ownKey = socketKey(local, remote);
      const own = ownKey === undefined ? undefined : queues.get(ownKey);
      if (!own || own.state === TCP_CLOSE_WAIT) {
        // the server reset (or closed) a connection its reader had stopped reading: it acted on the
        // backlog, though a paused socket has not read that yet
        if (!own && (socket.destroyed || ownKey === undefined)) continue;
        r.reachedAtUs = nowUs - this.t0Us;
        r.how = 'closed';
        continue;
      }
      const peerKey = socketKey(remote, local);
      const peer = peerKey === undefined ? undefined : queues.get(peerKey);
      r.owedBytes = ref - w.refStart!;
      r.rxMaxBytes = Math.max(r.rxMaxBytes, own.rx);
      if (peer) r.serverTxMaxBytes = Math.max(r.serverTxMaxBytes ?? 0, peer.tx);
      const read = socket.bytesRead - w.ownStart!;
      const held = r.owedBytes - read - own.rx - (peer ? peer.tx : this.serverMax);
      r.heldMaxBytes = Math.max(r.heldMaxBytes, held);
      r.how = peer ? 'server-queue' : 'estimated';
      if (held > PUSHBACK_HELD_SLACK_BYTES) r.reachedAtUs = nowUs - this.t0Us;
    }
  }
}
