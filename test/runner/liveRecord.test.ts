// The live view's inputs: a client's owed, undelivered events (read-only: the record's books are not
// touched), and the provisional record built from interval parts and worker snapshots, where owed
// events count at their age so far, so a stall shows while it lasts.
import { describe, expect, it } from 'vitest';
import { ClientAccount } from '../../src/measurement/accounting.js';
import { createHistogram, decodeHistogram, encodeHistogram, recordUs } from '../../src/measurement/histogram.js';
import { GroupRecorder, zeroCounters } from '../../src/measurement/recorder.js';
import { IdMap } from '../../src/measurement/idMap.js';
import { intendedUs, timeline, type Schedule } from '../../src/measurement/schedule.js';
import type { ScannedEvent } from '../../src/measurement/frameScan.js';
import { validateScenario } from '../../src/scenario/validate.js';
import type { PhaseSpec } from '../../src/scenario/types.js';
import { feedLive, LiveRecord, type LiveUpdate } from '../../src/runner/liveRecord.js';
import { nowUs } from '../../src/clock.js';
import { LIVE_PERIOD_S } from '../../src/record/schema.js';
import { waitUntil } from '../support/referenceServer.js';
import type { GeneratorHealth, RunRecord } from '../../src/record/schema.js';
import { buildRecord } from '../../src/runner/buildRecord.js';
import { recordHeadParts, type Run } from '../../src/runner/runContext.js';
import { RunState } from '../../src/runner/runState.js';

const T0 = 1_800_000_000_000_000;
const phases: PhaseSpec[] = [
  { name: 'baseline', durationUs: 1_000_000, role: 'baseline' },
  { name: 'stress', durationUs: 1_000_000, role: 'stress' },
];
const schedule: Schedule = { t0Us: T0, rate: 1000 };
const tl = timeline(T0, phases);

describe('ClientAccount.forEachOwed', () => {
  it('yields the owed events not yet delivered, oldest first, and changes nothing the record reads', () => {
    const rec = new GroupRecorder('fast', 2);
    const ids = new IdMap();
    ids.add(0, 101, 2000);
    const account = new ClientAccount(rec, tl, schedule, (k) => k % 2 === 0, T0 - 1000);
    account.subscribed(100, T0 - 500);
    const deliver = (k: number): void => {
      const at = intendedUs(schedule, k);
      const ev: ScannedEvent = { msgId: k + 1, id: 101 + k, intendedUs: at, sentUs: at };
      account.onEvent(ev, at + 300);
    };
    for (let k = 0; k < 600; k += 2) if (k !== 100) deliver(k); // a hole at k = 100, then nothing after 598
    const before = JSON.stringify({ totals: account.totals, phases: rec.encode() });
    const owed = (nowUs: number, max = 100_000): number[] => {
      const out: number[] = [];
      account.forEachOwed(nowUs, ids, max, (us) => out.push(us));
      return out;
    };
    // at 800 ms: k = 100 and every even k from 600 to 798 (odd ones are filtered out: not owed)
    const at800 = owed(T0 + 800_000);
    expect(at800[0]).toBe(intendedUs(schedule, 100));
    expect(at800.length).toBe(1 + 100);
    expect(at800.every((us, i) => i === 0 || us > at800[i - 1]!)).toBe(true);
    // asked again later: the same hole still owed (the cursor stops at it), more events after
    expect(owed(T0 + 900_000).length).toBe(1 + 150);
    // a cap gives a lower bound
    expect(owed(T0 + 900_000, 10).length).toBeLessThanOrEqual(10);
    expect(JSON.stringify({ totals: account.totals, phases: rec.encode() })).toBe(before);
    // once the phase is accounted, its missing events are the record's, not owed any more
    account.account(tl.ends[0]!, T0 + 1_500_000, ids);
    expect(owed(T0 + 1_500_000).every((us) => us >= tl.ends[0]!)).toBe(true);
  });
});

const scenario = validateScenario(
  {
    name: 'live',
    target: { embedded: {} },
    publisher: { rate: 1000 },
    groups: [{ name: 'fast', kind: 'fast', count: 2 }],
    phases: [
      { name: 'baseline', duration: '4s' },
      { name: 'stress', duration: '6s' },
    ],
  },
  'test',
).scenario!;

const generator: GeneratorHealth = {
  cpuPercent: 10,
  cores: 2,
  eventLoopDelayP99Us: 0,
  eventLoopUtilization: 0.1,
  publisher: { sent: 0, latenessP99Us: 0, latenessMaxUs: 0, lateEvents: 0, prefilled: 0 },
  bound: false,
  reasons: [],
  replayBound: false,
};

function second(index: number, latencyUs: number, count: number) {
  const h = createHistogram();
  for (let i = 0; i < count; i++) recordUs(h, latencyUs + (i % 50));
  return { group: 'fast', index, delivered: count, missing: 0, arrived: count, maxStallUs: 1000, latency: encodeHistogram(h) };
}

const liveRecordAt = (tl: ReturnType<typeof timeline>): LiveRecord =>
  new LiveRecord({
    fullScenario: scenario,
    scenario,
    target: { url: 'ws://127.0.0.1:1/websocket', mode: 'legacy' } as never,
    shard: { index: 0, count: 1 },
    startedAt: '2026-11-29T00:00:00Z',
    tl,
    workers: 1,
  });

describe('ClientAccount.owedSeconds', () => {
  it('sums forEachOwed by second, scanning only what came due since, until a counted event arrives or a phase is accounted', () => {
    const rec = new GroupRecorder('fast', 2);
    const ids = new IdMap();
    ids.add(0, 101, 4000);
    const account = new ClientAccount(rec, tl, schedule, () => true, T0 - 1000);
    account.subscribed(100, T0 - 500);
    const deliver = (k: number): void => {
      const at = intendedUs(schedule, k);
      account.onEvent({ msgId: k + 1, id: 101 + k, intendedUs: at, sentUs: at }, at + 300);
    };
    for (let k = 0; k < 300; k++) if (k !== 50) deliver(k); // a hole at k = 50, then a stall from k = 300
    // what a fresh scan says, summed the same way
    const fresh = (nowUs: number) => {
      const bySecond = new Map<number, [number, number, number]>();
      let oldestUs = NaN;
      account.forEachOwed(nowUs, ids, 100_000, (us) => {
        if (!(oldestUs <= us)) oldestUs = us;
        const n = Math.floor((us - T0) / 1_000_000);
        const x = bySecond.get(n) ?? bySecond.set(n, [n, 0, us]).get(n)!;
        x[1]++;
        x[2] = Math.max(x[2], us);
      });
      return { bySecond: [...bySecond.values()], oldestUs };
    };
    const sums = (nowUs: number) => {
      const r = account.owedSeconds(nowUs, ids, 100_000, T0);
      return { bySecond: [...r.bySecond.values()].map((x) => [...x]), oldestUs: r.oldestUs };
    };
    const at = sums(T0 + 1_500_000);
    expect(at).toEqual(fresh(T0 + 1_500_000));
    expect(at.bySecond).toEqual([
      [0, 1 + 700, intendedUs(schedule, 999)],
      [1, 500, intendedUs(schedule, 1499)],
    ]);
    // two seconds later: only the new seconds are scanned, and the sums still equal a fresh scan's
    const later = sums(T0 + 3_500_000);
    expect(later).toEqual(fresh(T0 + 3_500_000));
    expect(later.bySecond.map((x) => x[1])).toEqual([701, 1000, 1000, 500]);
    // the hole arrives: the kept sums are stale, and the next call sums afresh without it
    deliver(50);
    const healed = sums(T0 + 3_500_000);
    expect(healed.bySecond.map((x) => x[1])).toEqual([700, 1000, 1000, 500]);
    expect(healed.oldestUs).toBe(intendedUs(schedule, 300));
    // once the first phase is accounted its events are missing, not owed
    account.account(tl.ends[0]!, T0 + 3_600_000, ids);
    expect(sums(T0 + 3_600_000)).toEqual(fresh(T0 + 3_600_000));
    expect(sums(T0 + 3_600_000).bySecond[0]![0]).toBe(1);
  });
});

describe('LiveRecord', () => {
  it('a stall in progress: owed events count at their age, the verdict forms from the evidence so far', () => {
    const ltl = timeline(T0, scenario.phases);
    const live = liveRecordAt(ltl);
    const counters = (arrived: number[]) => arrived.map((a) => ({ ...zeroCounters(), arrived: a, delivered: a }));
    const marks = { partial: false, invalid: false };
    // in baseline: nothing to judge yet
    for (let s = 0; s < 3; s++) live.noteIntervals([second(s, 2_000, 2000)]);
    live.noteSnapshot(0, {
      type: 'live',
      atUs: T0 + 3_000_000,
      groups: [{ group: 0, counters: counters([6000, 0]), owed: [], oldestOwedUs: NaN, open: 2, stalled: 0 }],
      ended: [],
      tookUs: 40,
    });
    const early = live.build(T0 + 3_400_000, generator, marks);
    expect(early.hol.verdict).toBe('unknown');
    expect(Object.keys(early.groups[0]!.phases)).toEqual(['baseline']);
    // 4 s into stress nothing arrived since its first second: 4000 events per client owed, the oldest 3 s old
    live.noteIntervals([second(3, 2_000, 2000), second(4, 2_000, 1000)]);
    const owed: [number, number, number][] = [4, 5, 6, 7].map((s) => [s, s === 4 ? 1000 : 2000, T0 + s * 1_000_000 + 999_000]);
    live.noteSnapshot(0, {
      type: 'live',
      atUs: T0 + 8_000_000,
      groups: [{ group: 0, counters: counters([8000, 1000]), owed, oldestOwedUs: T0 + 4_500_000, open: 2, stalled: 2 }],
      ended: [],
      tookUs: 60,
    });
    const r = live.build(T0 + 8_400_000, generator, marks);
    const stress = r.groups[0]!.phases.stress!;
    expect(r.phases.find((p) => p.name === 'stress')!.durationUs).toBe(4_000_000); // as of the snapshot
    expect(stress.latencyUs.count).toBe(1000 + 7000);
    expect(stress.latencyUs.p99).toBeGreaterThanOrEqual(3_000_000); // second 4's owed events, ≥ 3 s old
    expect(stress.maxStallUs).toBe(3_500_000); // the oldest owed event's age
    const s5 = r.intervals.find((iv) => iv.startUs === 5_000_000)!;
    expect(s5.p50Us).toBeGreaterThanOrEqual(2_000_000);
    expect(s5.histogram).not.toBe(''); // fast groups' seconds are encoded: the noise floor reads them
    expect(r.hol.verdict).toBe('hol');
    expect(r.hol.summary).toMatch(/fast delivery rate|fast max stall/);
    expect(live.clientsNow()).toEqual([{ group: 'fast', open: 2, stalled: 2 }]);
    expect(live.costUs).toBeGreaterThanOrEqual(100); // the workers' snapshots, plus this thread's own timed work
    // a second later the stall is a second older; the chart keeps the earlier second's value
    live.noteSnapshot(0, {
      type: 'live',
      atUs: T0 + 9_000_000,
      groups: [{ group: 0, counters: counters([8000, 1000]), owed, oldestOwedUs: T0 + 4_500_000, open: 2, stalled: 2 }],
      ended: [],
      tookUs: 0,
    });
    const later = live.build(T0 + 9_400_000, generator, marks);
    const stallAt = (s: number): number | undefined => later.intervals.find((iv) => iv.startUs === s * 1e6)?.maxStallUs;
    expect([4, 5, 6, 7, 8].map(stallAt)).toEqual([500_000, 1_500_000, 2_500_000, 3_500_000, 4_500_000]);
    // seconds 3 s behind the snapshot were compacted to their encoding: the same figures, and a late part still adds
    live.noteIntervals([second(1, 50_000, 10)]);
    const again = live.build(T0 + 9_400_000, generator, marks);
    const at = (r: typeof later, s: number) => r.intervals.find((iv) => iv.startUs === s * 1e6)!;
    for (const s of [0, 2, 3, 4, 5, 6, 7, 8]) expect(at(again, s)).toEqual(at(later, s));
    expect(decodeHistogram(at(again, 1).histogram).totalCount).toBe(2010);
    expect(at(again, 1).maxUs).toBeGreaterThanOrEqual(50_000);
    expect(decodeHistogram(at(later, 1).histogram).totalCount).toBe(2000);
  });
});

describe("the live record's head", () => {
  it("equals the final record's for the same run: scenario, target, shard, start instant, t0, workers", () => {
    const run = {
      fullScenario: scenario,
      scenario,
      target: { url: 'ws://127.0.0.1:1/websocket?api_token=secret', mode: 'legacy' },
      shard: { index: 1, count: 2 },
      startedAt: '2026-11-29T00:00:00Z',
      options: { startAtUs: T0 - 700_000 },
    } as unknown as Run;
    const head = (r: RunRecord) => {
      const { schemaVersion, tool, scenario, target, startedAt, startAt, t0Us, workers, shard } = r;
      return { schemaVersion, tool, scenario, target, startedAt, startAt, t0Us, workers, shard };
    };
    const liveTl = timeline(T0, scenario.phases);
    const live = new LiveRecord(recordHeadParts(run, liveTl, 3)).build(T0 + 1_500_000, generator, { partial: false, invalid: false });
    const final = buildRecord({
      ...recordHeadParts(run, liveTl, 3),
      endedUs: liveTl.endUs,
      results: [],
      intervals: new Map(),
      generator,
      idMap: new IdMap(),
      state: new RunState(),
    });
    expect(head(live)).toEqual(head(final));
    // every part of the run reached both: none left out of either alike
    expect(head(final)).toMatchObject({
      scenario: { name: 'live' },
      target: { url: 'ws://127.0.0.1:1/websocket?api_token=***', mode: 'legacy' },
      startedAt: '2026-11-29T00:00:00Z',
      startAt: new Date(Math.floor((T0 - 700_000) / 1000)).toISOString(),
      t0Us: T0,
      workers: 3,
      shard: { index: 1, count: 2 },
    });
  });
});

describe('feedLive while nobody watches', () => {
  it('builds nothing and pauses the workers until a page opens, then resumes from fresh snapshots only', async () => {
    // t0 long enough ago that the first build is due at once, then one every LIVE_PERIOD_S
    const ltl = timeline(nowUs() - LIVE_PERIOD_S * 1_000_000 - 400_000, scenario.phases);
    const live = liveRecordAt(ltl);
    const snapshot = (atUs: number, arrived: number) => ({
      type: 'live' as const,
      atUs,
      groups: [
        { group: 0, counters: [{ ...zeroCounters(), arrived, delivered: arrived }], owed: [], oldestOwedUs: NaN, open: 2, stalled: 0 },
      ],
      ended: [],
      tookUs: 0,
    });
    let watched = false;
    const told: boolean[] = [];
    const updates: LiveUpdate[] = [];
    let builds = 0;
    const stop = feedLive(live, (u) => updates.push(u), {
      health: () => [],
      generatorJudged: () => generator,
      marks: () => ({ partial: false, invalid: false }),
      watched: () => (builds++, watched),
      setWorkersWatched: (on) => told.push(on),
    });
    try {
      await waitUntil(() => builds >= 1, 'the first build tick', 10_000);
      expect(told).toEqual([false]); // the workers are told to stop their snapshots
      // a snapshot the worker sent before it heard is stale once a page opens: not kept
      live.noteSnapshot(0, snapshot(ltl.t0Us + 1_000_000, 1000));
      watched = true;
      await waitUntil(() => builds >= 2, 'the next build tick', 10_000);
      expect(told).toEqual([false, true]);
      expect(updates, 'no record before a fresh snapshot').toHaveLength(0);
      live.noteSnapshot(0, snapshot(ltl.t0Us + 2_000_000, 2000));
      await waitUntil(() => updates.length >= 1, 'a record once a fresh snapshot is in', 10_000);
      expect(updates[0]!.record.groups[0]!.phases.baseline!.arrived).toBe(2000);
      expect(updates[0]!.record.durationUs).toBe(2_000_000); // as of the fresh snapshot
    } finally {
      stop();
    }
  });
});
