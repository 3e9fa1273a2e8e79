// Replay frames a step's events into one buffer (writeEventFrame); live delivery writes a per-connection
// head and the shared body (eventFrameHead). Both must put the same bytes on the wire.
import { describe, expect, it } from 'vitest';
import { eventFrameHead, eventFrameLength, writeEventFrame } from '../../src/server/frame.js';

describe('event frames', () => {
  it('writeEventFrame writes exactly head + body, for every header size and msgID length', () => {
    for (const msgId of [1, 9, 10, 99, 100, 12_345, 99_999, 100_000, 999_999, 1_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 7, 1e15]) {
      for (const bodyLength of [0, 50, 115, 116, 200, 65_520, 70_000]) {
        const body = Buffer.alloc(bodyLength, 0x61);
        const expected = Buffer.concat([eventFrameHead(msgId, bodyLength), body]);
        expect(eventFrameLength(msgId, bodyLength)).toBe(expected.length);
        const buf = Buffer.alloc(expected.length + 5, 0xff);
        const end = writeEventFrame(buf, 3, msgId, body);
        expect(end).toBe(3 + expected.length);
        expect(buf.subarray(3, end).equals(expected), `msgID ${msgId}, body ${bodyLength}`).toBe(true);
        expect(buf[end]).toBe(0xff); // nothing written past the frame
      }
    }
  });
});
