// The live dashboard's provisional run record, rebuilt once a second from what the workers ship as
// the run goes: the per-second interval parts (the same ones the record is built from) and each
// worker's latest live snapshot (counters so far, owed events not delivered yet, clients closed or
// refused). Owed events enter the latency at their age so far — a lower bound of what the record
// will say — so a stalled stream is drawn while it stalls, not after its phase is accounted. The
// verdict and thresholds are the record's own (finalizeRecord), judged on the phases begun so far;
// the final record replaces all of it when the run ends.
import { createHistogram, decodeHistogram, encodeHistogram, recordUs, summarize, type Histogram } from '../measurement/histogram.js';
import { addCounters, zeroCounters, type EncodedInterval } from '../measurement/recorder.js';
import { phaseAt } from '../measurement/schedule.js';
import { finalizeRecord } from '../records/finalize.js';
import type { GeneratorHealth, GroupResult, IntervalRecord, PhaseResult, RunRecord } from '../records/schema.js';
import { clientRecord } from './assemble.js';
import { NO_VERDICT_YET, recordHead, type MeasuredParts } from './buildRecord.js';
import type { ClientResult, WorkerToMain } from './threadMessages.js';

type LiveMessage = Extract<WorkerToMain, { type: 'live' }>;
type Head = Pick<MeasuredParts, 'fullScenario' | 'scenario' | 'target' | 'shard' | 'startedAt' | 'tl' | 'workers'>;

interface Second {
  group: number;
  index: number;
  /** Delivered events (and missing ones, once accounted) at their latency. */
  latency: Histogram;
  delivered: number;
  missing: number;
  arrived: number;
  maxStallUs: number;
}

const EMPTY = summarize(createHistogram());

export class LiveRecord {
  private readonly seconds = new Map<number, Second>();
  private readonly snapshots = new Map<number, LiveMessage>();
  private readonly ended = new Map<number, ClientResult>();
  private readonly groupIndex: Map<string, number>;
  /** Encoded per-second histograms of the fast groups (the noise floor reads them), until the second changes. */
  private readonly encoded = new Map<number, string>();

  constructor(private readonly head: Head) {
    this.groupIndex = new Map(head.scenario.groups.map((g, i) => [g.name, i]));
  }

  private key(group: number, index: number): number {
    return index * this.head.scenario.groups.length + group;
  }

  noteIntervals(parts: EncodedInterval[]): void {
    for (const iv of parts) {
      const group = this.groupIndex.get(iv.group);
      if (group === undefined) continue;
      const key = this.key(group, iv.index);
      let s = this.seconds.get(key);
      if (!s)
        this.seconds.set(
          key,
          (s = { group, index: iv.index, latency: createHistogram(), delivered: 0, missing: 0, arrived: 0, maxStallUs: 0 }),
        );
      if (iv.latency) s.latency.add(decodeHistogram(iv.latency));
      s.delivered += iv.delivered;
      s.missing += iv.missing;
      s.arrived += iv.arrived;
      s.maxStallUs = Math.max(s.maxStallUs, iv.maxStallUs);
      this.encoded.delete(key);
    }
  }

  noteSnapshot(workerIndex: number, m: LiveMessage): void {
    this.snapshots.set(workerIndex, m);
    for (const c of m.ended) this.ended.set(c.clientId, c);
  }

  /**
   * The record so far, with its provisional verdict: as of the workers' latest snapshot (their
   * counters and intervals were shipped together at that moment), or `nowUs` before any.
   */
  build(
    nowUs: number,
    generator: GeneratorHealth,
    marks: Pick<RunRecord, 'partial' | 'partialReason' | 'invalid' | 'invalidReason'>,
  ): RunRecord {
    const { scenario, tl } = this.head;
    const snapshotsAt = [...this.snapshots.values()].map((s) => s.atUs);
    const asOfUs = snapshotsAt.length > 0 ? Math.max(...snapshotsAt) : nowUs;
    const current = asOfUs < tl.t0Us ? -1 : phaseAt(tl, Math.min(asOfUs, tl.endUs - 1));
    // owed events of every worker, added to their second at their age so far (a lower bound)
    const owed = new Map<number, { ageUs: number; count: number }[]>();
    const liveStallUs = scenario.groups.map(() => 0);
    for (const snap of this.snapshots.values()) {
      for (const g of snap.groups) {
        for (const [index, count, newestUs] of g.owed) {
          const key = this.key(g.group, index);
          (owed.get(key) ?? owed.set(key, []).get(key)!).push({ ageUs: snap.atUs - newestUs, count });
        }
        if (g.oldestOwedUs === g.oldestOwedUs) liveStallUs[g.group] = Math.max(liveStallUs[g.group]!, snap.atUs - g.oldestOwedUs);
      }
    }
    const keys = [...new Set([...this.seconds.keys(), ...owed.keys()])].sort((a, b) => a - b);
    const intervals: IntervalRecord[] = [];
    const latencyOf = new Map<number, Histogram>();
    for (const key of keys) {
      const group = key % scenario.groups.length;
      const index = Math.floor(key / scenario.groups.length);
      const s = this.seconds.get(key);
      const extra = owed.get(key);
      let h = s?.latency ?? createHistogram();
      if (extra) {
        h = createHistogram();
        if (s) h.add(s.latency);
        for (const o of extra) recordUs(h, o.ageUs, o.count);
      }
      latencyOf.set(key, h);
      const fast = scenario.groups[group]!.kind === 'fast';
      let histogram = '';
      if (fast && h.totalCount > 0) {
        histogram = extra ? encodeHistogram(h) : (this.encoded.get(key) ?? encodeHistogram(h));
        if (!extra) this.encoded.set(key, histogram);
      }
      const sum = summarize(h);
      intervals.push({
        group: scenario.groups[group]!.name,
        startUs: index * 1_000_000,
        delivered: s?.delivered ?? 0,
        missing: s?.missing ?? 0,
        arrived: s?.arrived ?? 0,
        maxStallUs: Math.max(s?.maxStallUs ?? 0, index === Math.floor((asOfUs - tl.t0Us) / 1e6) - 1 ? liveStallUs[group]! : 0),
        p50Us: sum.p50,
        p99Us: sum.p99,
        maxUs: sum.max,
        histogram,
      });
    }

    const phases = scenario.phases.map((p, i) => ({
      name: p.name,
      role: p.role,
      startUs: tl.starts[i]! - tl.t0Us,
      durationUs: i === current ? Math.max(0, asOfUs - tl.starts[i]!) : p.durationUs,
    }));
    const groups: GroupResult[] = scenario.groups.map((g, gi) => {
      const results: GroupResult['phases'] = {};
      for (let p = 0; p <= current; p++) {
        const counters = zeroCounters();
        for (const snap of this.snapshots.values()) {
          const c = snap.groups.find((x) => x.group === gi)?.counters[p];
          if (c) addCounters(counters, c);
        }
        if (p === current) counters.maxStallUs = Math.max(counters.maxStallUs, liveStallUs[gi]!);
        const h = createHistogram();
        const from = phases[p]!.startUs;
        const to = p === current ? Infinity : from + phases[p]!.durationUs;
        for (const [key, lh] of latencyOf) {
          const startUs = Math.floor(key / scenario.groups.length) * 1e6;
          if (key % scenario.groups.length === gi && startUs >= from && startUs < to) h.add(lh);
        }
        const clients = g.phases.includes(scenario.phases[p]!.name) ? g.count : 0;
        const seconds = phases[p]!.durationUs / 1e6;
        const result: PhaseResult = {
          clients,
          ...counters,
          latencyUs: summarize(h),
          uncorrectedUs: EMPTY,
          connectUs: EMPTY,
          ackUs: EMPTY,
          deliveredPerClientPerSec: clients > 0 && seconds > 0 ? Math.round((counters.arrived / clients / seconds) * 10) / 10 : 0,
          histogram: g.kind === 'fast' && h.totalCount > 0 ? encodeHistogram(h) : '',
          uncorrectedHistogram: '',
          connectHistogram: '',
          ackHistogram: '',
        };
        results[scenario.phases[p]!.name] = result;
      }
      return {
        name: g.name,
        kind: g.kind,
        behaviour: g.behaviour,
        clients: g.count,
        phases: results,
        clientResults: [...this.ended.values()].filter((c) => c.group === gi).map(clientRecord),
      };
    });
    const record: RunRecord = {
      ...recordHead(this.head),
      durationUs: Math.max(0, Math.min(asOfUs, tl.endUs) - tl.t0Us),
      ...marks,
      phases,
      groups,
      intervals,
      generator,
      hol: { ...NO_VERDICT_YET, evidence: [] },
      thresholds: [],
      warnings: [],
    };
    return finalizeRecord(record, scenario);
  }

  /** What the workers' latest snapshots say about each group's clients right now (not in the record). */
  clientsNow(): { group: string; open: number; stalled: number }[] {
    return this.head.scenario.groups.map((g, gi) => {
      let open = 0;
      let stalled = 0;
      for (const snap of this.snapshots.values()) {
        const x = snap.groups.find((y) => y.group === gi);
        open += x?.open ?? 0;
        stalled += x?.stalled ?? 0;
      }
      return { group: g.name, open, stalled };
    });
  }
}
