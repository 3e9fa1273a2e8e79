// A stream the server emits on its own: which ids a client is owed is learned from what arrives.
import { describe, expect, it } from 'vitest';
import { EmittedStreamAccount, EmittedStreamHeads, IdBits, unionSeen } from '../../src/measurement/emittedStream.js';
import { GroupRecorder } from '../../src/measurement/recorder.js';
import { IdMap } from '../../src/measurement/idMap.js';
import { timeline } from '../../src/measurement/schedule.js';
import type { ScannedEvent } from '../../src/measurement/frameScan.js';
import { AgeTicks } from '../../src/measurement/ageTicks.js';

const T0 = 1_000_000_000;
const tl = timeline(T0, [
  { name: 'baseline', durationUs: 1_000_000, role: 'baseline' },
  { name: 'stress', durationUs: 1_000_000, role: 'stress' },
]);
// one event per ms: id n is due at T0 + n ms
const ev = (id: number): ScannedEvent => ({ msgId: 0, id, intendedUs: T0 + id * 1000, sentUs: NaN });

/** Other clients of the stream received every id up to `id`: the head at a phase's end, and the ids below it. */
function othersHad(heads: EmittedStreamHeads, phase: number, id: number, timeUs: number): void {
  heads.set(phase, id, timeUs);
  for (let i = 1; i <= id; i++) heads.noteSeen(i);
}

function setup(joinedUs = T0) {
  const rec = new GroupRecorder('fast', 2);
  rec.t0Us = T0;
  const heads = new EmittedStreamHeads();
  return { rec, heads, account: new EmittedStreamAccount(rec, tl, heads, joinedUs) };
}

describe('EmittedStreamHeads', () => {
  it('the head for a phase is the latest one known at or before it', () => {
    const h = new EmittedStreamHeads();
    expect(h.headFor(1)).toBeUndefined();
    h.set(0, 10, 5);
    expect(h.headFor(1)).toEqual({ id: 10, timeUs: 5 });
    h.set(1, 20, 6);
    expect(h.headFor(1)).toEqual({ id: 20, timeUs: 6 });
    expect(h.headFor(0)).toEqual({ id: 10, timeUs: 5 });
  });
});

describe('EmittedStreamAccount', () => {
  it('everything in order: delivered, nothing missing, the stall is the latency', () => {
    const { rec, heads, account } = setup();
    for (let id = 1; id <= 900; id++) account.onEvent(ev(id), T0 + id * 1000 + 200);
    othersHad(heads, 0, 900, T0 + 900_000);
    account.phaseEnded(tl.ends[0]!);
    account.account(tl.ends[0]!, tl.ends[0]! + 500_000);
    expect(account.totals).toMatchObject({ delivered: 900, missing: 0, duplicates: 0, outOfOrder: 0 });
    expect(account.totals.maxStallUs).toBe(200);
    expect(rec.phases[0]!.latency.minNonZeroValue).toBe(200);
    expect(rec.phases[0]!.latency.maxValue).toBe(200);
    expect(rec.phases[0]!.counters).toMatchObject({ delivered: 900, arrived: 900, missing: 0 });
    expect(rec.phases[0]!.counters.maxStalenessUs).toBe(tl.ends[0]! - (T0 + 900_000));
    expect(account.head()).toEqual({ id: 900, timeUs: T0 + 900_000 });
  });

  it('duplicates and reordering are counted, not delivered twice', () => {
    const { rec, heads, account } = setup();
    for (const id of [1, 2, 3, 2, 5, 4]) account.onEvent(ev(id), T0 + id * 1000 + 100);
    expect(account.totals).toMatchObject({ delivered: 5, duplicates: 1, outOfOrder: 1 });
    expect(rec.phases[0]!.counters).toMatchObject({ duplicates: 1, outOfOrder: 1 });
    // the reordered id 4 filled its gap: nothing is missing
    othersHad(heads, 0, 5, T0 + 5000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(0);
    expect(account.head()).toEqual({ id: 5, timeUs: T0 + 5000 });
  });

  it('the next id right after the newest is no gap; an id two further is', () => {
    const { heads, account } = setup();
    account.onEvent(ev(7), T0 + 7100);
    account.onEvent(ev(8), T0 + 8100);
    account.onEvent(ev(10), T0 + 10_100);
    othersHad(heads, 0, 10, T0 + 10_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(1);
    expect(account.head()).toEqual({ id: 10, timeUs: T0 + 10_000 });
  });

  it("events before the client's first id, before t0 or after the run are not this run's", () => {
    const { account } = setup();
    account.onEvent(ev(10), T0 + 10_100);
    account.onEvent(ev(5), T0 + 10_200); // before its stream began
    account.onEvent({ ...ev(11), intendedUs: T0 - 1 }, T0 + 10_300); // emitted before t0
    account.onEvent({ ...ev(12), intendedUs: tl.endUs }, tl.endUs + 10); // after the run
    expect(account.totals.delivered).toBe(1);
  });

  it('a gap is owed, recorded at the next known time, and stays outstanding until it arrives', () => {
    const { rec, heads, account } = setup();
    account.onEvent(ev(1), T0 + 1100);
    account.onEvent(ev(5), T0 + 5100); // 2…4 skipped
    othersHad(heads, 0, 5, T0 + 5000);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    expect(account.totals.missing).toBe(3);
    expect(rec.phases[0]!.counters.missing).toBe(3);
    // their publish time is at most the next event's (id 5): the stall is a lower bound from there
    expect(rec.phases[0]!.counters.maxStallUs).toBe(tl.ends[0]! - (T0 + 5000));
    // still owed in stress, so still outstanding when it was found missing
    expect(account.totals.maxStallUs).toBe(tl.ends[0]! + 100_000 - (T0 + 5000));
    account.onEvent(ev(3), tl.ends[0]! + 200_000);
    expect(account.totals.lateArrivals).toBe(1);
    expect(rec.phases[0]!.counters.lateArrivals).toBe(1);
    expect(rec.phases[0]!.latency.totalCount).toBe(5); // 2 delivered + 3 missing; the late one not again
    // the missing ones were recorded at (accounting time − the next known publish time)
    expect(rec.phases[0]!.latency.maxValue).toBeGreaterThanOrEqual(tl.ends[0]! + 100_000 - (T0 + 5000) - 1000);
    account.account(tl.endUs, tl.endUs + 100_000);
    expect(account.totals.missing).toBe(3); // counted once
  });

  it('owed everything up to the head other clients saw', () => {
    const { heads, account } = setup();
    account.onEvent(ev(1), T0 + 1100);
    othersHad(heads, 0, 50, T0 + 50_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000, new IdMap());
    expect(account.totals.missing).toBe(49);
  });

  it("ids no client received are not the stream's (its ids step by 2): never missing, counted as unseen", () => {
    const { heads, account } = setup();
    const other = new EmittedStreamAccount(new GroupRecorder('fast', 2), tl, heads, T0);
    for (let id = 2; id <= 40; id += 2) {
      account.onEvent(ev(id), T0 + id * 1000 + 100);
      if (id !== 20) other.onEvent(ev(id), T0 + id * 1000 + 100); // the other client lacks 20
    }
    heads.set(0, 40, T0 + 40_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    other.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    expect(account.totals.missing).toBe(0);
    expect(account.totals.unseenIds).toBe(19);
    // an id some client received and another did not is missing for that one
    expect(other.totals.missing).toBe(1);
  });

  it('the ids other threads saw count as seen (their bits added)', () => {
    const a = new EmittedStreamHeads();
    const b = new EmittedStreamHeads();
    for (const id of [1000, 1003, 1010]) a.noteSeen(id);
    for (const id of [990, 1005]) b.noteSeen(id);
    a.addSeen(b.seenIds());
    expect([990, 1000, 1003, 1005, 1010].every((id) => a.seenByAny(id))).toBe(true);
    expect([991, 1001, 1004, 1011].some((id) => a.seenByAny(id))).toBe(false);
  });

  it('a client that received nothing is owed the ids after the head when it set out; with no head, nothing is known', () => {
    const { heads, account } = setup();
    account.assumeWindow(100);
    account.assumeWindow(500); // the first assumption stands
    othersHad(heads, 0, 110, T0 + 110_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    expect(account.totals.missing).toBe(10);
    const none = setup();
    none.account.assumeWindow(0);
    none.account.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    expect(none.account.totals.missing).toBe(0);
    expect(none.account.replayTotals()).toBeUndefined();
  });
});

describe("EmittedStreamAccount: where a client's stream begins", () => {
  it('a head of 0 (the runner never saw the stream) assumes nothing: the first event starts the stream', () => {
    const { heads, account } = setup();
    account.assumeWindow(0);
    expect(account.head()).toBeUndefined();
    for (let id = 5; id <= 10; id++) account.onEvent(ev(id), T0 + id * 1000 + 100);
    othersHad(heads, 0, 10, T0 + 10_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals).toMatchObject({ delivered: 6, missing: 0 });
  });

  it('an assumed window is no head to pool: the client has received nothing', () => {
    const { account } = setup();
    account.assumeWindow(100);
    expect(account.head()).toBeUndefined();
    account.onEvent(ev(101), T0 + 101_100);
    expect(account.head()).toEqual({ id: 101, timeUs: T0 + 101_000 });
  });

  it('a client that joins mid-stream is not owed the ids before its first one', () => {
    const { heads, account } = setup(T0 + 500_000);
    for (let id = 500; id <= 900; id++) account.onEvent(ev(id), T0 + id * 1000 + 100);
    othersHad(heads, 0, 900, T0 + 900_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals).toMatchObject({ delivered: 401, missing: 0 });
    expect(account.totals.unseenIds).toBeUndefined();
  });

  it("an event intended exactly at t0 is the run's; one intended just before is not", () => {
    const { account } = setup();
    account.onEvent({ ...ev(1), intendedUs: T0 - 1 }, T0 + 100);
    account.onEvent({ ...ev(2), intendedUs: T0 }, T0 + 200);
    expect(account.totals.delivered).toBe(1);
  });
});

describe('EmittedStreamAccount: a catch-up subscription', () => {
  it('replays (last id, head] into the replay books and owes every id after the head, live', () => {
    const { rec, heads, account } = setup();
    account.subscribed(100, T0 + 10_000, 50);
    account.subscribed(300, T0 + 20_000, 250); // a second ack does not open new books
    account.replayAskedFor(T0 + 100_000); // nothing has arrived yet: the replay starts now
    for (let id = 51; id <= 100; id++) account.onEvent({ ...ev(id), intendedUs: T0 - 1 }, T0 + 100_000 + (id - 50) * 1000);
    for (let id = 103; id <= 200; id++) account.onEvent(ev(id), T0 + id * 1000 + 100); // 101 and 102 never come
    othersHad(heads, 0, 200, T0 + 200_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.replayTotals()).toMatchObject({ fromId: 50, toId: 100, received: 50, missing: 0, timeToLiveUs: 50_000 });
    expect(account.totals).toMatchObject({ delivered: 98, missing: 2 });
    // replayed events never enter the live histograms
    expect(rec.phases[0]!.latency.totalCount).toBe(100);
  });

  it('a plain subscription opens no replay books; the first event starts the stream', () => {
    const { account } = setup();
    account.subscribed(100, T0);
    account.onEvent(ev(150), T0 + 150_100);
    expect(account.replayTotals()).toBeUndefined();
    expect(account.totals.delivered).toBe(1);
  });
});

describe('EmittedStreamAccount: what is due when', () => {
  it('a client that left is owed ids up to the head of its last phase, not the heads after it', () => {
    const { heads, account } = setup();
    account.leaveUs = tl.ends[0]!;
    account.onEvent(ev(1), T0 + 1100);
    othersHad(heads, 0, 100, T0 + 100_000);
    othersHad(heads, 1, 1500, T0 + 1_500_000);
    account.account(tl.endUs, tl.endUs + 10);
    expect(account.totals.missing).toBe(99);
  });

  it("accounting a phase owes its own head, even when a later phase's head is known", () => {
    const { heads, account } = setup();
    account.onEvent(ev(1), T0 + 1100);
    othersHad(heads, 0, 100, T0 + 100_000);
    othersHad(heads, 1, 1500, T0 + 1_500_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(99);
  });

  it('with no head known, the holes between the ids it received are still due', () => {
    const { heads, account } = setup();
    for (const id of [1, 2, 5]) account.onEvent(ev(id), T0 + id * 1000 + 100);
    heads.noteSeen(3);
    heads.noteSeen(4);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(2);
  });

  it('a client behind the head: ids counted missing once are not counted again when a later event opens a gap over them', () => {
    const { heads, account } = setup();
    for (let id = 1; id <= 50; id++) account.onEvent(ev(id), T0 + id * 1000 + 100);
    othersHad(heads, 0, 100, T0 + 100_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(50);
    account.onEvent(ev(1120), T0 + 1_120_100);
    othersHad(heads, 1, 1130, T0 + 1_130_000);
    account.account(tl.endUs, tl.endUs + 10);
    // 101…1119 and 1121…1130: each id counted once
    expect(account.totals.missing).toBe(50 + 1019 + 10);
  });

  it('after the last accounting, an id that turns up is a late arrival, not a delivery', () => {
    const { heads, account } = setup();
    account.onEvent(ev(1), T0 + 1100);
    account.onEvent(ev(3), T0 + 3100);
    for (const id of [1, 2, 3]) heads.noteSeen(id);
    account.account(Infinity, tl.endUs + 10);
    expect(account.totals.missing).toBe(1);
    account.onEvent(ev(2), tl.endUs + 20);
    expect(account.totals).toMatchObject({ delivered: 2, lateArrivals: 1 });
  });
});

describe('EmittedStreamAccount: stalls and ticks', () => {
  it('a client that received nothing while the stream went on is stalled since it joined; with no stream known, it is not', () => {
    const owed = setup(T0 + 100_000);
    othersHad(owed.heads, 0, 50, T0 + 50_000);
    owed.account.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    expect(owed.account.totals.maxStallUs).toBe(tl.ends[0]! + 100_000 - (T0 + 100_000));
    const quiet = setup(T0 + 100_000);
    quiet.account.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    expect(quiet.account.totals.maxStallUs).toBe(0);
  });

  it('a client that left: an event it was owed that arrives later ages its stall only until it left', () => {
    const { account } = setup();
    account.leaveUs = tl.ends[0]!;
    account.onEvent(ev(900), T0 + 2_400_000);
    expect(account.totals.maxStallUs).toBe(100_000);
  });

  it('its ticks hold the age of the newest event it has, until the next one or the accounting', () => {
    const rec = new GroupRecorder('fast', 2);
    rec.t0Us = T0;
    const heads = new EmittedStreamHeads();
    const ticks = new AgeTicks(T0, tl.endUs, T0);
    const account = new EmittedStreamAccount(rec, tl, heads, T0, ticks);
    account.onEvent(ev(1), T0 + 1300);
    account.onEvent(ev(300), T0 + 300_300); // a silence of 299 ms
    expect(ticks.ages[20]).toBe(200_000 - 1000);
    expect(ticks.ages[60]).toBe(0);
    account.account(T0 + 500_000, T0 + 500_000);
    expect(ticks.ages[45]).toBe(150_000);
    expect(ticks.ages[60]).toBe(0);
  });
});

describe('IdBits: the set of ids a thread ships', () => {
  it('the lowest id is found past an empty byte, and is the lowest bit of its byte', () => {
    const s = new IdBits();
    expect(s.first()).toBeUndefined();
    s.or({ base: 0, bits: Uint8Array.from([0, 0b10010]) }); // ids 9 and 12
    expect(s.first()).toBe(9);
  });

  it('an id on the base is in the set; the ids either side of it are not', () => {
    const s = new IdBits();
    expect(s.has(0)).toBe(false);
    s.note(16);
    expect([s.has(15), s.has(16), s.has(17)]).toEqual([false, true, false]);
  });

  it('a set with nothing in it adds nothing; one based at id 0 adds its ids', () => {
    const s = new IdBits();
    s.note(20);
    const before = s.ids();
    s.or({ base: -1, bits: new Uint8Array(0) }); // a worker whose clients received nothing
    expect(s.ids()).toEqual(before);
    s.or({ base: 0, bits: Uint8Array.from([0b1000]) });
    expect([s.has(3), s.has(20), s.has(2)]).toEqual([true, true, false]);
  });

  it('the union of one set is that set, byte for byte, and what is shipped is a copy', () => {
    const one = { base: 8, bits: Uint8Array.from([1, 0x80]) };
    expect(unionSeen([one])).toEqual(one);
    const s = new IdBits();
    s.note(3);
    const shipped = s.ids();
    s.note(4);
    expect(shipped).toEqual({ base: 0, bits: Uint8Array.from([0b1000]) });
  });
});

describe('EmittedStreamHeads.consecutiveThrough', () => {
  it('through the first id seen it is consecutive, below it nothing is known; a hole stops it until filled', () => {
    const h = new EmittedStreamHeads();
    expect(h.consecutiveThrough(5)).toBe(false);
    h.noteSeen(5);
    expect(h.consecutiveThrough(5)).toBe(true);
    expect(h.consecutiveThrough(4)).toBe(false);
    h.noteSeen(7);
    expect(h.consecutiveThrough(7)).toBe(false);
    h.noteSeen(6);
    expect(h.consecutiveThrough(7)).toBe(true);
  });
});

describe('EmittedStreamAccount: a stream whose ids begin at 0', () => {
  it('id 0 starts the stream like any other: delivered once, its head, and the hole right after it is missing', () => {
    const { heads, account } = setup();
    account.onEvent(ev(0), T0 + 100);
    expect(account.head()).toEqual({ id: 0, timeUs: T0 });
    account.onEvent(ev(3), T0 + 3100);
    account.onEvent(ev(4), T0 + 4100);
    expect(account.totals).toMatchObject({ delivered: 3, duplicates: 0 });
    othersHad(heads, 0, 4, T0 + 4000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(2);
  });

  it('after id 0, neither a window assumed nor a catch-up acknowledged moves where the stream began', () => {
    const { account } = setup();
    account.onEvent(ev(0), T0 + 100);
    account.assumeWindow(100);
    account.subscribed(100, T0 + 200, 50);
    account.onEvent(ev(1), T0 + 1100);
    expect(account.totals.delivered).toBe(2);
    expect(account.replayTotals()).toBeUndefined();
  });

  it('only id 0 and no head known: the next id arriving in the next phase is a delivery, not a late arrival', () => {
    const { account } = setup();
    account.onEvent(ev(0), T0 + 100);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    account.onEvent(ev(1), tl.ends[0]! + 20);
    expect(account.totals).toMatchObject({ delivered: 2, lateArrivals: 0 });
  });
});

describe('EmittedStreamAccount: the edges of what is owed', () => {
  it('an assumed window begins after the head: the head itself is not the client’s', () => {
    const { account } = setup();
    account.assumeWindow(100);
    account.onEvent(ev(100), T0 + 100_100);
    account.onEvent(ev(101), T0 + 101_100);
    expect(account.totals.delivered).toBe(1);
  });

  it('asking a plain subscription for its replay is nothing to record', () => {
    const { account } = setup();
    account.subscribed(100, T0);
    expect(() => account.replayAskedFor(T0 + 10)).not.toThrow();
    expect(account.replayTotals()).toBeUndefined();
  });

  it('a gap after the first id owes only the ids between: not the one before it', () => {
    const { heads, account } = setup();
    account.onEvent(ev(7), T0 + 7100);
    account.onEvent(ev(10), T0 + 10_100);
    othersHad(heads, 0, 10, T0 + 10_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(2);
  });

  it('the head id itself, arriving after it was counted missing, is a late arrival', () => {
    const { heads, account } = setup();
    for (const id of [1, 2, 3]) account.onEvent(ev(id), T0 + id * 1000 + 100);
    othersHad(heads, 0, 5, T0 + 5000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(2);
    account.onEvent(ev(5), tl.ends[0]! + 20);
    expect(account.totals).toMatchObject({ delivered: 3, lateArrivals: 1 });
  });

  it('the last accounting owes every hole, also above the last head known', () => {
    const { heads, account } = setup();
    for (const id of [1, 2, 5]) account.onEvent(ev(id), T0 + id * 1000 + 100);
    othersHad(heads, 0, 3, T0 + 3000);
    heads.noteSeen(4);
    account.account(Infinity, tl.endUs + 10);
    expect(account.totals.missing).toBe(2);
  });

  it('with no head known, a phase settles through the newest id: a newer one arriving next phase is delivered', () => {
    const { heads, account } = setup();
    for (const id of [1, 2, 5]) account.onEvent(ev(id), T0 + id * 1000 + 100);
    for (const id of [3, 4]) heads.noteSeen(id);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    expect(account.totals.missing).toBe(2);
    account.onEvent(ev(6), tl.ends[0]! + 20);
    expect(account.totals).toMatchObject({ delivered: 4, lateArrivals: 0 });
  });

  it('with no head known for the phase before, the stream is not known to be consecutive: holes nobody saw are unseen', () => {
    const { heads, account } = setup();
    for (let id = 1; id <= 1101; id += 2) account.onEvent(ev(id), T0 + id * 1000 + 100);
    heads.set(1, 1101, T0 + 1_101_000);
    account.account(tl.endUs, tl.endUs + 10);
    expect(account.totals.missing).toBe(0);
    expect(account.totals.unseenIds).toBe(550);
  });

  it('the missing are recorded at accounting time − the next known publish time', () => {
    const { rec, heads, account } = setup();
    account.onEvent(ev(1), T0 + 1100);
    account.onEvent(ev(5), T0 + 5100);
    othersHad(heads, 0, 5, T0 + 5000);
    const nowUs = tl.ends[0]! + 100_000;
    account.account(tl.ends[0]!, nowUs);
    const want = nowUs - (T0 + 5000);
    expect(rec.phases[0]!.latency.maxValue).toBeGreaterThanOrEqual(want * 0.99);
    expect(rec.phases[0]!.latency.maxValue).toBeLessThanOrEqual(want * 1.01);
  });

  it('the uncorrected latency is from the send time the target gave', () => {
    const { rec, account } = setup();
    account.onEvent({ ...ev(1), sentUs: T0 + 1000 + 300_000 }, T0 + 1000 + 500_000);
    expect(rec.phases[0]!.uncorrected.maxValue).toBeGreaterThanOrEqual(200_000 * 0.99);
    expect(rec.phases[0]!.uncorrected.maxValue).toBeLessThanOrEqual(200_000 * 1.01);
  });
});

describe('EmittedStreamAccount: stalls at the edges', () => {
  it('a client that received nothing is not stalled by a stream known only from a later phase', () => {
    const { heads, account } = setup();
    heads.set(1, 1500, T0 + 1_500_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    expect(account.totals.maxStallUs).toBe(0);
  });

  it('missing ids that all arrive stop the stall: it is as long as the latest of them took, no longer', () => {
    const { heads, account } = setup();
    account.onEvent(ev(10), T0 + 10_100);
    account.onEvent(ev(14), T0 + 14_100);
    othersHad(heads, 0, 14, T0 + 14_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 10);
    const arrivedUs = tl.ends[0]! + 100_000;
    for (const id of [11, 12, 13]) account.onEvent(ev(id), arrivedUs);
    account.account(tl.endUs, tl.endUs + 100_000);
    expect(account.totals.maxStallUs).toBe(arrivedUs - (T0 + 11_000));
  });

  it('a client with no window that received nothing is owed no ids (where its stream begins is unknown); it is stalled', () => {
    const { heads, account } = setup(T0 + 100_000);
    othersHad(heads, 0, 50, T0 + 50_000);
    const nowUs = tl.ends[0]! + 10;
    account.account(tl.ends[0]!, nowUs);
    expect(account.totals.missing).toBe(0);
    expect(account.totals.maxStallUs).toBe(nowUs - (T0 + 100_000));
  });

  it('a client that left having received nothing is stalled only until it left', () => {
    const { heads, account } = setup(T0 + 100_000);
    account.leaveUs = T0 + 600_000;
    othersHad(heads, 0, 50, T0 + 50_000);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000);
    expect(account.totals.maxStallUs).toBe(500_000);
  });

  it('a client that left with ids missing is stalled only until it left', () => {
    const { heads, account } = setup();
    account.leaveUs = T0 + 600_000;
    account.onEvent(ev(1), T0 + 1100);
    othersHad(heads, 0, 5, T0 + 5000);
    account.account(tl.ends[0]!, tl.endUs + 100_000);
    expect(account.totals.maxStallUs).toBe(T0 + 600_000 - (T0 + 5000));
  });
});
