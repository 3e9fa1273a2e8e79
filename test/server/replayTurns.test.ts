// The isolated hub's replay, loop turn by loop turn: an IsolatedHub over fake sockets that never
// push back (the worst case for live clients: the replay could always write), with setImmediate
// faked so the test runs the loop's check phase one turn at a time. Live publishes are handled in
// between turns (the I/O phase). Nothing here depends on timing: every bound is in bytes and turns.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { IsolatedHub } from '../../src/server/isolated.js';
import { FilterBudget } from '../../src/server/filterBudget.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { resolveServerOptions, type ServerOptions } from '../../src/server/options.js';
import type { Reader } from '../../src/server/permissions.js';
import { REPLAY_TURN_BYTES } from '../../src/server/replayScheduler.js';
import type { ServerContext } from '../../src/server/serverContext.js';
import { MemoryStore } from '../../src/server/store/memory.js';

/**
 * A socket that takes every write at once (nothing ever queues) and keeps what it was given, turn by
 * turn. Like a net.Socket whose write the kernel took whole, it has the bytes when write() returns
 * with nothing queued (writableLength 0): the hub may reuse the buffer from then on (live fan-out's
 * arena does). Completions come on the next tick.
 */
class FakeSocket extends EventEmitter {
  readonly writableHighWaterMark = 16 * 1024;
  /** What the socket queues: 0 unless a test makes it a reader that has fallen behind. */
  writableLength = 0;
  readonly writableNeedDrain = false;
  /** Each write: the turn it was made in, its place among every socket's writes, its bytes. */
  readonly chunks: { turn: number; seq: number; bytes: Buffer }[] = [];
  constructor(private readonly clock: Clock) {
    super();
  }
  write(data: Buffer, cb?: (err?: Error | null) => void): boolean {
    this.chunks.push({ turn: this.clock.turn, seq: ++this.clock.writes, bytes: Buffer.from(data) });
    if (cb) process.nextTick(cb);
    return true;
  }
  cork(): void {}
  uncork(): void {}
  /** Every websocket text frame written so far, parsed. */
  messages(): Record<string, unknown>[] {
    const all = Buffer.concat(this.chunks.map((c) => c.bytes));
    const out: Record<string, unknown>[] = [];
    for (let at = 0; at < all.length;) {
      expect(all[at]).toBe(0x81);
      let len = all[at + 1]!;
      let head = 2;
      if (len === 126) {
        len = all.readUInt16BE(at + 2);
        head = 4;
      } else if (len === 127) {
        len = all.readUInt32BE(at + 6);
        head = 10;
      }
      out.push(JSON.parse(all.toString('utf8', at + head, at + head + len)) as Record<string, unknown>);
      at += head + len;
    }
    return out;
  }
  /** Bytes written during each turn. */
  bytesByTurn(): Map<number, number> {
    const m = new Map<number, number>();
    for (const c of this.chunks) m.set(c.turn, (m.get(c.turn) ?? 0) + c.bytes.length);
    return m;
  }
}

/** The test's loop: the turn being run, and writes made on any socket so far. */
interface Clock {
  turn: number;
  writes: number;
}

class FakeWs extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly bufferedAmount = 0;
  readonly _socket: FakeSocket;
  constructor(clock: Clock) {
    super();
    this._socket = new FakeSocket(clock);
  }
  send(message: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }
  close(): void {
    this.readyState = 3;
    this.emit('close', 1000, Buffer.alloc(0));
  }
  pong(): void {}
}

const reader: Reader = { name: '*', mayPublish: false };
const publisher: Reader = { name: 'publisher', mayPublish: true };
const event = { event_type: 'update', properties: { note: 'y'.repeat(200) } };

function setup(overrides: Partial<ServerOptions> = {}) {
  const clock: Clock = { turn: 0, writes: 0 };
  const options = resolveServerOptions({ logSize: 100_000, maxMessageRate: 1e6, messageBurst: 1e6, ...overrides });
  const metrics = new ServerMetrics('isolated', () => ({ sessions: 0, maxBytes: 0, sumBytes: 0, pending: [] }), {});
  const ctx: ServerContext = {
    options,
    log: new MemoryStore(options.logSize, false, options.logBytes),
    metrics,
    filterBudget: new FilterBudget(),
  };
  const hub = new IsolatedHub(ctx);
  const open = (r: Reader): FakeWs => {
    const ws = new FakeWs(clock);
    hub.accept(ws as unknown as WebSocket, r);
    return ws;
  };
  return {
    clock,
    ctx,
    metrics,
    open,
    /** One loop turn's check phase: the immediates queued before it, then the ticks they queued (write completions). */
    async turn(): Promise<void> {
      clock.turn++;
      vi.runOnlyPendingTimers();
      await new Promise((resolve) => process.nextTick(resolve));
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('isolated replay, turn by turn', () => {
  it('replay writes at most its budget per loop turn and nothing in the I/O phase, while each live publish goes out first in the next check phase', async () => {
    const t = setup();
    const pub = t.open(publisher);
    const backlog = 20_000;
    for (let i = 0; i < backlog; i += 1000) pub.send({ method: 'publish', events: Array.from({ length: 1000 }, () => event) });
    // the backlog's fan-out (to nobody) takes more than one time slice on a busy machine: finish it
    // before anyone subscribes, so the live publishes below are not queued behind it
    vi.runAllTimers();
    const live = t.open(reader);
    live.send({ method: 'subscribe' });
    const catchup = t.open(reader);
    catchup.send({ method: 'subscribe', last_log_id: 0 });
    // subscribing replies, but replays nothing yet: replay never runs in the I/O phase
    expect(catchup._socket.messages()).toEqual([{ status: 200, last_log_id: backlog }]);

    const published: number[] = [];
    let turns = 0;
    while (t.ctx.metrics.replayedEvents < backlog && turns < 10_000) {
      // the I/O phase: a live publish every turn, fanned out in the check phase that follows
      const before = live._socket.chunks.length;
      pub.send({ method: 'publish', events: [event] });
      published.push(t.ctx.log.headId);
      expect(live._socket.chunks.length, 'fan-out waits for the check phase').toBe(before);
      await t.turn();
      turns++;
      expect(live._socket.chunks.length, 'the live event is written, one whole frame in one write').toBe(before + 1);
      const liveWrite = live._socket.chunks.at(-1)!;
      expect(liveWrite.turn).toBe(t.clock.turn);
      for (const c of catchup._socket.chunks.filter((c) => c.turn === t.clock.turn)) {
        expect(c.seq, `turn ${t.clock.turn}: the live write goes out before the replay's`).toBeGreaterThan(liveWrite.seq);
      }
    }
    expect(t.ctx.metrics.replayedEvents).toBeGreaterThanOrEqual(backlog);
    // a few more turns: the catch-up reaches the head and goes live
    for (let i = 0; i < 5; i++) {
      pub.send({ method: 'publish', events: [event] });
      published.push(t.ctx.log.headId);
      await t.turn();
    }

    const frame = catchup._socket.messages()[1]!;
    const frameBytes = Buffer.byteLength(JSON.stringify(frame)) + 4;
    for (const [turn, bytes] of catchup._socket.bytesByTurn()) {
      if (turn === 0) continue; // the subscribe reply
      expect(bytes, `replay bytes in turn ${turn}`).toBeLessThanOrEqual(REPLAY_TURN_BYTES + frameBytes);
    }
    // every id once, in order, msgIDs counting from 1, no gap notice: replayed, then live
    const events = catchup._socket.messages().filter((m) => 'msgID' in m);
    const last = published.at(-1)!;
    expect(events.map((e) => e['id'])).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(events.map((e) => e['msgID'])).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(
      live._socket
        .messages()
        .filter((m) => 'msgID' in m)
        .map((e) => e['id']),
    ).toEqual(published.filter((id) => id > backlog));
  });

  it('a replay step and a live publish due in the same check phase: the live event goes out first, and the replay still takes its turn', async () => {
    const t = setup();
    const pub = t.open(publisher);
    for (let i = 0; i < 5; i++) pub.send({ method: 'publish', events: Array.from({ length: 1000 }, () => event) });
    vi.runAllTimers();
    const live = t.open(reader);
    live.send({ method: 'subscribe' });
    const catchup = t.open(reader);
    catchup.send({ method: 'subscribe', last_log_id: 0 }); // its first replay step is due in the next check phase
    pub.send({ method: 'publish', events: [event] }); // and so is this event's fan-out
    await t.turn();
    const liveWrites = live._socket.chunks.filter((c) => c.turn === t.clock.turn);
    const replayWrites = catchup._socket.chunks.filter((c) => c.turn === t.clock.turn);
    expect(liveWrites).toHaveLength(1);
    expect(replayWrites.length, 'replay does not give way to a fan-out it could let run first').toBeGreaterThan(0);
    expect(Math.min(...replayWrites.map((c) => c.seq))).toBeGreaterThan(liveWrites[0]!.seq);
  });

  it('publishes stored in one turn reach a live session in one write; batches are merged only up to a publish batch cap', async () => {
    // --queue-bytes 4 KiB: a batch is capped at 16 KiB (bodies and heads), 38 of these events
    const t = setup({ queueBytes: 4096 });
    const pub = t.open(publisher);
    const live = t.open(reader);
    live.send({ method: 'subscribe' });
    pub.send({ method: 'publish', events: [event] }); // fan-out's first chunk is one event (it sizes chunks by visits from then on)
    await t.turn();
    for (let i = 0; i < 3; i++) pub.send({ method: 'publish', events: [event, event] });
    await t.turn();
    const oneWrite = live._socket.chunks.filter((c) => c.turn === t.clock.turn);
    expect(oneWrite, 'three publishes of one I/O phase, one write').toHaveLength(1);
    expect(
      live._socket
        .messages()
        .filter((m) => 'msgID' in m)
        .map((m) => m['id']),
    ).toEqual([1, 2, 3, 4, 5, 6, 7]);

    // 4 publishes of 10 events: merged while the sum stays within the cap (30 + 10 > 38 cannot join)
    for (let i = 0; i < 4; i++) pub.send({ method: 'publish', events: Array.from({ length: 10 }, () => event) });
    await t.turn();
    const writes = live._socket.chunks.filter((c) => c.turn === t.clock.turn);
    expect(
      writes.map((c) => c.bytes.length / writes[0]!.bytes.length).map((r) => Math.round(r * 3)),
      'three batches in one write, the fourth over the cap in a second',
    ).toEqual([3, 1]);
    const ids = live._socket
      .messages()
      .filter((m) => 'msgID' in m)
      .map((m) => m['id']);
    expect(ids).toEqual(Array.from({ length: 47 }, (_, i) => i + 1));
  });

  it('a replay step over the byte budget drops into a gap, and announces it before the next event it frames', async () => {
    const t = setup({ queueBytes: 16 * 1024, overflow: 'drop' });
    const pub = t.open(publisher);
    // a publish batch may be a few budgets' worth: 20 events of ~330 bytes is well within
    for (let i = 0; i < 20_000; i += 20) pub.send({ method: 'publish', events: Array.from({ length: 20 }, () => event) });
    vi.runAllTimers();
    const catchup = t.open(reader);
    catchup.send({ method: 'subscribe', last_log_id: 0 });
    // below the replay's low water (16 KiB), but no event fits in what is left of the budget
    catchup._socket.writableLength = 16 * 1024 - 100;
    await t.turn();
    expect(catchup._socket.messages().filter((m) => 'msgID' in m)).toEqual([]);
    expect(t.metrics.replayedEvents).toBe(0);
    // the reader catches up: the next step announces what was dropped before anything else
    catchup._socket.writableLength = 0;
    await t.turn();
    const [reply, gap, first, second] = catchup._socket.messages();
    expect(reply).toMatchObject({ status: 200 });
    expect(gap).toMatchObject({ status: 409 });
    const [from, to] = gap!['gap'] as [number, number];
    expect(from).toBe(1);
    expect(first).toMatchObject({ id: to + 1, msgID: 1 });
    expect(second).toMatchObject({ id: to + 2, msgID: 2 });
    expect(t.metrics.gaps).toBe(1);
    expect(t.metrics.replayedEvents).toBeGreaterThan(0);
  });

  it('numbers msgIDs consecutively across live fan-out writes and then replay writes on one session', async () => {
    const t = setup();
    const pub = t.open(publisher);
    pub.send({ method: 'publish', events: Array.from({ length: 50 }, () => event) });
    vi.runAllTimers();
    const client = t.open(reader);
    client.send({ method: 'subscribe' });
    for (let i = 0; i < 3; i++) {
      pub.send({ method: 'publish', events: Array.from({ length: 4 }, () => event) });
      vi.runAllTimers();
    }
    const live = client._socket.messages().filter((m) => 'msgID' in m);
    expect(live.map((m) => m['id'])).toEqual(Array.from({ length: 12 }, (_, i) => 51 + i));
    // the same session now catches up from the start: replay steps write after the live writes
    client.send({ method: 'subscribe', last_log_id: 0 });
    for (let i = 0; i < 5; i++) await t.turn();
    const all = client._socket.messages().filter((m) => 'msgID' in m);
    expect(t.metrics.replayedEvents).toBeGreaterThan(0);
    expect(all.length).toBeGreaterThan(live.length);
    expect(all.map((m) => m['msgID'])).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
  });

  it('shares each turn between several replaying sessions: each gets a step every turn or two, none is starved', async () => {
    const t = setup();
    const pub = t.open(publisher);
    for (let i = 0; i < 10_000; i += 1000) pub.send({ method: 'publish', events: Array.from({ length: 1000 }, () => event) });
    // as above: the backlog's fan-out (to nobody) may take more than one time slice; finish it first
    vi.runAllTimers();
    const sessions = Array.from({ length: 4 }, () => t.open(reader));
    for (const s of sessions) s.send({ method: 'subscribe', last_log_id: 0 });
    for (let i = 0; i < 20; i++) await t.turn();
    const counts = sessions.map((s) => s._socket.messages().filter((m) => 'msgID' in m).length);
    // 20 turns × 64 KiB ≈ 1.3 MB ≈ 4,000 frames of ~330 B, shared by 4 sessions
    for (const n of counts) expect(n).toBeGreaterThan(500);
    expect(Math.max(...counts) / Math.min(...counts)).toBeLessThan(2);
    const total = sessions.reduce(
      (sum, s) => sum + [...s._socket.bytesByTurn().entries()].filter(([turn]) => turn === 10).reduce((a, [, b]) => a + b, 0),
      0,
    );
    expect(total, 'all sessions together in one turn').toBeLessThanOrEqual(REPLAY_TURN_BYTES + 4 * 400);
  });
});
