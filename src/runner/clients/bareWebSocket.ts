// The client's websocket on a bare TCP socket: the opening handshake written and checked here, and
// every read landing in one buffer the thread reuses (net.connect's `onread`), so a read of many
// frames costs one callback, with no stream 'data' event and no Buffer allocated per read. It offers
// the part of ws's client API a ClientConnection uses. ws:// only: a wss:// target (TLS) and a URL
// with credentials in it go through ws, as does anything this handshake would not send the same way.
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';

/**
 * Where the bytes of each read go once the connection is open: `buffer[0, end)`, the thread's read
 * buffer, only valid during the call (no view of it is made per read).
 */
export interface BareReader {
  onBytes(buffer: Buffer, end: number): void;
}

/** ws's readyState values, so the connection reads either the same way. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** One read's worth: the kernel hands over up to this much per callback, every frame in it read in one go. */
export const READ_BUFFER_BYTES = 256 * 1024;
/**
 * A slow client's read (rate, delay, stall): what net.Socket and ws handed them before the bare path.
 * All of a read is taken before a pause takes effect, so this is how far ahead of its own pace a slow
 * client can get; a larger one would make it read in coarser bursts.
 */
export const SLOW_READ_BUFFER_BYTES = 64 * 1024;
/** A handshake response larger than this is not a websocket server's. */
const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
/** A header name (an RFC 7230 token) and value this client would write as given. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The one buffer every fast bare socket of this thread reads into: each read is handled before the next begins. */
const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
/** The same for the thread's slow clients. */
const slowReadBuffer = Buffer.allocUnsafe(SLOW_READ_BUFFER_BYTES);
const OWNER = Symbol('bareWebSocket');
type OwnedSocket = Socket & { [OWNER]?: BareWebSocket };

/** Node calls these with the socket as `this`: one function for every connection, not a closure each. */
function onRead(this: OwnedSocket, nread: number): boolean {
  this[OWNER]?.bytes(readBuffer, nread);
  return true; // keep reading (a paused socket stops through pause())
}

function onSlowRead(this: OwnedSocket, nread: number): boolean {
  this[OWNER]?.bytes(slowReadBuffer, nread);
  return true;
}

function onSocketError(this: OwnedSocket, err: Error): void {
  this[OWNER]?.socketFailed(err);
}

function onSocketClose(this: OwnedSocket): void {
  this[OWNER]?.socketClosed();
}

/** Whether a connection to `url` with these headers can take the bare path (else ws). */
export function bareApplies(url: string, headers?: Record<string, string>): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false; // ws names the bad URL
  }
  if (u.protocol !== 'ws:' || u.username !== '' || u.password !== '') return false;
  return Object.entries(headers ?? {}).every(([k, v]) => TOKEN.test(k) && FIELD_VALUE.test(v));
}

export class BareWebSocket extends EventEmitter {
  readyState = CONNECTING;
  readonly socket: Socket;
  /** The socket's error after the upgrade, by code (the close that follows is the story; this is why). */
  socketError?: string;
  /** Sees every read's bytes before the frames are read (the rate client counts them); only during the call. */
  onChunk?: (chunk: Buffer) => void;
  /** The handshake response read so far (a few hundred bytes; dropped once open). */
  private head?: Buffer;
  private readonly key = randomBytes(16).toString('base64');

  constructor(
    url: string,
    private readonly protocols: string[] | undefined,
    headers: Record<string, string> | undefined,
    private readonly reader: BareReader,
    /** A slow client's reads (SLOW_READ_BUFFER_BYTES), so its pauses shape what it takes as before. */
    slowReads = false,
  ) {
    super();
    const u = new URL(url);
    const port = Number(u.port || 80);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    const onread = slowReads ? { buffer: slowReadBuffer, callback: onSlowRead } : { buffer: readBuffer, callback: onRead };
    const socket: OwnedSocket = connect({ host, port, onread });
    socket[OWNER] = this;
    socket.setNoDelay(true);
    this.socket = socket;
    const lines = [
      `GET ${u.pathname || '/'}${u.search} HTTP/1.1`,
      `Host: ${u.host}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${this.key}`,
      ...(protocols?.length ? [`Sec-WebSocket-Protocol: ${protocols.join(',')}`] : []),
      ...Object.entries(headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  /** After the upgrade the close tells the story (the connection notes the error's code). */
  socketFailed(err: NodeJS.ErrnoException): void {
    if (this.readyState === CONNECTING) return this.failHandshake(err);
    this.socketError ??= err.code ?? err.message;
  }

  /**
   * Without a close frame read by ws, its code is 1006 (the connection knows the server's own code, if any).
   * A close before the 101 is a failed handshake, as ws has it: 'error' (a refused connect), then 'close'.
   */
  socketClosed(): void {
    if (this.readyState === CONNECTING) this.failHandshake(new Error('socket hang up'));
    this.readyState = CLOSED;
    this.emit('close', 1006, Buffer.alloc(0));
  }

  /** The bytes of one read, `buffer[0, end)`: the handshake's response first, then frames. */
  bytes(buffer: Buffer, end: number): void {
    if (this.readyState === CONNECTING) return this.handshake(buffer.subarray(0, end));
    if (this.readyState === CLOSED) return;
    this.onChunk?.(buffer.subarray(0, end));
    this.reader.onBytes(buffer, end);
  }

  private handshake(chunk: Buffer): void {
    const head = this.head ? Buffer.concat([this.head, chunk]) : Buffer.from(chunk); // the read buffer is reused: copy
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_RESPONSE_HEAD_BYTES) return this.failHandshake(new Error('Invalid handshake response: too large'));
      this.head = head;
      return;
    }
    this.head = undefined;
    const problem = this.checkResponse(head.toString('latin1', 0, end));
    if (problem !== undefined) return this.failHandshake(new Error(problem));
    this.readyState = OPEN;
    this.emit('open');
    // frames that came in the same read as the response
    if (end + 4 < head.length && this.readyState === OPEN) {
      const rest = head.subarray(end + 4);
      this.bytes(rest, rest.length);
    }
  }

  /** What is wrong with the response (ws's words for it), or undefined when it opens the connection. */
  private checkResponse(text: string): string | undefined {
    const [statusLine = '', ...lines] = text.split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
    if (status !== '101') return `Unexpected server response: ${status ?? 'not HTTP'}`;
    const header = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) header.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (header.get('upgrade')?.toLowerCase() !== 'websocket') return 'Invalid Upgrade header';
    const accept = createHash('sha1')
      .update(this.key + GUID)
      .digest('base64');
    if (header.get('sec-websocket-accept') !== accept) return 'Invalid Sec-WebSocket-Accept header';
    const protocol = header.get('sec-websocket-protocol');
    if (protocol !== undefined && !this.protocols?.length) return 'Server sent a subprotocol but none was requested';
    if (protocol === undefined && this.protocols?.length) return 'Server sent no subprotocol';
    if (protocol !== undefined && !this.protocols!.includes(protocol)) return 'Server sent an invalid subprotocol';
    if (header.has('sec-websocket-extensions')) return 'Server sent a Sec-WebSocket-Extensions header but no extension was requested';
    return undefined;
  }

  private failHandshake(err: Error): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = CLOSING;
    this.head = undefined;
    this.emit('error', err);
    this.socket.destroy(); // then 'close'
  }

  /** A text message for a string, a binary one for bytes (as ws sends them). */
  send(data: string | Buffer): void {
    if (this.readyState !== OPEN) return;
    this.socket.write(frame(typeof data === 'string' ? 0x1 : 0x2, typeof data === 'string' ? Buffer.from(data) : data));
  }

  pong(payload: Buffer): void {
    if (this.readyState === OPEN) this.socket.write(frame(0xa, payload));
  }

  /** Sends a close frame with `code`; the server then closes the TCP connection. */
  close(code: number): void {
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.socket.write(frame(0x8, body));
  }

  /** Drops the connection at once (during the handshake, a failed connect). */
  terminate(): void {
    if (this.readyState === CONNECTING) return this.failHandshake(new Error('WebSocket was closed before the connection was established'));
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    this.socket.destroy();
  }

  /** ws's constant on the instance, read by the live view as `ws.readyState === ws.OPEN`. */
  get OPEN(): number {
    return OPEN;
  }

  get isPaused(): boolean {
    return this.socket.isPaused();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

/** One masked frame, as a client must send (RFC 6455 §5.3). */
function frame(opcode: number, payload: Buffer): Buffer {
  const size = payload.length;
  const header = size < 126 ? 2 : size < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + 4 + size);
  out[0] = 0x80 | opcode;
  if (size < 126) out[1] = 0x80 | size;
  else if (size < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(size, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(size / 2 ** 32), 2);
    out.writeUInt32BE(size >>> 0, 6);
  }
  const mask = randomBytes(4);
  mask.copy(out, header);
  for (let i = 0; i < size; i++) out[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}
