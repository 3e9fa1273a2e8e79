// Builds the run record's group results and interval series from what the workers shipped:
// histograms decoded and added, counters summed (max for maxima), never averaged.
import { createHistogram, decodeHistogram, encodeHistogram, summarize, type Histogram } from '../measurement/histogram.js';
import { addCounters, zeroCounters, type EncodedInterval, type EncodedPhase } from '../measurement/recorder.js';
import type { Scenario } from '../scenario/types.js';
import type { ClientResult } from './messages.js';
import type { GroupResult, IntervalRecord } from './record.js';

export interface WorkerResult {
  groups: { group: number; phases: EncodedPhase[] }[];
  clients: ClientResult[];
}

export function assembleGroups(scenario: Scenario, results: WorkerResult[]): GroupResult[] {
  return scenario.groups.map((g, gi) => {
    const phases: GroupResult['phases'] = {};
    scenario.phases.forEach((p, pi) => {
      const hist = { latency: createHistogram(), uncorrected: createHistogram(), connect: createHistogram(), ack: createHistogram() };
      const counters = zeroCounters();
      for (const r of results) {
        const enc = r.groups.find((x) => x.group === gi)?.phases[pi];
        if (!enc) continue;
        for (const k of ['latency', 'uncorrected', 'connect', 'ack'] as const) (hist[k] as Histogram).add(decodeHistogram(enc[k]));
        addCounters(counters, enc.counters);
      }
      const clients = g.phases.includes(p.name) ? g.count : 0;
      phases[p.name] = {
        clients,
        ...counters,
        latencyUs: summarize(hist.latency),
        uncorrectedUs: summarize(hist.uncorrected),
        connectUs: summarize(hist.connect),
        ackUs: summarize(hist.ack),
        deliveredPerClientPerSec: clients > 0 ? Math.round((counters.arrived / clients / (p.durationUs / 1e6)) * 10) / 10 : 0,
        histogram: encodeHistogram(hist.latency),
        uncorrectedHistogram: encodeHistogram(hist.uncorrected),
        connectHistogram: encodeHistogram(hist.connect),
        ackHistogram: encodeHistogram(hist.ack),
      };
    });
    const clients = results.flatMap((r) => r.clients).filter((c) => c.group === gi).sort((a, b) => a.clientId - b.clientId);
    const nn = (v: number): number | null => (Number.isFinite(v) ? v : null);
    const group: GroupResult = {
      name: g.name,
      kind: g.kind,
      behaviour: g.behaviour,
      clients: g.count,
      phases,
      clientResults: clients.map((c) => ({
        id: c.clientId, ...c.totals,
        connectUs: nn(c.connectUs), ackUs: nn(c.ackUs), closedByServer: c.closedByServer ?? null,
        replay: c.replay ? { ...c.replay, timeToLiveUs: nn(c.replay.timeToLiveUs) ?? NaN } : undefined,
      })),
    };
    const replays = clients.map((c) => c.replay).filter((r): r is NonNullable<typeof r> => r !== undefined);
    if (g.kind === 'catchup' && replays.length > 0) {
      const rates = replays.map((r) => r.ratePerSec).sort((a, b) => a - b);
      const ttl = replays.map((r) => r.timeToLiveUs);
      group.replay = {
        expected: replays.reduce((a, r) => a + (r.toId - r.fromId), 0),
        received: replays.reduce((a, r) => a + r.received, 0),
        missing: replays.reduce((a, r) => a + r.missing, 0),
        duplicates: replays.reduce((a, r) => a + r.duplicates, 0),
        outOfOrder: replays.reduce((a, r) => a + r.outOfOrder, 0),
        ratePerSec: rates[Math.floor(rates.length / 2)]!,
        timeToLiveUsMax: ttl.every(Number.isFinite) ? Math.max(...ttl) : null,
      };
    }
    return group;
  });
}

export function assembleIntervals(intervals: Map<string, EncodedInterval[]>): IntervalRecord[] {
  const out: IntervalRecord[] = [];
  for (const list of intervals.values()) {
    const h = createHistogram();
    for (const iv of list) if (iv.latency) h.add(decodeHistogram(iv.latency));
    const s = summarize(h);
    out.push({
      group: list[0]!.group,
      startUs: list[0]!.index * 1_000_000,
      delivered: list.reduce((a, iv) => a + iv.delivered, 0),
      missing: list.reduce((a, iv) => a + iv.missing, 0),
      p50Us: s.p50,
      p99Us: s.p99,
      maxUs: s.max,
      histogram: h.totalCount ? encodeHistogram(h) : '',
    });
  }
  return out.sort((a, b) => a.startUs - b.startUs || a.group.localeCompare(b.group));
}
