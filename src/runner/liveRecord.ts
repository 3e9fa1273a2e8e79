// The live dashboard's provisional run record, rebuilt every LIVE_PERIOD_S seconds from what the workers ship as
// the run goes: the per-second interval parts (the same ones the record is built from) and each
// worker's latest live snapshot (counters so far, owed events not delivered yet, clients closed or
// refused). Owed events enter the latency at their age so far — a lower bound of what the record
// will say — so a stalled stream is drawn while it stalls, not after its phase is accounted. The
// verdict and thresholds are the record's own (finalizeRecord), judged on the phases begun so far;
// the final record replaces all of it when the run ends. Histograms are added once as parts arrive
// and summarised or encoded again only when they change: the generator's main thread pays little.
import { decodeToAdd } from '../measurement/histogram.js';
import { EMPTY_SUMMARY } from '../measurement/percentiles.js';
import { deliveredPerClientPerSec } from '../measurement/combine.js';
import { Kept } from './keptHistogram.js';
import { addCounters, secondOf, zeroCounters, type EncodedInterval } from '../measurement/recorder.js';
import { phaseAt } from '../measurement/schedule.js';
import { finalizeRecord } from '../verdict/finalize.js';
import type {
  GeneratorHealth,
  GroupResult,
  IntervalRecord,
  PhaseResult,
  RunRecord,
  ServerProcessRecord,
  ServerScrape,
} from '../record/schema.js';
import { LIVE_PERIOD_S, noVerdict } from '../record/schema.js';
import { fetchMetrics, summarizeServerMetrics } from './scrape.js';
import { clientRecord } from './assemble.js';
import { recordHead, type MeasuredParts } from './buildRecord.js';
import type { ClientResult, WorkerToMain } from './threadMessages.js';
import type { HealthSample } from './generatorHealth.js';
import { nowUs as clockUs } from '../clock.js';
import { threadCpuUs } from '../util/threadCpu.js';

export interface LiveUpdate {
  record: RunRecord;
  /** Each group's clients connected now, and of those the ones whose oldest owed event is ≥ 1 s old. */
  clients: { group: string; open: number; stalled: number }[];
  /** Events each group is owed in each phase and has not received yet, as the workers' latest snapshots saw them (not in the record). */
  owed: { group: string; phase: string; count: number }[];
  /** CPU time the live view has cost the runner's threads so far (worker snapshots, building these records), µs. */
  costUs: number;
}

type LiveMessage = Extract<WorkerToMain, { type: 'live' }>;
type Head = Pick<MeasuredParts, 'fullScenario' | 'scenario' | 'target' | 'shard' | 'startedAt' | 'startAtUs' | 'tl' | 'workers'>;

/** Seconds this far behind the latest snapshot get no more parts, bar stragglers: their histograms are compacted. */
const COMPACT_AFTER_S = 3;

interface Second {
  group: number;
  index: number;
  phase: number;
  kept: Kept;
  delivered: number;
  missing: number;
  arrived: number;
  maxStallUs: number;
}

export class LiveRecord {
  private readonly seconds = new Map<number, Second>();
  /** By group × phase: every part's latency added as it arrives. */
  private readonly phases: Kept[][];
  private readonly snapshots = new Map<number, LiveMessage>();
  private readonly ended = new Map<number, ClientResult>();
  private readonly groupIndex: Map<string, number>;
  /** CPU time the live view has cost the runner's threads so far: the workers' snapshots and these builds, µs. */
  costUs = 0;
  /** Each group's live stall (its oldest owed event's age) at the end of each second, as the snapshots saw it. */
  private readonly stallSeen = new Map<number, number>();
  private watched = true;

  constructor(private readonly head: Head) {
    this.groupIndex = new Map(head.scenario.groups.map((g, i) => [g.name, i]));
    this.phases = head.scenario.groups.map(() => head.scenario.phases.map(() => new Kept()));
  }

  get t0Us(): number {
    return this.head.tl.t0Us;
  }

  private key(group: number, index: number): number {
    return index * this.head.scenario.groups.length + group;
  }

  private phaseOfSecond(index: number): number {
    return phaseAt(this.head.tl, this.head.tl.t0Us + index * 1_000_000);
  }

  noteIntervals(parts: EncodedInterval[]): void {
    const cpu = threadCpuUs();
    this.addIntervals(parts);
    this.costUs += threadCpuUs() - cpu;
  }

  /** Whether a page watches: while not, the workers send no snapshots, and the ones held (or still in flight) would be stale. */
  watching(on: boolean): void {
    this.watched = on;
    if (!on) this.snapshots.clear();
  }

  /** Whether any worker has shipped a snapshot since a page last opened (a record without one would show no counters). */
  get hasSnapshots(): boolean {
    return this.snapshots.size > 0;
  }

  private addIntervals(parts: EncodedInterval[]): void {
    for (const iv of parts) {
      const group = this.groupIndex.get(iv.group);
      if (group === undefined) continue;
      const key = this.key(group, iv.index);
      let s = this.seconds.get(key);
      if (!s) {
        s = {
          group,
          index: iv.index,
          phase: this.phaseOfSecond(iv.index),
          kept: new Kept(),
          delivered: 0,
          missing: 0,
          arrived: 0,
          maxStallUs: 0,
        };
        this.seconds.set(key, s);
      }
      if (iv.latency) {
        const h = decodeToAdd(iv.latency);
        s.kept.add(h);
        this.phases[group]![s.phase]!.add(h);
      }
      s.delivered += iv.delivered;
      s.missing += iv.missing;
      s.arrived += iv.arrived;
      s.maxStallUs = Math.max(s.maxStallUs, iv.maxStallUs);
    }
  }

  noteSnapshot(workerIndex: number, m: LiveMessage): void {
    this.costUs += m.tookUs;
    // each worker reports a client's end once: keep it even from a snapshot that arrives after the last page closed
    for (const c of m.ended) this.ended.set(c.clientId, c);
    if (!this.watched) return;
    this.snapshots.set(workerIndex, m);
    // the oldest owed event was already owed at every second's end since its intended time: each of
    // those seconds saw a stall at least that old (so a late snapshot leaves no hole in the line)
    const t0 = this.head.tl.t0Us;
    for (const g of m.groups) {
      if (!(g.oldestOwedUs === g.oldestOwedUs)) continue;
      // snapshots are taken on the workers' whole-second ticks, which a timer may fire a little early
      const ticks = Math.round((m.atUs - t0) / 1_000_000);
      for (let index = secondOf(t0, g.oldestOwedUs); index < ticks; index++) {
        const key = this.key(g.group, index);
        const ageUs = Math.min(m.atUs, t0 + (index + 1) * 1_000_000) - g.oldestOwedUs;
        if (ageUs > (this.stallSeen.get(key) ?? 0)) this.stallSeen.set(key, ageUs);
      }
    }
  }

  /**
   * The record so far, with its provisional verdict: as of the workers' latest snapshot (their
   * counters and intervals were shipped together at that moment), or `nowUs` before any.
   */
  build(
    nowUs: number,
    generator: GeneratorHealth,
    marks: Pick<RunRecord, 'partial' | 'partialReason' | 'invalid' | 'invalidReason'>,
    server?: ServerScrape,
  ): RunRecord {
    const { scenario, tl } = this.head;
    const groupCount = scenario.groups.length;
    const snapshotsAt = [...this.snapshots.values()].map((s) => s.atUs);
    const asOfUs = snapshotsAt.length > 0 ? Math.max(...snapshotsAt) : nowUs;
    const current = asOfUs < tl.t0Us ? -1 : phaseAt(tl, Math.min(asOfUs, tl.endUs - 1));
    // owed events of every worker, by second and by phase, at their age so far (a lower bound)
    const owedBySecond = new Map<number, { ageUs: number; count: number }[]>();
    const owedByPhase = new Map<number, { ageUs: number; count: number }[]>();
    const liveStallUs = scenario.groups.map(() => 0);
    for (const snap of this.snapshots.values()) {
      for (const g of snap.groups) {
        for (const [index, count, newestUs] of g.owed) {
          const o = { ageUs: snap.atUs - newestUs, count };
          const key = this.key(g.group, index);
          (owedBySecond.get(key) ?? owedBySecond.set(key, []).get(key)!).push(o);
          const pk = this.phaseOfSecond(index) * groupCount + g.group;
          (owedByPhase.get(pk) ?? owedByPhase.set(pk, []).get(pk)!).push(o);
        }
        if (g.oldestOwedUs === g.oldestOwedUs) liveStallUs[g.group] = Math.max(liveStallUs[g.group]!, snap.atUs - g.oldestOwedUs);
      }
    }
    const isFast = scenario.groups.map((g) => g.kind === 'fast');
    const asOfIndex = Math.floor((asOfUs - tl.t0Us) / 1_000_000);
    const intervals: IntervalRecord[] = [];
    for (const key of [...new Set([...this.seconds.keys(), ...owedBySecond.keys(), ...this.stallSeen.keys()])].sort((a, b) => a - b)) {
      const group = key % groupCount;
      const index = Math.floor(key / groupCount);
      const s = this.seconds.get(key);
      const { summary, encoded } = (s?.kept ?? new Kept()).read(owedBySecond.get(key), isFast[group]!);
      if (s && index < asOfIndex - COMPACT_AFTER_S) s.kept.compact();
      intervals.push({
        group: scenario.groups[group]!.name,
        startUs: index * 1_000_000,
        delivered: s?.delivered ?? 0,
        missing: s?.missing ?? 0,
        arrived: s?.arrived ?? 0,
        maxStallUs: Math.max(s?.maxStallUs ?? 0, this.stallSeen.get(key) ?? 0),
        p50Us: summary.p50,
        p99Us: summary.p99,
        maxUs: summary.max,
        histogram: summary.count > 0 ? encoded : '',
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
        const { summary, encoded } = this.phases[gi]![p]!.read(owedByPhase.get(p * groupCount + gi), isFast[gi]!);
        const clients = g.phases.includes(scenario.phases[p]!.name) ? g.count : 0;
        const result: PhaseResult = {
          clients,
          ...counters,
          latencyUs: summary,
          uncorrectedUs: EMPTY_SUMMARY,
          connectUs: EMPTY_SUMMARY,
          ackUs: EMPTY_SUMMARY,
          deliveredPerClientPerSec: deliveredPerClientPerSec(counters.arrived, clients, phases[p]!.durationUs),
          histogram: summary.count > 0 ? encoded : '',
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
      workers: this.head.workers,
      shard: this.head.shard.count > 1 ? this.head.shard : undefined,
      phases,
      groups,
      intervals,
      generator,
      hol: noVerdict(),
      server,
      thresholds: [],
      warnings: [],
    };
    return finalizeRecord(record, scenario);
  }

  /** Events owed and not received yet, by group and by the phase they were intended in, as the latest snapshots saw them (a lower bound past MAX_CHECKS). */
  owedNow(): { group: string; phase: string; count: number }[] {
    const { scenario } = this.head;
    const groupCount = scenario.groups.length;
    const counts = new Map<number, number>();
    for (const snap of this.snapshots.values())
      for (const g of snap.groups)
        for (const [index, count] of g.owed) {
          const key = this.phaseOfSecond(index) * groupCount + g.group;
          counts.set(key, (counts.get(key) ?? 0) + count);
        }
    return [...counts].map(([key, count]) => ({
      group: scenario.groups[key % groupCount]!.name,
      phase: scenario.phases[Math.floor(key / groupCount)]!.name,
      count,
    }));
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

/** Records between two /metrics scrapes (every 6 s): each costs the runner ~4 ms of CPU in Node's fetch, untimed (docs/dashboard.md). */
const SCRAPE_EVERY = 3;

/**
 * Builds the live record 400 ms after each of the workers' snapshot ticks, every LIVE_PERIOD_S
 * seconds (when their parts and snapshots are in) and hands it to `onLive`; returns the function that stops it.
 */
export function feedLive(
  live: LiveRecord,
  onLive: (u: LiveUpdate) => void,
  from: {
    health: () => HealthSample[];
    generatorJudged: (health: HealthSample[], nowUs: number) => GeneratorHealth;
    marks: () => Pick<RunRecord, 'partial' | 'partialReason' | 'invalid' | 'invalidReason'>;
    /** Whether a page watches now; while not, nothing is built or scraped and the workers are told to pause. */
    watched: () => boolean;
    setWorkersWatched: (on: boolean) => void;
    /** The target's /metrics, scraped every few seconds too: the server's own view (its slow-client closes, its oldest send in flight). */
    metrics?: { url: string; token?: string };
    /** The server evbench started (`--server-cmd`): its process tree's samples so far. */
    serverProcess?: () => ServerProcessRecord;
  },
): () => void {
  const timers: NodeJS.Timeout[] = [];
  let server: ServerScrape | undefined;
  let scraping = false;
  let builds = 0;
  const scrape = (metrics: { url: string; token?: string }): void => {
    scraping = true;
    void fetchMetrics(metrics.url, metrics.token).then((got) => {
      scraping = false;
      const cpu = threadCpuUs();
      server = 'error' in got ? { source: metrics.url, error: got.error } : summarizeServerMetrics(got.text, metrics.url);
      live.costUs += threadCpuUs() - cpu;
    });
  };
  let watched = true;
  const build = (): void => {
    const looking = from.watched();
    if (looking !== watched) {
      watched = looking;
      from.setWorkersWatched(looking);
      live.watching(looking);
    }
    // a page just opened: wait for the workers' first snapshots (at their next whole-second tick)
    if (!watched || !live.hasSnapshots) return;
    const cpu = threadCpuUs();
    const now = clockUs();
    const record = live.build(now, from.generatorJudged(from.health(), now), from.marks(), server);
    if (from.serverProcess) record.serverProcess = from.serverProcess();
    live.costUs += threadCpuUs() - cpu;
    onLive({ record, clients: live.clientsNow(), owed: live.owedNow(), costUs: live.costUs });
    if (from.metrics && !scraping && builds++ % SCRAPE_EVERY === 0) scrape(from.metrics);
  };
  const firstMs = Math.max(0, (live.t0Us - clockUs()) / 1000 + LIVE_PERIOD_S * 1000 + 400);
  timers.push(setTimeout(() => timers.push(setInterval(build, LIVE_PERIOD_S * 1000)), firstMs));
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}
