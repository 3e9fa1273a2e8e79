// The client's frame splitter against frames as ws's own Sender writes them, cut at every byte.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Sender } from 'ws';
import { FrameReader, UNBUDGETED_BYTES } from '../../../src/runner/clients/frameReader.js';
import { MessageBudget } from '../../../src/runner/clients/messageBudget.js';

type Got = { kind: string; data: string }[];

function reader(got: Got): FrameReader {
  return new FrameReader({
    onMessage: (p, binary) => got.push({ kind: binary ? 'binary' : 'text', data: p.toString() }),
    onPing: (p) => got.push({ kind: 'ping', data: p.toString() }),
    onClose: (code, reason) => got.push({ kind: 'close', data: `${code} ${reason}` }),
    onProtocolError: (what) => got.push({ kind: 'error', data: what }),
  });
}

/** A server frame (unmasked unless asked), as ws frames it. */
function frame(data: string | Buffer, opcode: number, opts: { fin?: boolean; mask?: boolean } = {}): Buffer {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const list = Sender.frame(buf, { fin: opts.fin ?? true, opcode, mask: opts.mask ?? false, readOnly: false, rsv1: false });
  return Buffer.concat(list);
}

describe('FrameReader', () => {
  const big = 'x'.repeat(70_000); // 64-bit length
  const mid = 'y'.repeat(300); // 16-bit length
  const stream = Buffer.concat([
    frame('{"msgID":1}', 0x1),
    frame(mid, 0x1),
    frame('part1-', 0x1, { fin: false }),
    frame('ping!', 0x9),
    frame('part2', 0x0),
    frame(big, 0x1),
    frame(Buffer.from([1, 2, 3]), 0x2),
    frame('masked text', 0x1, { mask: true }),
    frame(Buffer.concat([Buffer.from([0x0f, 0xa8]), Buffer.from('slow client')]), 0x8),
  ]);
  const expected: Got = [
    { kind: 'text', data: '{"msgID":1}' },
    { kind: 'text', data: mid },
    { kind: 'ping', data: 'ping!' },
    { kind: 'text', data: 'part1-part2' },
    { kind: 'text', data: big },
    { kind: 'binary', data: '\u0001\u0002\u0003' },
    { kind: 'text', data: 'masked text' },
    { kind: 'close', data: '4008 slow client' },
  ];

  it('reads every frame kind from one chunk', () => {
    const got: Got = [];
    reader(got).push(stream);
    expect(got).toEqual(expected);
  });

  it('reads the same whatever the chunk boundaries (every split point, and byte by byte)', () => {
    for (let cut = 1; cut < 400; cut += 7) {
      const got: Got = [];
      const r = reader(got);
      r.push(stream.subarray(0, cut));
      r.push(stream.subarray(cut));
      expect(got).toEqual(expected);
    }
    const got: Got = [];
    const r = reader(got);
    for (let i = 0; i < stream.length; i += 1 + (i % 13)) r.push(stream.subarray(i, Math.min(stream.length, i + 1 + (i % 13))));
    expect(got).toEqual(expected);
  });

  it('reads the same from one reused read buffer, overwritten after every read (what it keeps of a frame is copied)', () => {
    const pushReused = (r: FrameReader, buf: Buffer, size: number): void => {
      for (let i = 0; i < stream.length; i += size) {
        const n = stream.copy(buf, 0, i, Math.min(stream.length, i + size));
        r.push(buf.subarray(0, n), true);
        buf.fill(0xee); // the next read lands here
      }
    };
    for (const size of [1, 2, 7, 100, 1000, 4096]) {
      const got: Got = [];
      pushReused(reader(got), Buffer.alloc(size), size);
      expect(got).toEqual(expected);
    }
    // the same without saying the buffer is reused: what a split frame kept is overwritten
    const got: Got = [];
    const r = reader(got);
    const buf = Buffer.alloc(100);
    for (let i = 0; i < stream.length; i += 100) {
      const n = stream.copy(buf, 0, i, Math.min(stream.length, i + 100));
      r.push(buf.subarray(0, n));
      buf.fill(0xee);
    }
    expect(got).not.toEqual(expected);
  });

  /**
   * Pushes `stream` through one reused buffer of `size` bytes, the first read `first` bytes long,
   * overwriting it after every read. `byEnd`: each read is the whole buffer and where its bytes end
   * (a bare socket's read), the rest of the buffer holding stale bytes; else a view of just the read.
   */
  const pushThroughReused = (r: FrameReader, bytes: Buffer, size: number, first = size, byEnd = false): void => {
    const buf = Buffer.alloc(Math.max(size, first), 0xee);
    for (let i = 0, n = first; i < bytes.length; i += n, n = size) {
      const end = Math.min(bytes.length, i + n);
      bytes.copy(buf, 0, i, end);
      if (byEnd) r.push(buf, true, end - i);
      else r.push(buf.subarray(0, end - i), true);
      buf.fill(0xee); // the next read lands here
    }
  };

  it('reads the same from a reused read buffer whose first read ends at every offset of the stream', () => {
    const small = Buffer.concat([
      frame('{"msgID":1}', 0x1),
      frame(mid, 0x1),
      frame('part1-', 0x1, { fin: false }),
      frame('ping!', 0x9),
      frame('part2', 0x0),
      frame('masked text', 0x1, { mask: true }),
      frame(mid, 0x2, { mask: true }),
    ]);
    const want: Got = [
      { kind: 'text', data: '{"msgID":1}' },
      { kind: 'text', data: mid },
      { kind: 'ping', data: 'ping!' },
      { kind: 'text', data: 'part1-part2' },
      { kind: 'text', data: 'masked text' },
      { kind: 'binary', data: mid },
    ];
    for (const byEnd of [false, true])
      for (const size of [3, 11, 301, 4096])
        for (let first = 1; first <= small.length; first++) {
          const got: Got = [];
          pushThroughReused(reader(got), small, size, first, byEnd);
          expect(got, `reads of ${size}, the first of ${first}${byEnd ? ', by end' : ''}`).toEqual(want);
        }
  });

  it('delivers every message once and in order, whatever the frames and wherever the reused reads cut them (property)', () => {
    const frameArb = fc.record({
      length: fc.oneof(fc.integer({ min: 0, max: 130 }), fc.integer({ min: 120, max: 2000 }), fc.integer({ min: 65_530, max: 66_000 })),
      binary: fc.boolean(),
      mask: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 70_000 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.boolean(),
        (frames, size, first, byEnd) => {
          const messages = frames.map((f, i) => `${i}:`.padEnd(f.length, String.fromCharCode(97 + (i % 26))));
          const bytes = Buffer.concat(frames.map((f, i) => frame(messages[i]!, f.binary ? 0x2 : 0x1, { mask: f.mask })));
          const got: Got = [];
          pushThroughReused(reader(got), bytes, size, first, byEnd);
          expect(got).toEqual(frames.map((f, i) => ({ kind: f.binary ? 'binary' : 'text', data: messages[i] })));
        },
      ),
      { numRuns: 150 },
    );
  });

  describe('a frame split across full reused reads', () => {
    afterEach(() => vi.restoreAllMocks());
    const READ = 256 * 1024;

    it('copies only the bytes of the unfinished frame, and keeps no view into the read buffer', () => {
      // frames of 300 bytes (4-byte header) cut by every read: the first read ends 10 bytes into one
      const event = (i: number): Buffer => frame(`${i}`.padEnd(300, '.'), 0x1);
      const count = Math.ceil((3 * READ) / 304) + 1;
      const bytes = Buffer.concat(Array.from({ length: count }, (_, i) => event(i)));
      const firstRead = 304 * 100 + 10;
      const got: Got = [];
      const r = reader(got);
      const copies: number[] = [];
      const concat = Buffer.concat.bind(Buffer);
      const from = Buffer.from.bind(Buffer) as (...a: unknown[]) => Buffer;
      vi.spyOn(Buffer, 'concat').mockImplementation((list, total) => {
        const out = concat(list, total);
        copies.push(out.length);
        return out;
      });
      vi.spyOn(Buffer, 'from').mockImplementation(((...a: unknown[]) => {
        const out = from(...a);
        copies.push(out.length);
        return out;
      }) as typeof Buffer.from);
      const buf = Buffer.alloc(READ);
      const held: number[] = [];
      for (let i = 0, n = firstRead; i < bytes.length; i += n, n = READ) {
        const end = Math.min(bytes.length, i + n);
        bytes.copy(buf, 0, i, end);
        r.push(buf.subarray(0, end - i), true);
        buf.fill(0xee);
        for (const kept of (r as unknown as { pending: Buffer[] }).pending) held.push(kept.buffer.byteLength);
      }
      vi.restoreAllMocks();
      expect(got.map((g) => g.data)).toEqual(Array.from({ length: count }, (_, i) => `${i}`.padEnd(300, '.')));
      expect(held.length).toBeGreaterThan(0); // reads did end mid-frame
      expect(Math.max(...held)).toBeLessThan(64 * 1024); // what is kept is its own small buffer
      expect(Math.max(...copies)).toBeLessThanOrEqual(304); // no copy of more than one frame
    });
  });

  it('refuses what a server must not send', () => {
    for (const bad of [frame('x', 0x3), frame('x', 0x0), Buffer.from([0xc1, 0x01, 0x78])]) {
      const got: Got = [];
      reader(got).push(bad);
      expect(got.map((g) => g.kind)).toEqual(['error']);
    }
  });

  it('bounds a message in bytes: a frame header over the limit fails at once, before its payload', () => {
    const faults: string[] = [];
    const r = new FrameReader(
      { onMessage: () => {}, onPing: () => {}, onClose: () => {}, onProtocolError: (_w, code, fault) => faults.push(`${code} ${fault}`) },
      1024,
    );
    const head = Buffer.from([0x81, 127, 0, 0, 0, 0, 0x0f, 0xf0, 0, 0]); // 255 MiB announced
    r.push(head);
    expect(faults).toEqual(['1009 message_too_large']);
    r.push(Buffer.alloc(1 << 20)); // what follows is ignored, not buffered
    expect(faults).toHaveLength(1);
  });

  it('takes what is at each limit and refuses one byte over: a frame of the message limit, a control frame of 125 bytes', () => {
    const outcome = (bytes: Buffer, limit?: number): string[] => {
      const seen: string[] = [];
      const r = new FrameReader(
        {
          onMessage: (p) => seen.push(`message ${p.length}`),
          onPing: (p) => seen.push(`ping ${p.length}`),
          onClose: () => {},
          onProtocolError: (_w, code, fault) => seen.push(`${code} ${fault}`),
        },
        limit,
      );
      r.push(bytes);
      return seen;
    };
    expect(outcome(frame('x'.repeat(1024), 0x1), 1024)).toEqual(['message 1024']);
    expect(outcome(frame('x'.repeat(1025), 0x1), 1024)).toEqual(['1009 message_too_large']);
    expect(outcome(frame('p'.repeat(125), 0x9))).toEqual(['ping 125']);
    expect(outcome(Buffer.concat([Buffer.from([0x89, 126, 0, 126]), Buffer.alloc(126)]))).toEqual(['1002 bad_control_frame']);
  });

  it('bounds a fragmented message in bytes and in fragments', () => {
    const run = (fragment: string, count: number, limit?: number): string[] => {
      const faults: string[] = [];
      const r = new FrameReader(
        {
          onMessage: () => faults.push('message'),
          onPing: () => {},
          onClose: () => {},
          onProtocolError: (_w, code, fault) => faults.push(`${code} ${fault}`),
        },
        limit,
      );
      r.push(frame(fragment, 0x1, { fin: false }));
      for (let i = 0; i < count && faults.length === 0; i++) r.push(frame(fragment, 0x0, { fin: false }));
      return faults;
    };
    expect(run('x'.repeat(1000), 100, 64 * 1024)).toEqual(['1009 message_too_large']);
    expect(run('', 10_000)).toEqual(['1009 too_many_fragments']);
    expect(run('x', 100)).toEqual([]); // a long message still arriving is not a fault by itself
  });

  it('fails text that is not UTF-8 (1007), including a close reason, but passes binary as it is', () => {
    const bad = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    for (const [f, want] of [
      [frame(bad, 0x1), ['error 1007 invalid_utf8']],
      [frame(Buffer.concat([Buffer.from([0x03, 0xe8]), bad]), 0x8), ['error 1007 invalid_utf8']],
      [frame(bad, 0x2), ['binary']],
    ] as const) {
      const got: string[] = [];
      new FrameReader({
        onMessage: (_p, binary) => got.push(binary ? 'binary' : 'text'),
        onPing: () => {},
        onClose: () => got.push('close'),
        onProtocolError: (_w, code, fault) => got.push(`error ${code} ${fault}`),
      }).push(f);
      expect(got).toEqual(want);
    }
  });

  it('fails a fragmented or oversized control frame, and reads nothing after a close frame', () => {
    const got: Got = [];
    reader(got).push(Buffer.concat([frame('p', 0x9, { fin: false })]));
    expect(got.map((g) => g.kind)).toEqual(['error']);
    const after: Got = [];
    reader(after).push(Buffer.concat([frame(Buffer.from([0x03, 0xe9]), 0x8), frame('{"msgID":1}', 0x1)]));
    expect(after).toEqual([{ kind: 'close', data: '1001 ' }]);
  });

  it('fails a close frame of one byte, or with a code that may not be sent on the wire, with 1002 (as ws does)', () => {
    const outcome = (bytes: number[]): string[] => {
      const got: string[] = [];
      new FrameReader({
        onMessage: () => got.push('message'),
        onPing: () => {},
        onClose: (code, reason) => got.push(`close ${code} ${reason}`),
        onProtocolError: (_w, code, fault) => got.push(`error ${code} ${fault}`),
      }).push(Buffer.from(bytes));
      return got;
    };
    const closeWith = (code: number): number[] => [0x88, 0x02, code >> 8, code & 0xff];
    expect(outcome([0x88, 0x01, 0x03])).toEqual(['error 1002 bad_control_frame']);
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
      expect(outcome(closeWith(code)), `code ${code}`).toEqual(['error 1002 bad_control_frame']);
    for (const code of [1000, 1003, 1007, 1014, 3000, 4000, 4008, 4999])
      expect(outcome(closeWith(code)), `code ${code}`).toEqual([`close ${code} `]);
    expect(outcome([0x88, 0x00])).toEqual(['close 1005 ']); // no code at all: 1005, as ws reports it
  });

  describe("one budget for a worker's clients", () => {
    const KiB = 1024;
    /** A reader on `budget` whose faults land in `faults`. */
    const budgeted = (budget: MessageBudget, faults: string[]): FrameReader =>
      new FrameReader(
        {
          onMessage: () => faults.push('message'),
          onPing: () => {},
          onClose: () => {},
          onProtocolError: (_w, code, f) => faults.push(`${code} ${f}`),
        },
        undefined,
        budget,
      );
    /** `bytes` of a fragmented text message that is not finished. */
    const unfinished = (bytes: number): Buffer => frame('x'.repeat(bytes), 0x1, { fin: false });

    it('fails the client whose unfinished message would take the budget over, and only that one', () => {
      const budget = new MessageBudget(200 * KiB);
      const a: string[] = [];
      const b: string[] = [];
      const ra = budgeted(budget, a);
      const rb = budgeted(budget, b);
      ra.push(unfinished(UNBUDGETED_BYTES + 150 * KiB));
      expect(a).toEqual([]);
      expect(budget.held).toBe(150 * KiB);
      rb.push(unfinished(UNBUDGETED_BYTES + 100 * KiB)); // 150 + 100 > 200
      expect(b).toEqual(['1009 worker_budget_exceeded']);
      expect(a).toEqual([]);
      expect(budget.held).toBe(150 * KiB); // the failed one holds nothing
      // a message that ends gives its bytes back: the next one fits again
      ra.push(frame('', 0x0, { fin: true }));
      expect(a).toEqual(['message']);
      expect(budget.held).toBe(0);
      const c: string[] = [];
      budgeted(budget, c).push(unfinished(UNBUDGETED_BYTES + 100 * KiB));
      expect(c).toEqual([]);
      expect(budget.held).toBe(100 * KiB);
    });

    it('an unfinished message within the allowance costs the budget nothing; release() gives back what a closed connection held', () => {
      const budget = new MessageBudget(1);
      const faults: string[] = [];
      const r = budgeted(budget, faults);
      r.push(unfinished(UNBUDGETED_BYTES - 100)); // no charge: fits even a 1-byte budget
      expect(faults).toEqual([]);
      expect(budget.held).toBe(0);
      const big = new MessageBudget(10 * 1024 * KiB);
      const r2 = budgeted(big, faults);
      r2.push(unfinished(UNBUDGETED_BYTES + 10 * KiB));
      expect(big.held).toBe(10 * KiB);
      r2.release();
      expect(big.held).toBe(0);
      expect(faults).toEqual([]);
    });

    it('counts a large frame still arriving (not only fragments)', () => {
      const budget = new MessageBudget(100 * KiB);
      const faults: string[] = [];
      const r = budgeted(budget, faults);
      const whole = frame('y'.repeat(UNBUDGETED_BYTES + 200 * KiB), 0x1);
      r.push(whole.subarray(0, UNBUDGETED_BYTES + 50 * KiB));
      expect(faults).toEqual([]);
      r.push(whole.subarray(UNBUDGETED_BYTES + 50 * KiB, UNBUDGETED_BYTES + 150 * KiB));
      expect(faults).toEqual(['1009 worker_budget_exceeded']);
      expect(budget.held).toBe(0);
    });
  });
});
