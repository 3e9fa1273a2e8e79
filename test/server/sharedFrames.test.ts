// Live fan-out frames a chunk once for the sessions that take all of it and writes each of them the
// same bytes with its own msgID digits: the frames must be the ones writeEventFrame makes, and bytes a
// socket did not hand to the kernel at once must never be written over by the next session's digits.
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/server/eventLog.js';
import { eventFrameLength, writeEventFrame } from '../../src/server/frame.js';
import { SharedFrames } from '../../src/server/sharedFrames.js';
import { cleanup, PUBLISHER, server, TestClient, waitUntil } from '../support/referenceServer.js';
import { metric } from '../support/serverMetric.js';

afterEach(cleanup);

const event = (id: number, bodyLength: number) => ({ id, body: Buffer.alloc(bodyLength, 0x61 + (id % 26)) }) as StoredEvent;

/** What writeEventFrame makes of `events` with msgIDs from `firstMsgId` on. */
function expected(events: StoredEvent[], firstMsgId: number): Buffer {
  const parts = events.map((e, i) => {
    const buf = Buffer.alloc(eventFrameLength(firstMsgId + i, e.body.length));
    writeEventFrame(buf, 0, firstMsgId + i, e.body);
    return buf;
  });
  return Buffer.concat(parts);
}

describe('SharedFrames', () => {
  const events = [event(1, 10), event(2, 200), event(3, 0), event(4, 70_000), event(5, 125)];

  it('gives each session the chunk framed with its own msgIDs, in one reused buffer', () => {
    const shared = new SharedFrames();
    shared.reset([event(0, 5), ...events, event(6, 5)], 1, 6);
    expect(shared.count).toBe(5);
    const first = shared.framesFor(100_000)!;
    expect(first.equals(expected(events, 100_000))).toBe(true);
    const second = shared.framesFor(123_456)!;
    expect(second.equals(expected(events, 123_456))).toBe(true);
    expect(second.buffer).toBe(first.buffer); // the same bytes, only the digits written again
    // msgIDs carried from frame to frame: one digit, several, all but the first
    for (const msgId of [100_005, 100_097, 109_998, 199_996, 899_999]) {
      expect(shared.framesFor(msgId)!.equals(expected(events, msgId)), `from msgID ${msgId}`).toBe(true);
    }
    expect(shared.framesFor(2)!.equals(expected(events, 2))).toBe(true); // another digit count: laid out again
  });

  it('has no frames for msgIDs that change digit count within the chunk (each frame would move)', () => {
    const shared = new SharedFrames();
    shared.reset(events, 0, events.length);
    expect(shared.framesFor(6)).toBeUndefined(); // 6..10
    expect(shared.framesFor(99_997)).toBeUndefined(); // 99,997..100,001
    expect(shared.framesFor(5)!.equals(expected(events, 5))).toBe(true); // 5..9
  });

  it('never writes again into frames given before pinned(): the next session gets a buffer of its own', () => {
    const shared = new SharedFrames();
    shared.reset(events, 0, events.length);
    const held = shared.framesFor(1000)!;
    const copy = Buffer.from(held);
    shared.pinned();
    const next = shared.framesFor(2000)!;
    expect(next.equals(expected(events, 2000))).toBe(true);
    expect(held.equals(copy)).toBe(true);
    expect(next.buffer).not.toBe(held.buffer);
  });
});

describe('live fan-out with shared frames', () => {
  it("keeps a backlogged reader's queued frames its own while faster sessions get the next chunks", async () => {
    // A budget the stalled reader never reaches, so it stays open and is read to the end afterwards.
    const srv = await server({ mode: 'isolated', queueBytes: 256 * 1024 * 1024 });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const fast = await TestClient.open(srv.url);
    await fast.subscribe();
    // The fast session's msgIDs run 3 ahead of the stalled one's, with the same digit count.
    expect((await pub.publish([{ event_type: 'a' }, { event_type: 'a' }, { event_type: 'a' }])).status).toBe(200);
    await waitUntil(() => fast.events.length === 3, 'the first events at the fast client');
    const stalled = await TestClient.open(srv.url);
    await stalled.subscribe();
    stalled.ws.pause(); // its socket's kernel buffers fill, and then a write is only partly taken
    const BATCHES = 60;
    const BATCH = 100;
    const pad = 'p'.repeat(2000); // 60 × 100 × 2 KB ≈ 12 MB: more than loopback's buffers hold for a paused reader
    let maxQueued = 0;
    for (let b = 0; b < BATCHES; b++) {
      const events = Array.from({ length: BATCH }, () => ({ event_type: 'update', properties: { pad } }));
      expect((await pub.publish(events)).status).toBe(200);
      if (b % 10 === 9) maxQueued = Math.max(maxQueued, await metric(srv.metricsUrl, 'evbench_session_queue_bytes', { stat: 'max' }));
    }
    expect(maxQueued).toBeGreaterThan(0); // the stalled session's writes were not all taken at once
    await waitUntil(() => fast.events.length === 3 + BATCHES * BATCH, 'every event at the fast client');
    stalled.ws.resume();
    await waitUntil(() => stalled.events.length === BATCHES * BATCH, 'every event at the stalled client, once it reads', 20_000);
    const ids = (c: TestClient) => c.events.map((e) => [e.msgID, e.id]);
    expect(ids(stalled)).toEqual(Array.from({ length: BATCHES * BATCH }, (_, i) => [i + 1, i + 4]));
    expect(ids(fast)).toEqual(Array.from({ length: 3 + BATCHES * BATCH }, (_, i) => [i + 1, i + 1]));
  }, 30_000);
});
