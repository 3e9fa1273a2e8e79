// Websocket framing for isolated mode's shared-body writes. An event is serialized once; each
// delivery is a small per-connection head (frame header + `{"msgID":N,`) followed by the shared body,
// framed together with the session's other events into one buffer (writeEventFrame) or, one event
// alone, written as head and body (eventFrameHead).
// Server frames are unmasked (RFC 6455 §5.1), so the same body bytes are valid on every connection.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

const MSGID_PREFIX = '{"msgID":';
const MSGID_PREFIX_BYTES = Buffer.from(MSGID_PREFIX, 'latin1');

/** Number of decimal digits of a positive integer (compares only: it runs twice per delivery). */
export function digits(n: number): number {
  if (n < 100_000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10_000 ? 4 : 5;
  let d = 6;
  for (let bound = 1_000_000; n >= bound; bound *= 10) d++;
  return d;
}

function headerLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
}

/** Writes a text frame header at `at`; returns its length. */
function writeHeader(buf: Buffer, payloadLength: number, at = 0): number {
  buf[at] = 0x81; // FIN + text
  if (payloadLength < 126) {
    buf[at + 1] = payloadLength;
    return 2;
  }
  if (payloadLength < 65536) {
    buf[at + 1] = 126;
    buf.writeUInt16BE(payloadLength, at + 2);
    return 4;
  }
  buf[at + 1] = 127;
  buf.writeUInt32BE(Math.floor(payloadLength / 2 ** 32), at + 2);
  buf.writeUInt32BE(payloadLength >>> 0, at + 6);
  return 10;
}

/** The per-connection head of an event frame whose body (everything after `{"msgID":N,`) is `bodyLength` bytes. */
export function eventFrameHead(msgId: number, bodyLength: number): Buffer {
  const prefixLength = MSGID_PREFIX.length + digits(msgId) + 1;
  const payloadLength = prefixLength + bodyLength;
  const head = Buffer.allocUnsafe(headerLength(payloadLength) + prefixLength);
  let at = writeHeader(head, payloadLength);
  at += head.write(MSGID_PREFIX, at, 'latin1');
  at += head.write(String(msgId), at, 'latin1');
  head[at] = 0x2c; // ,
  return head;
}

/** Bytes of a whole event frame (head + body) with this msgID and body length. */
export function eventFrameLength(msgId: number, bodyLength: number): number {
  const payloadLength = MSGID_PREFIX.length + digits(msgId) + 1 + bodyLength;
  return headerLength(payloadLength) + payloadLength;
}

/**
 * Writes a whole event frame (head + body) into `buf` at `at` (room for eventFrameLength bytes);
 * returns the offset after it. Catch-up replay frames a step's events into one buffer this way, so a
 * step is one write and one completion instead of two writes per event.
 */
export function writeEventFrame(buf: Buffer, at: number, msgId: number, body: Buffer): number {
  const idDigits = digits(msgId);
  at += writeHeader(buf, MSGID_PREFIX.length + idDigits + 1 + body.length, at);
  // byte by byte: a string write per frame costs more than the frame's other work together (profiled)
  for (let i = 0; i < MSGID_PREFIX_BYTES.length; i++) buf[at++] = MSGID_PREFIX_BYTES[i]!;
  writeMsgIdDigits(buf, at, idDigits, msgId);
  at += idDigits;
  buf[at++] = 0x2c; // ,
  buf.set(body, at);
  return at + body.length;
}

/** Writes the `idDigits` (= digits(msgId)) decimal digits of `msgId` into `buf` at `at`. */
export function writeMsgIdDigits(buf: Buffer, at: number, idDigits: number, msgId: number): void {
  if (msgId <= 0x7fffffff) {
    // integer division while the id fits 31 bits (a connection's msgID practically always does)
    for (let i = at + idDigits - 1, n = msgId; i >= at; i--) {
      const q = (n / 10) | 0;
      buf[i] = 0x30 + n - q * 10;
      n = q;
    }
  } else {
    for (let i = at + idDigits - 1, n = msgId; i >= at; i--, n = Math.floor(n / 10)) buf[i] = 0x30 + (n % 10);
  }
}

/** A complete unmasked text frame (status replies, gap notices). */
export function textFrame(text: string): Buffer {
  const payloadLength = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(headerLength(payloadLength) + payloadLength);
  const at = writeHeader(frame, payloadLength);
  frame.write(text, at);
  return frame;
}

/**
 * The net.Socket under a ws connection. Writing frames to it directly is safe because every frame
 * is written within one synchronous call, so bytes never interleave with ws's own control frames,
 * and permessage-deflate is off so ws's Sender has no queue of its own.
 */
export function rawSocket(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}
