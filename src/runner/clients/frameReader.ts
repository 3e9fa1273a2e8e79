// Reads the server's websocket frames straight from the socket's chunks. At 200k events/s ws's
// general-purpose Receiver costs about a quarter of a client thread (BENCHMARKS.md); a client only
// needs to split frames, so this does that, and hands control frames back to the connection.
// Frames from a server are unmasked (RFC 6455 §5.1); a masked one is unmasked all the same.

export interface FrameHandlers {
  /** A complete text (or binary) message; `payload` is only valid during the call. */
  message(payload: Buffer, binary: boolean): void;
  ping(payload: Buffer): void;
  close(code: number, reason: string): void;
  /** A frame no websocket server may send (reserved bits or opcodes, bad fragmentation). */
  protocolError(what: string): void;
}

const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export class FrameReader {
  /** Bytes of an unfinished frame, and how many the frame needs in all (0 = header not complete yet). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private need = 0;
  private fragments: Buffer[] = [];
  private fragmentsBinary = false;
  private failed = false;

  constructor(private readonly on: FrameHandlers) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    let data = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.need) return; // a large frame still arriving: no copying yet
      data = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.need = 0;
    let off = 0;
    const len = data.length;
    while (off < len && !this.failed) {
      const avail = len - off;
      if (avail < 2) break;
      const b0 = data[off]!;
      const b1 = data[off + 1]!;
      let size = b1 & 0x7f;
      let header = 2;
      if (size === 126) {
        if (avail < 4) break;
        size = data.readUInt16BE(off + 2);
        header = 4;
      } else if (size === 127) {
        if (avail < 10) break;
        size = data.readUInt32BE(off + 2) * 2 ** 32 + data.readUInt32BE(off + 6);
        header = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const total = header + (masked ? 4 : 0) + size;
      if (size > MAX_MESSAGE_BYTES) return this.fail(`a frame of ${size} bytes`);
      if (avail < total) {
        this.need = total;
        break;
      }
      let payload = data.subarray(off + total - size, off + total);
      if (masked) payload = unmask(payload, data.subarray(off + header, off + header + 4));
      off += total;
      this.frame(b0, payload);
    }
    if (off < len && !this.failed) {
      // an unfinished frame: keep it (need = its full size once its header is known, else 0)
      const rest = data.subarray(off);
      this.pending = [rest];
      this.pendingBytes = rest.length;
    }
  }

  private frame(b0: number, payload: Buffer): void {
    if ((b0 & 0x70) !== 0) return this.fail('reserved bits set (compression was not negotiated)');
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    switch (opcode) {
      case 0x1:
      case 0x2:
        if (this.fragments.length > 0) return this.fail('a new message inside a fragmented one');
        if (fin) return this.on.message(payload, opcode === 0x2);
        this.fragments.push(Buffer.from(payload));
        this.fragmentsBinary = opcode === 0x2;
        return;
      case 0x0: {
        if (this.fragments.length === 0) return this.fail('a continuation frame with nothing to continue');
        this.fragments.push(Buffer.from(payload));
        if (!fin) return;
        const whole = Buffer.concat(this.fragments);
        this.fragments = [];
        return this.on.message(whole, this.fragmentsBinary);
      }
      case 0x8:
        return this.on.close(payload.length >= 2 ? payload.readUInt16BE(0) : 1005, payload.length > 2 ? payload.toString('utf8', 2) : '');
      case 0x9:
        return this.on.ping(Buffer.from(payload));
      case 0xa:
        return; // pong: nothing to do
      default:
        return this.fail(`reserved opcode ${opcode}`);
    }
  }

  private fail(what: string): void {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.on.protocolError(what);
  }
}

function unmask(payload: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ key[i & 3]!;
  return out;
}
