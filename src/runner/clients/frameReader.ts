// Reads the server's websocket frames straight from the socket's chunks. At 200k events/s ws's
// general-purpose Receiver costs about a quarter of a client thread (BENCHMARKS.md); a client only
// needs to split frames, so this does that, and hands control frames back to the connection.
// Frames from a server are unmasked (RFC 6455 §5.1); a masked one is unmasked all the same.
// A target may be hostile or broken: a message is bounded in bytes and fragments, text must be
// UTF-8, reserved bits and opcodes fail the connection; each failure is named so the client counts it.
// What a reader holds of an unfinished message also counts against its thread's budget, so the
// clients of one worker together hold a bounded amount whatever a target sends them.
import { isUtf8 } from 'node:buffer';
import { MessageBudget, threadBudget } from './messageBudget.js';

export interface FrameHandlers {
  /** A complete text (or binary) message; `payload` is only valid during the call. */
  onMessage(payload: Buffer, binary: boolean): void;
  onPing(payload: Buffer): void;
  onClose(code: number, reason: string): void;
  /**
   * A frame no websocket server may send, or a message over the runner's limits: the connection is
   * failed with `code` (1002 protocol, 1007 invalid UTF-8, 1009 too big); `fault` names it for counting.
   */
  onProtocolError(what: string, code: number, fault: FrameFault): void;
}

/** Why a reader failed its connection (websocket frames, or an SSE stream): one counter each per client in the run record. */
export type FrameFault =
  | 'message_too_large'
  | 'too_many_fragments'
  | 'invalid_utf8'
  | 'reserved_bits'
  | 'reserved_opcode'
  | 'bad_fragmentation'
  | 'bad_control_frame'
  /** The clients of one worker together hold more of unfinished messages than its budget (messageBudget.ts). */
  | 'worker_budget_exceeded'
  /** Server-Sent Events (sseTransport.ts): a line over the message limit, a message of too many `data:` lines. */
  | 'line_too_long'
  | 'too_many_lines';

/**
 * The largest message the runner accepts (the reference server's own publisher limit). A reader
 * holds at most one message: its chunks while it arrives, then one contiguous copy, so a client's
 * frame memory is bounded by about twice this, whatever the target sends.
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Fragments one message may have: an endless stream of tiny continuation frames is a fault too. */
export const MAX_FRAGMENTS = 4096;
/**
 * What a reader may hold of an unfinished message before it draws on the worker's budget: an event
 * split across two socket reads costs nothing, however many clients are mid-frame at once.
 */
export const UNBUDGETED_BYTES = 64 * 1024;

/** The longest frame header a server sends (a 64-bit length; its mask key is not needed to size the frame). */
const MAX_HEADER_BYTES = 10;
const INCOMPLETE = -1;
const TOO_LARGE = -2;

export class FrameReader {
  /** Bytes of an unfinished frame, and how many the frame needs in all (0 = header not complete yet). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private need = 0;
  private fragments: Buffer[] = [];
  private fragmentsBytes = 0;
  private fragmentsBinary = false;
  private failed = false;
  /** What this reader has taken from the budget. */
  private charged = 0;

  constructor(
    private readonly on: FrameHandlers,
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
    private readonly budget: MessageBudget = threadBudget,
  ) {}

  /**
   * The bytes of one read, `chunk[0, end)`. `reused`: the chunk's memory is read into again once this
   * returns (a bare socket's read buffer), so what is kept of an unfinished frame is copied.
   */
  push(chunk: Buffer, reused = false, end = chunk.length): void {
    if (this.failed) return;
    this.read(chunk, reused, end);
    if (this.failed) this.release();
    else this.charge();
  }

  /** Gives back what this reader holds of the budget (its connection is gone; call it when the socket closes). */
  release(): void {
    this.budget.recharge(this.charged, 0);
    this.charged = 0;
  }

  /** Charges the budget for what this reader now holds beyond its own allowance; fails the connection when the budget is spent. */
  private charge(): void {
    const over = Math.max(0, this.pendingBytes + this.fragmentsBytes - UNBUDGETED_BYTES);
    if (over === this.charged) return;
    if (this.budget.recharge(this.charged, over)) {
      this.charged = over;
      return;
    }
    const holding = this.pendingBytes + this.fragmentsBytes;
    this.fail(
      `an unfinished message of ${holding} bytes while this worker's clients hold ${this.budget.held} (budget ${this.budget.limit})`,
      1009,
      'worker_budget_exceeded',
    );
  }

  /**
   * A frame cut by the end of the last read is finished with only the bytes it lacks (one copy of
   * that frame); the rest of this read is parsed in place, and what is kept of a new unfinished frame
   * is its own buffer, never a view that would keep a whole read alive.
   */
  private read(chunk: Buffer, reused: boolean, len: number): void {
    let off = 0;
    if (this.pendingBytes > 0) {
      if (this.need === 0) {
        // the header was cut: complete it from the first few bytes of this read to learn the frame's size
        const take = Math.min(len, MAX_HEADER_BYTES - this.pendingBytes);
        const head = Buffer.concat([...this.pending, chunk.subarray(0, take)], this.pendingBytes + take);
        const total = this.frameLength(head, 0, head.length);
        if (total === TOO_LARGE) return;
        if (total === INCOMPLETE) return this.keep([head], head.length); // the whole read went into it
        this.need = total;
      }
      const missing = this.need - this.pendingBytes;
      if (len < missing) {
        // a large frame still arriving: its pieces wait, joined once it is whole
        const piece = chunk.subarray(0, len);
        this.pending.push(reused ? Buffer.from(piece) : piece);
        this.pendingBytes += len;
        return;
      }
      this.pending.push(chunk.subarray(0, missing));
      const whole = Buffer.concat(this.pending, this.need);
      this.pending = [];
      this.pendingBytes = 0;
      this.need = 0;
      this.handle(whole, 0, whole.length);
      off = missing;
    }
    while (off < len && !this.failed) {
      const total = this.frameLength(chunk, off, len);
      if (total < 0) break; // INCOMPLETE, or TOO_LARGE (failed)
      if (len - off < total) {
        this.need = total;
        break;
      }
      this.handle(chunk, off, total);
      off += total;
    }
    // an unfinished frame: keep a copy of it (need = its full size once its header is known, else 0)
    if (off < len && !this.failed) this.keep([Buffer.from(chunk.subarray(off, len))], len - off);
  }

  private keep(pieces: Buffer[], bytes: number): void {
    this.pending = pieces;
    this.pendingBytes = bytes;
  }

  /**
   * The whole length of the frame at `off` (header, mask key, payload), INCOMPLETE while its header
   * has not all arrived before `end`, TOO_LARGE (the connection failed) for a payload over the limit.
   */
  private frameLength(data: Buffer, off: number, end: number): number {
    const avail = end - off;
    if (avail < 2) return INCOMPLETE;
    const b1 = data[off + 1]!;
    let size = b1 & 0x7f;
    let header = 2;
    if (size === 126) {
      if (avail < 4) return INCOMPLETE;
      size = data.readUInt16BE(off + 2);
      header = 4;
    } else if (size === 127) {
      if (avail < 10) return INCOMPLETE;
      size = data.readUInt32BE(off + 2) * 2 ** 32 + data.readUInt32BE(off + 6);
      header = 10;
    }
    if (size > this.maxMessageBytes) {
      this.fail(`a frame of ${size} bytes (limit ${this.maxMessageBytes})`, 1009, 'message_too_large');
      return TOO_LARGE;
    }
    return header + ((b1 & 0x80) !== 0 ? 4 : 0) + size;
  }

  /** The whole frame of `total` bytes at `off`. */
  private handle(data: Buffer, off: number, total: number): void {
    const b1 = data[off + 1]!;
    const length7 = b1 & 0x7f;
    const header = length7 === 126 ? 4 : length7 === 127 ? 10 : 2;
    const masked = (b1 & 0x80) !== 0;
    let payload = data.subarray(off + header + (masked ? 4 : 0), off + total);
    if (masked) payload = unmask(payload, data.subarray(off + header, off + header + 4));
    this.frame(data[off]!, payload);
  }

  private frame(b0: number, payload: Buffer): void {
    if ((b0 & 0x70) !== 0) return this.fail('reserved bits set (compression was not negotiated)', 1002, 'reserved_bits');
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode >= 0x8 && (!fin || payload.length > 125))
      return this.fail('a fragmented or oversized control frame', 1002, 'bad_control_frame');
    switch (opcode) {
      case 0x1:
      case 0x2:
        if (this.fragments.length > 0) return this.fail('a new message inside a fragmented one', 1002, 'bad_fragmentation');
        if (fin) return this.deliver(payload, opcode === 0x2);
        this.fragments.push(Buffer.from(payload));
        this.fragmentsBytes = payload.length;
        this.fragmentsBinary = opcode === 0x2;
        return;
      case 0x0: {
        if (this.fragments.length === 0) return this.fail('a continuation frame with nothing to continue', 1002, 'bad_fragmentation');
        this.fragmentsBytes += payload.length;
        if (this.fragmentsBytes > this.maxMessageBytes)
          return this.fail(`a fragmented message over ${this.maxMessageBytes} bytes`, 1009, 'message_too_large');
        if (this.fragments.length >= MAX_FRAGMENTS)
          return this.fail(`a message in more than ${MAX_FRAGMENTS} fragments`, 1009, 'too_many_fragments');
        this.fragments.push(Buffer.from(payload));
        if (!fin) return;
        const whole = Buffer.concat(this.fragments, this.fragmentsBytes);
        this.fragments = [];
        this.fragmentsBytes = 0;
        return this.deliver(whole, this.fragmentsBinary);
      }
      case 0x8: {
        if (payload.length === 1) return this.fail('a close frame of one byte', 1002, 'bad_control_frame');
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (payload.length >= 2 && !echoableCloseCode(code))
          return this.fail(`close code ${code} may not be sent`, 1002, 'bad_control_frame');
        if (payload.length > 2 && !isUtf8(payload.subarray(2))) return this.fail('a close reason that is not UTF-8', 1007, 'invalid_utf8');
        this.failed = true; // nothing after a close frame is read
        return this.on.onClose(code, payload.length > 2 ? payload.toString('utf8', 2) : '');
      }
      case 0x9:
        return this.on.onPing(Buffer.from(payload));
      case 0xa:
        return; // pong: nothing to do
      default:
        return this.fail(`reserved opcode ${opcode}`, 1002, 'reserved_opcode');
    }
  }

  /** Text must be UTF-8 (RFC 6455 §8.1): what does not decode is a broken or hostile target, not an event. */
  private deliver(payload: Buffer, binary: boolean): void {
    if (!binary && !isUtf8(payload)) return this.fail('a text message that is not UTF-8', 1007, 'invalid_utf8');
    this.on.onMessage(payload, binary);
  }

  private fail(what: string, code: number, fault: FrameFault): void {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.fragments = [];
    this.fragmentsBytes = 0;
    this.release();
    this.on.onProtocolError(what, code, fault);
  }
}

/**
 * Close codes an endpoint may send (RFC 6455 §7.4): 1000–1014 but 1004–1006, and 3000–4999. A server's
 * close frame with another code fails the connection (1002), and only these are sent back.
 */
export function echoableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && (code < 1004 || code > 1006)) || (code >= 3000 && code <= 4999);
}

function unmask(payload: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ key[i & 3]!;
  return out;
}
