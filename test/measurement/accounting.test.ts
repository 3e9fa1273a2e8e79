import { describe, expect, it } from 'vitest';
import { Bitset, ClientAccount, ReplayBooks } from '../../src/measurement/accounting.js';
import { GroupRecorder } from '../../src/measurement/recorder.js';
import { IdMap } from '../../src/measurement/idMap.js';
import { intendedUs, timeline, type Schedule } from '../../src/measurement/schedule.js';
import type { ScannedEvent } from '../../src/measurement/frameScan.js';
import type { PhaseSpec } from '../../src/scenario/types.js';

const T0 = 1_800_000_000_000_000; // epoch µs
const phases: PhaseSpec[] = [
  { name: 'baseline', durationUs: 1_000_000, role: 'baseline' },
  { name: 'stress', durationUs: 1_000_000, role: 'stress' },
];
const schedule: Schedule = { t0Us: T0, rate: 1000 }; // event k due at T0 + k ms
const tl = timeline(T0, phases);
const FIRST_ID = 101; // the target gave ids 101… to k = 0…

function setup(expects: (k: number) => boolean = () => true) {
  const rec = new GroupRecorder('fast', phases.length);
  const ids = new IdMap();
  ids.add(0, FIRST_ID, 2000);
  const account = new ClientAccount(rec, tl, schedule, expects, T0 - 1000);
  account.subscribed(FIRST_ID - 1, T0 - 500);
  const deliver = (k: number, latencyUs = 500): void => {
    const intended = intendedUs(schedule, k);
    const ev: ScannedEvent = { msgId: k + 1, id: FIRST_ID + k, intendedUs: intended, sentUs: intended + 100 };
    account.onEvent(ev, intended + latencyUs);
  };
  return { rec, ids, account, deliver };
}

describe('client accounting', () => {
  it('counts every expected event: all delivered means nothing missing', () => {
    const { rec, ids, account, deliver } = setup();
    for (let k = 0; k < 2000; k++) deliver(k);
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals).toMatchObject({ delivered: 2000, missing: 0, duplicates: 0, outOfOrder: 0 });
    expect(rec.phases[0]!.latency.totalCount).toBe(1000);
    expect(rec.phases[1]!.latency.totalCount).toBe(1000);
    expect(rec.phases[1]!.latency.maxValue).toBeLessThan(600);
  });

  it('records events never delivered after a point at their lower bound, and the stall', () => {
    const { rec, ids, account, deliver } = setup();
    // the fast client receives everything until 200 ms into stress, then nothing
    for (let k = 0; k < 1200; k++) deliver(k);
    const accountedAt = tl.endUs + 1_000_000;
    account.account(tl.endUs, accountedAt, ids);
    const stress = rec.phases[1]!;
    expect(stress.counters.missing).toBe(800);
    expect(stress.counters.delivered).toBe(200);
    // the histogram holds survivors and missing events alike
    expect(stress.latency.totalCount).toBe(1000);
    // the last missing event (k = 1999) was due 1 ms before the end: its lower bound ≈ 1 s of grace
    expect(stress.latency.maxValue).toBeGreaterThanOrEqual(1_000_000);
    // the first missing event (k = 1200) was due 1.8 s before accounting
    expect(stress.latency.getValueAtPercentile(99.99)).toBeGreaterThanOrEqual(1_790_000);
    expect(stress.latency.getValueAtPercentile(50)).toBeGreaterThan(500_000);
    // stalled from its last delivery (~200 ms into stress) to the end of stress, at least
    expect(stress.counters.maxStallUs).toBeGreaterThanOrEqual(790_000);
    expect(rec.phases[0]!.counters.missing).toBe(0);
  });

  it('counts duplicates and out-of-order deliveries without recording them twice', () => {
    const { rec, ids, account, deliver } = setup();
    for (let k = 0; k < 10; k++) deliver(k);
    deliver(5); // duplicate
    deliver(11);
    deliver(10); // reordered
    account.account(intendedUs(schedule, 12), tl.endUs, ids);
    expect(account.totals).toMatchObject({ delivered: 12, duplicates: 1, outOfOrder: 1, missing: 0 });
    expect(rec.phases[0]!.latency.totalCount).toBe(12);
  });

  it('an event that arrives after it was counted missing is a late arrival, not a second sample', () => {
    const { rec, ids, account, deliver } = setup();
    for (let k = 0; k < 100; k++) if (k !== 50) deliver(k);
    account.account(intendedUs(schedule, 100), intendedUs(schedule, 100) + 1_000_000, ids);
    expect(account.totals.missing).toBe(1);
    deliver(50, 3_000_000);
    expect(account.totals.lateArrivals).toBe(1);
    expect(rec.phases[0]!.latency.totalCount).toBe(100);
  });

  it('expects only the events its filters and permissions let through', () => {
    const { rec, ids, account, deliver } = setup((k) => k % 2 === 0);
    for (let k = 0; k < 1000; k += 2) deliver(k);
    account.account(tl.ends[0]!, tl.endUs, ids);
    expect(account.totals.missing).toBe(0);
    expect(rec.phases[0]!.counters.delivered).toBe(500);
  });

  it('is idempotent: accounting the same span twice counts nothing twice', () => {
    const { ids, account, deliver } = setup();
    for (let k = 0; k < 500; k++) deliver(k);
    account.account(tl.ends[0]!, tl.endUs, ids);
    account.account(tl.ends[0]!, tl.endUs + 5, ids);
    expect(account.totals.missing).toBe(500);
  });

  it('a client whose subscribe was never acknowledged is owed everything after its request', () => {
    const rec = new GroupRecorder('churny', phases.length);
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 2000);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.assumeWindow(FIRST_ID + 999); // head when the request went out: k = 999
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals.missing).toBe(1000);
    expect(rec.phases[1]!.counters.missing).toBe(1000);
  });

  it('a stream whose ids start at 0: its first events before any ack are delivered, not late and not duplicates; an ack of head -1 owes every id from 0', () => {
    const account = new ClientAccount(new GroupRecorder('fast', phases.length), tl, schedule, () => true, T0);
    account.onEvent({ msgId: 1, id: 0, intendedUs: T0, sentUs: NaN }, T0 + 500);
    account.onEvent({ msgId: 2, id: 1, intendedUs: T0 + 1000, sentUs: NaN }, T0 + 1500);
    expect(account.totals).toMatchObject({ delivered: 2, duplicates: 0, outOfOrder: 0, lateArrivals: 0 });

    const ids = new IdMap();
    ids.add(0, 0, 10);
    const acked = new ClientAccount(new GroupRecorder('fast', phases.length), tl, schedule, () => true, T0);
    acked.subscribed(-1, T0);
    acked.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(acked.totals.missing).toBe(10); // ids 0..9, id 0 included
  });

  it('checks a catch-up replay for completeness, order and duplicates', () => {
    const rec = new GroupRecorder('replay', phases.length);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.subscribed(1000, T0, 900); // replay (900, 1000]
    const ev = (id: number): ScannedEvent => ({ msgId: 0, id, intendedUs: T0 - 10_000_000, sentUs: NaN });
    for (let id = 901; id <= 1000; id++) if (id !== 950) account.onEvent(ev(id), T0 + id);
    account.onEvent(ev(950), T0 + 2000); // late and out of order
    account.onEvent(ev(960), T0 + 2001); // duplicate
    const r = account.replayTotals()!;
    expect(r).toMatchObject({ received: 100, missing: 0, duplicates: 1, outOfOrder: 1 });
    expect(r.timeToLiveUs).toBe(2000);
    // replayed events never enter the live latency histograms
    expect(rec.phases.every((p) => p.latency.totalCount === 0)).toBe(true);
  });
});

describe('a replay asked for after the backlog built (a resumed session)', () => {
  it('counts its rate and time to live from the reconnect, not from the drop that opened the books', () => {
    const rec = new GroupRecorder('replay', phases.length);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.subscribed(1000, T0, 900); // dropped at T0, owed (900, 1000] from the broker's queue
    account.replayAskedFor(T0 + 4_000_000); // back 4 s later
    const ev = (id: number): ScannedEvent => ({ msgId: 0, id, intendedUs: T0 + id, sentUs: NaN });
    for (let id = 901; id <= 1000; id++) account.onEvent(ev(id), T0 + 4_000_000 + (id - 900) * 1000);
    account.replayAskedFor(T0 + 9_000_000); // too late: the replay has begun
    expect(account.replayTotals()).toMatchObject({ received: 100, missing: 0, timeToLiveUs: 100_000, ratePerSec: 1000 });
  });
});

describe('learned-stream accounting (the server emits its own ids)', () => {
  it('owes every id from the first received to the stream head at phase end, bounded by the next known time', async () => {
    const { EmittedStreamAccount, EmittedStreamHeads } = await import('../../src/measurement/emittedStream.js');
    const rec = new GroupRecorder('fast', phases.length);
    const knowledge = new EmittedStreamHeads();
    const account = new EmittedStreamAccount(rec, tl, knowledge, T0);
    const ev = (id: number): ScannedEvent => ({ msgId: 0, id, intendedUs: T0 + id * 1000, sentUs: NaN });
    for (let id = 1; id <= 100; id++) account.onEvent(ev(id), T0 + id * 1000 + 300);
    for (let id = 151; id <= 200; id++) account.onEvent(ev(id), T0 + id * 1000 + 300); // 101…150 skipped
    // another client saw the stream reach id 250 by the end of baseline
    knowledge.set(0, 250, T0 + 250 * 1000);
    for (let id = 1; id <= 250; id++) knowledge.noteSeen(id); // other clients had every id
    account.phaseEnded(tl.ends[0]!);
    account.account(tl.ends[0]!, tl.ends[0]! + 1_000_000, new IdMap());
    expect(account.totals).toMatchObject({ delivered: 150, missing: 100, duplicates: 0 });
    // the skipped ids are recorded at (accounting time − publish time of the event after the gap)
    const base = rec.phases[0]!;
    expect(base.latency.totalCount).toBe(250);
    expect(base.latency.maxValue).toBeGreaterThanOrEqual(tl.ends[0]! + 1_000_000 - (T0 + 151_000) - 1000);
    // its newest event (id 200) was 800 ms old when baseline ended
    expect(base.counters.maxStalenessUs).toBe(tl.ends[0]! - (T0 + 200_000));
    expect(base.counters.maxStallUs).toBeGreaterThanOrEqual(799_000);
  });
});

describe('learned-stream accounting with out-of-order delivery', () => {
  it('a hole above the phase head is an event still on its way, not a missing one; at the end it is', async () => {
    const { EmittedStreamAccount, EmittedStreamHeads } = await import('../../src/measurement/emittedStream.js');
    const rec = new GroupRecorder('fast', phases.length);
    const knowledge = new EmittedStreamHeads();
    const account = new EmittedStreamAccount(rec, tl, knowledge, T0);
    const ev = (id: number): ScannedEvent => ({ msgId: 0, id, intendedUs: T0 + id * 1000, sentUs: NaN });
    for (let id = 1; id <= 1000; id++) account.onEvent(ev(id), T0 + id * 1000 + 300);
    knowledge.set(0, 1000, T0 + 1_000_000);
    for (let id = 1; id <= 1000; id++) knowledge.noteSeen(id);
    // baseline's books close during stress: 1101 came before 1100 (a server with a worker pool)
    for (let id = 1001; id <= 1099; id++) account.onEvent(ev(id), T0 + id * 1000 + 300);
    account.onEvent(ev(1101), T0 + 1_101_300);
    account.account(tl.ends[0]!, T0 + 1_101_400, new IdMap());
    expect(account.totals.missing).toBe(0);
    account.onEvent(ev(1100), T0 + 1_101_500);
    expect(account.totals).toMatchObject({ missing: 0, lateArrivals: 0, outOfOrder: 1, delivered: 1101 });
    // an id that never comes is missing once the phase it belongs to is accounted
    for (let id = 1103; id <= 1999; id++) account.onEvent(ev(id), T0 + id * 1000 + 300);
    knowledge.set(1, 1999, T0 + 1_999_000);
    for (let id = 1000; id <= 1999; id++) knowledge.noteSeen(id);
    account.account(Infinity, T0 + 2_500_000, new IdMap());
    expect(account.totals.missing).toBe(1);
    expect(rec.phases[1]!.counters.missing).toBe(1);
  });
});

describe('events the target never acknowledged', () => {
  it('are still owed: their ids continue the acknowledged range', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 1000); // the target acknowledged baseline's events, then got stuck
    ids.sent = 2000;
    const account = new ClientAccount(rec, tl, schedule, () => true, T0 - 1000);
    account.subscribed(FIRST_ID - 1, T0 - 500);
    for (let k = 0; k < 1000; k++) {
      const intended = intendedUs(schedule, k);
      account.onEvent({ msgId: k + 1, id: FIRST_ID + k, intendedUs: intended, sentUs: intended }, intended + 500);
    }
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(rec.phases[1]!.counters.missing).toBe(1000);
    expect(rec.phases[1]!.counters.delivered).toBe(0);
  });

  it('are not guessed at when several publishers interleave ids', () => {
    const ids = new IdMap();
    ids.add(0, 101, 10);
    ids.add(10, 500, 10);
    ids.sent = 100;
    expect(ids.expectedCount).toBe(20);
  });
});

describe('stall: the age of the oldest owed, undelivered event', () => {
  it('a quiet stream is never a stall: one event a second, each delivered in 500 µs', () => {
    const slow: Schedule = { t0Us: T0, rate: 1 };
    const rec = new GroupRecorder('fast', phases.length);
    rec.t0Us = T0;
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 2);
    const account = new ClientAccount(rec, tl, slow, () => true, T0 - 1000);
    account.subscribed(FIRST_ID - 1, T0 - 500);
    for (let k = 0; k < 2; k++)
      account.onEvent({ msgId: k + 1, id: FIRST_ID + k, intendedUs: intendedUs(slow, k), sentUs: NaN }, intendedUs(slow, k) + 500);
    account.phaseEnded(tl.ends[0]!, ids);
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals.maxStallUs).toBe(500);
    expect(rec.phases[0]!.counters.maxStallUs).toBe(500);
    expect(rec.phases[1]!.counters.maxStallUs).toBe(500);
    expect(rec.phases[0]!.counters.maxStalenessUs).toBe(0);
  });

  it('counts from t0 for a client that joined before, and stops at the end of its last phase', () => {
    const { rec, ids, account, deliver } = setup();
    rec.t0Us = T0;
    deliver(0, 300);
    // nothing else ever arrives: the oldest owed event (k = 1, due T0 + 1 ms) ages until the run ends
    account.account(tl.endUs, tl.endUs + 5_000_000, ids);
    expect(account.totals.maxStallUs).toBe(tl.endUs - intendedUs(schedule, 1));
    expect(rec.phases[0]!.counters.maxStallUs).toBe(tl.ends[0]! - intendedUs(schedule, 1));
    expect(rec.phases[1]!.counters.maxStallUs).toBe(tl.endUs - intendedUs(schedule, 1));
  });

  it('a missing event stays outstanding into the next phase until it arrives late', () => {
    const { rec, ids, account, deliver } = setup();
    rec.t0Us = T0;
    for (let k = 0; k < 1000; k++) if (k !== 500) deliver(k);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000, ids); // baseline accounted: k = 500 missing
    for (let k = 1000; k < 2000; k++) deliver(k);
    expect(rec.phases[1]!.counters.maxStallUs).toBe(tl.ends[0]! + 100_000 - intendedUs(schedule, 500));
    deliver(500, 1_200_000); // arrives 1.2 s late, in stress
    expect(account.totals.lateArrivals).toBe(1);
    expect(rec.phases[1]!.counters.maxStallUs).toBe(1_200_000);
    expect(rec.phases[0]!.counters.maxStallUs).toBe(tl.ends[0]! - intendedUs(schedule, 500));
  });

  it("draws a stall second by second: every second of it holds its age at that second's end", () => {
    const { rec, ids, account, deliver } = setup();
    rec.t0Us = T0;
    for (let k = 0; k < 200; k++) deliver(k); // then nothing: stalled from k = 200 (T0 + 200 ms)
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    const ivs = rec.takeIntervals();
    const s0 = ivs.find((iv) => iv.index === 0)!;
    const s1 = ivs.find((iv) => iv.index === 1)!;
    expect(s0.maxStallUs).toBe(1_000_000 - 200_000);
    expect(s1.maxStallUs).toBe(2_000_000 - 200_000);
    // events by the second they were due: second 1 holds 1,000 missing events at their lower bound
    expect(s0).toMatchObject({ delivered: 200, missing: 800, arrived: 200 });
    expect(s1).toMatchObject({ delivered: 0, missing: 1000, arrived: 0 });
    expect(rec.takeIntervals()).toEqual([]);
  });
});

describe('a client that never got to subscribe', () => {
  it('is owed everything after the head when it set out', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 2000);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.assumeWindow(FIRST_ID - 1); // connect refused: the head when it opened
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals.missing).toBe(2000);
    expect(account.totals.maxStallUs).toBe(tl.endUs - T0);
  });

  it('a later assumption does not move a window the ack already set', () => {
    const { account, ids } = setup();
    account.assumeWindow(FIRST_ID + 1500);
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals.missing).toBe(2000);
  });
});

describe('staleness at a phase end (a stream evbench published)', () => {
  const endedWith = (
    deliveredUpTo: number,
    opts: { expects?: (k: number) => boolean; known?: number; joinedUs?: number; leaveUs?: number } = {},
  ) => {
    const rec = new GroupRecorder('fast', phases.length);
    rec.t0Us = T0;
    const ids = new IdMap();
    ids.add(0, FIRST_ID, opts.known ?? 2000);
    const account = new ClientAccount(rec, tl, schedule, opts.expects ?? (() => true), opts.joinedUs ?? T0 - 1000);
    account.subscribed(FIRST_ID - 1, T0 - 500);
    if (opts.leaveUs !== undefined) account.leaveUs = opts.leaveUs;
    for (let k = 0; k < deliveredUpTo; k++) {
      if (opts.expects && !opts.expects(k)) continue;
      const intended = intendedUs(schedule, k);
      account.onEvent({ msgId: k + 1, id: FIRST_ID + k, intendedUs: intended, sentUs: intended }, intended + 300);
    }
    account.phaseEnded(tl.ends[0]!, ids);
    return rec.phases[0]!.counters.maxStalenessUs;
  };

  it('0 when the client has everything due by the end', () => {
    expect(endedWith(1000)).toBe(0);
  });

  it('the age of the first due event after its newest one', () => {
    expect(endedWith(600)).toBe(tl.ends[0]! - intendedUs(schedule, 600));
  });

  it('skips events its filters do not take', () => {
    expect(endedWith(600, { expects: (k) => k % 10 === 0 })).toBe(tl.ends[0]! - intendedUs(schedule, 600));
    expect(endedWith(591, { expects: (k) => k % 10 === 0 })).toBe(tl.ends[0]! - intendedUs(schedule, 600));
  });

  it('events the publisher has not sent are not due', () => {
    expect(endedWith(600, { known: 600 })).toBe(0);
    expect(endedWith(600, { known: 601 })).toBe(tl.ends[0]! - intendedUs(schedule, 600));
  });

  it('a client whose last phase ends there: recorded (it was owed events until then)', () => {
    expect(endedWith(600, { leaveUs: tl.ends[0]! })).toBe(tl.ends[0]! - intendedUs(schedule, 600));
  });

  it('a client that received nothing: aged from when it was owed events', () => {
    expect(endedWith(0, { joinedUs: T0 + 200_000 })).toBe(tl.ends[0]! - (T0 + 200_000));
  });

  it('nothing recorded for a client that already left, or at a time that is not a phase end', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 2000);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.subscribed(FIRST_ID - 1, T0);
    account.leaveUs = tl.ends[0]! - 1;
    account.phaseEnded(tl.ends[0]!, ids);
    account.leaveUs = Infinity;
    account.phaseEnded(tl.ends[0]! - 5, ids);
    expect(rec.phases.map((p) => p.counters.maxStalenessUs)).toEqual([0, 0]);
  });
});

describe('what a delivery records', () => {
  it('latency from the intended time, uncorrected latency from the send time', () => {
    const { rec, account } = setup();
    const intended = intendedUs(schedule, 3);
    account.onEvent({ msgId: 1, id: FIRST_ID + 3, intendedUs: intended, sentUs: intended + 40_000 }, intended + 50_000);
    expect(rec.phases[0]!.latency.maxValue).toBeGreaterThanOrEqual(49_950);
    expect(rec.phases[0]!.latency.maxValue).toBeLessThan(50_100);
    expect(rec.phases[0]!.uncorrected.maxValue).toBeGreaterThanOrEqual(9_990);
    expect(rec.phases[0]!.uncorrected.maxValue).toBeLessThan(10_020);
    expect(rec.phases[0]!.counters).toMatchObject({ delivered: 1, arrived: 1 });
  });

  it('an event published after the client stopped being owed events is counted but ages no stall', () => {
    const { account, deliver } = setup();
    account.leaveUs = intendedUs(schedule, 10);
    deliver(12, 900_000);
    expect(account.totals.maxStallUs).toBe(0);
  });

  it('the first event before any ack starts the window just before it', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 2000);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    for (let k = 100; k < 1000; k++)
      if (k !== 500)
        account.onEvent({ msgId: 1, id: FIRST_ID + k, intendedUs: intendedUs(schedule, k), sentUs: NaN }, intendedUs(schedule, k) + 10);
    account.account(tl.ends[0]!, tl.ends[0]! + 10, ids);
    // owed from there on: a hole after the first event is missing
    expect(account.totals).toMatchObject({ delivered: 899, missing: 1 });
  });
});

describe('catch-up replay books', () => {
  const replayed = (id: number): ScannedEvent => ({ msgId: 0, id, intendedUs: T0 - 10_000_000, sentUs: NaN });

  it('an empty replay is live at once; ids at or below last_log_id are not judged', () => {
    const rec = new GroupRecorder('replay', phases.length);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.subscribed(500, T0, 500);
    account.onEvent(replayed(400), T0 + 5);
    expect(account.replayTotals()).toMatchObject({ fromId: 500, toId: 500, received: 0, missing: 0, timeToLiveUs: 0, ratePerSec: 0 });
  });

  it('rate and time to live over the replay; the first out-of-order one is not counted twice', () => {
    const rec = new GroupRecorder('replay', phases.length);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.subscribed(110, T0, 100); // (100, 110]
    account.onEvent(replayed(101), T0 + 100_000);
    for (let id = 102; id <= 110; id++) account.onEvent(replayed(id), T0 + 100_000 * (id - 100));
    const r = account.replayTotals()!;
    expect(r).toMatchObject({ received: 10, missing: 0, outOfOrder: 0, duplicates: 0, timeToLiveUs: 1_000_000, ratePerSec: 10 });
  });

  it('a replay that never finished: the rest is missing and the time to live is NaN', () => {
    const rec = new GroupRecorder('replay', phases.length);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.subscribed(110, T0, 100);
    for (let id = 101; id <= 105; id++) account.onEvent(replayed(id), T0 + 1000 * id);
    const r = account.replayTotals()!;
    expect(r.missing).toBe(5);
    expect(r.timeToLiveUs).toBeNaN();
  });

  it('no replay asked for: no replay books, and a reconnect asks for none', () => {
    const { account } = setup();
    account.replayAskedFor(T0 + 1000);
    expect(account.replayTotals()).toBeUndefined();
  });
});

describe('books for long runs', () => {
  it('the bitset grows for far ids and answers for ids it never saw', async () => {
    const { Bitset } = await import('../../src/measurement/accounting.js');
    const b = new Bitset();
    expect(b.has(5)).toBe(false);
    expect(b.testAndSet(1_000_003)).toBe(false);
    expect(b.testAndSet(1_000_003)).toBe(true);
    expect(b.has(1_000_003)).toBe(true);
    expect(b.has(1_000_002)).toBe(false);
    expect(b.has(50_000_000)).toBe(false);
    expect(b.testAndSet(7)).toBe(false);
    expect(b.has(7)).toBe(true);
  });

  it('the outstanding queue skips what arrived and stays right after compacting', async () => {
    const { OutstandingQueue } = await import('../../src/measurement/accounting.js');
    const q = new OutstandingQueue();
    const arrived = new Set<number>();
    expect(q.oldest((id) => arrived.has(id))).toBeNaN();
    for (let id = 0; id < 10_000; id++) q.push(id, 1000 + id);
    for (let id = 0; id < 6000; id++) arrived.add(id);
    expect(q.oldest((id) => arrived.has(id))).toBe(7000);
    arrived.add(6000);
    expect(q.oldest((id) => arrived.has(id))).toBe(7001);
    for (let id = 6001; id < 10_000; id++) arrived.add(id);
    expect(q.oldest((id) => arrived.has(id))).toBeNaN();
    q.push(20_000, 5);
    expect(q.oldest((id) => arrived.has(id))).toBe(5);
  });
});

describe('bitset edges', () => {
  it('a fresh bitset keeps its first bit, and the first bits beyond each size it grows to', () => {
    const b = new Bitset();
    expect(b.testAndSet(3)).toBe(false);
    expect(b.has(3)).toBe(true);
    expect(b.has(2)).toBe(false);
    // 32 bytes at first: bit 256 is the first beyond them, bit 512 the first beyond 64
    for (const i of [255, 256, 511, 512, 1024]) {
      expect(b.testAndSet(i), String(i)).toBe(false);
      expect(b.has(i), String(i)).toBe(true);
    }
    expect(b.testAndSet(512)).toBe(true);
    expect(b.has(513)).toBe(false);
  });

  it('the bytes shipped to another thread are a snapshot, bit i at bit i & 7 of byte i >>> 3', () => {
    const b = new Bitset();
    b.testAndSet(9);
    const shipped = b.bytes();
    b.testAndSet(10);
    expect([...shipped.slice(0, 2)]).toEqual([0, 0b10]);
    expect([...b.bytes().slice(0, 2)]).toEqual([0, 0b110]);
  });
});

describe('replay books edges', () => {
  it('last_log_id at or beyond the head: nothing to replay, live at once', () => {
    expect(new ReplayBooks(600, 500, T0).totals()).toMatchObject({ received: 0, missing: 0, timeToLiveUs: 0, ratePerSec: 0 });
  });

  it('the event at last_log_id itself is not part of the replay', () => {
    const books = new ReplayBooks(500, 502, T0);
    books.note(500, T0 + 10);
    books.note(501, T0 + 20);
    expect(books.totals()).toMatchObject({ received: 1, missing: 1, duplicates: 0, outOfOrder: 0 });
  });
});

describe("where a client's window starts", () => {
  it('a client subscribed to an empty log (head 0) is owed from id 1, whatever arrives first or is assumed later', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, 1, 2000); // ids 1… to k = 0…
    const account = new ClientAccount(rec, tl, schedule, () => true, T0 - 1000);
    account.subscribed(0, T0 - 500);
    account.subscribed(1500, T0 + 1_500_000);
    account.assumeWindow(1500);
    for (let k = 4; k < 2000; k++) {
      const intended = intendedUs(schedule, k);
      account.onEvent({ msgId: k, id: k + 1, intendedUs: intended, sentUs: NaN }, intended + 500); // ids 1…4 lost
    }
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals).toMatchObject({ delivered: 1996, missing: 4 });
  });

  it('a second ack (a resubscribe) does not move the window the first one set: what it missed is still owed', () => {
    const { ids, account, deliver } = setup();
    for (let k = 0; k < 500; k++) deliver(k);
    account.subscribed(FIRST_ID + 1499, T0 + 1_500_000);
    for (let k = 1500; k < 2000; k++) deliver(k);
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals).toMatchObject({ delivered: 1000, missing: 1000 });
  });

  it('accounting before anything is due (and before the ack) leaves the client owed everything after its ack', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 2000);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0 - 1000);
    account.account(T0, T0, ids);
    account.subscribed(FIRST_ID - 1, T0 + 100);
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals.missing).toBe(2000);
  });
});

describe('late and after leaving', () => {
  it('an event owed before the client left that arrives after: its stall counts only until it left', () => {
    const { account, deliver } = setup();
    account.leaveUs = tl.ends[0]!;
    deliver(900, 1_500_000);
    expect(account.totals.maxStallUs).toBe(100_000);
  });

  it('the newest event counted missing that then arrives is a late arrival too, not a second sample', () => {
    const { rec, ids, account, deliver } = setup();
    for (let k = 0; k < 99; k++) deliver(k);
    account.account(intendedUs(schedule, 100), intendedUs(schedule, 100) + 1_000_000, ids);
    expect(account.totals.missing).toBe(1);
    deliver(99, 2_000_000);
    expect(account.totals).toMatchObject({ delivered: 99, lateArrivals: 1 });
    expect(rec.phases[0]!.latency.totalCount).toBe(100);
  });
});

describe("the group's counters, by the phase an event was intended in", () => {
  it('a duplicate, a reordered event and a late arrival of baseline events count in baseline, wherever they arrive', () => {
    const { rec, ids, account, deliver } = setup();
    for (let k = 0; k < 900; k++) if (k !== 500 && k !== 800) deliver(k);
    account.account(intendedUs(schedule, 700), intendedUs(schedule, 700) + 10, ids); // k = 500 counted missing
    deliver(10, 1_500_000); // a duplicate, arriving in stress
    deliver(800, 1_000_000); // reordered: 899 came first
    deliver(500, 1_200_000); // late, after it was counted missing
    expect(rec.phases[0]!.counters).toMatchObject({ duplicates: 1, outOfOrder: 2, lateArrivals: 1, missing: 1 });
    expect(rec.phases[1]!.counters).toMatchObject({ duplicates: 0, outOfOrder: 0, lateArrivals: 0 });
    expect(account.totals).toMatchObject({ duplicates: 1, outOfOrder: 2, lateArrivals: 1 });
  });
});

describe('what accounting records and keeps', () => {
  it('a client that never asked for anything (no ack, no event, no assumed window) is owed nothing', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 2000);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.account(tl.endUs, tl.endUs + 1_000_000, ids);
    expect(account.totals).toMatchObject({ missing: 0, maxStallUs: 0 });
  });

  it("an event at or below a live client's window (no replay asked for) is not its to judge", () => {
    const { rec, account, deliver } = setup();
    deliver(0);
    account.onEvent({ msgId: 9, id: FIRST_ID - 1, intendedUs: T0 - 1000, sentUs: NaN }, T0 + 5000);
    expect(account.totals).toMatchObject({ delivered: 1, duplicates: 0, outOfOrder: 0 });
    expect(rec.phases[0]!.latency.totalCount).toBe(1);
  });

  it('a missing event is recorded at (accounting time − intended time)', () => {
    const { rec, ids, account, deliver } = setup();
    for (let k = 0; k < 100; k++) if (k !== 50) deliver(k, 100);
    const accountedAt = intendedUs(schedule, 100) + 1_000_000;
    account.account(intendedUs(schedule, 100), accountedAt, ids);
    const lowerBound = accountedAt - intendedUs(schedule, 50); // 1.05 s
    expect(rec.phases[0]!.latency.maxValue).toBeGreaterThanOrEqual(lowerBound - 1000);
    expect(rec.phases[0]!.latency.maxValue).toBeLessThanOrEqual(lowerBound + 1000);
  });

  it('once a missing event arrives, its stall stops growing', () => {
    const { rec, ids, account, deliver } = setup();
    for (let k = 0; k < 1000; k++) if (k !== 500) deliver(k);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000, ids); // k = 500 missing, outstanding
    deliver(500, 700_000); // arrives at ends[0] + 200 ms
    for (let k = 1000; k < 2000; k++) deliver(k);
    account.account(tl.endUs, tl.endUs, ids);
    expect(rec.phases[1]!.counters.maxStallUs).toBe(700_000);
    expect(account.totals.maxStallUs).toBe(700_000);
  });
});

describe('the outstanding queue once everything arrived', () => {
  it('an event found missing after the queue emptied is the oldest outstanding', async () => {
    const { OutstandingQueue } = await import('../../src/measurement/accounting.js');
    const q = new OutstandingQueue();
    q.push(1, 100);
    expect(q.oldest(() => true)).toBeNaN();
    q.push(2, 200);
    expect(q.oldest((id) => id === 1)).toBe(200);
  });
});

describe('the live view of what a client is owed', () => {
  const owedNow = (account: ClientAccount, ids: IdMap, nowUs: number): number[] => {
    const out: number[] = [];
    account.forEachOwed(nowUs, ids, 10_000, (intended) => out.push((intended - T0) / 1000));
    return out;
  };

  it('before the ack nothing is owed yet; after an ack of head 0 every event is', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, 1, 2000); // a fresh server: ids 1…
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    expect(owedNow(account, ids, T0 + 5500)).toEqual([]);
    expect(account.owedSeconds(T0 + 5500, ids, 10_000, T0)).toEqual({ bySecond: new Map(), oldestUs: NaN });
    account.subscribed(0, T0);
    expect(owedNow(account, ids, T0 + 5500)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(account.owedSeconds(T0 + 5500, ids, 10_000, T0).oldestUs).toBe(T0);
  });

  it('ids at or below the acked head are not owed', () => {
    const rec = new GroupRecorder('fast', phases.length);
    const ids = new IdMap();
    ids.add(0, FIRST_ID, 2000);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0);
    account.subscribed(FIRST_ID + 1, T0); // ids 101 and 102 (k 0 and 1) came before the window
    expect(owedNow(account, ids, T0 + 4500)).toEqual([2, 3, 4]);
  });

  it('asked again, it still reports the owed events at the start of the stream, and skips those that arrived', () => {
    const { ids, account, deliver } = setup();
    expect(owedNow(account, ids, T0 + 3500)).toEqual([0, 1, 2, 3]);
    expect(owedNow(account, ids, T0 + 4500)).toEqual([0, 1, 2, 3, 4]);
    deliver(0);
    deliver(2);
    expect(owedNow(account, ids, T0 + 4500)).toEqual([1, 3, 4]);
  });

  it('summed by second: how many, the newest, the oldest overall; an event arriving at the last one summed is no longer owed', () => {
    const { ids, account, deliver } = setup();
    const first = account.owedSeconds(T0 + 1_002_500, ids, 10_000, T0);
    expect(first.oldestUs).toBe(T0);
    expect(first.bySecond.get(0)).toEqual([0, 1000, T0 + 999_000]);
    expect(first.bySecond.get(1)).toEqual([1, 3, T0 + 1_002_000]);
    deliver(1002); // the newest event summed so far
    expect(account.owedSeconds(T0 + 1_002_500, ids, 10_000, T0).bySecond.get(1)).toEqual([1, 2, T0 + 1_001_000]);
  });

  it('summed by second after another t0: the seconds are counted from that t0', () => {
    const { ids, account } = setup();
    expect([...account.owedSeconds(T0 + 2500, ids, 10_000, T0).bySecond.keys()]).toEqual([0]);
    expect([...account.owedSeconds(T0 + 2500, ids, 10_000, T0 - 1_000_000).bySecond.keys()]).toEqual([1]);
    expect([...account.owedSeconds(T0 + 2500, ids, 10_000, T0).bySecond.keys()]).toEqual([0]);
  });
});

describe('events found missing for a client that left', () => {
  it('stall it only until it left, however late they are accounted', () => {
    const { ids, account, deliver } = setup();
    account.leaveUs = T0 + 600_000;
    for (let k = 0; k < 100; k++) deliver(k);
    account.account(tl.ends[0]!, tl.ends[0]! + 100_000, ids);
    expect(account.totals.missing).toBe(500); // k 100…599: owed until it left
    expect(account.totals.maxStallUs).toBe(T0 + 600_000 - intendedUs(schedule, 100));
  });
});
