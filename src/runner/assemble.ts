// Builds the run record's group results and interval series from what the workers shipped:
// histograms decoded and added, counters summed (max for maxima), never averaged.
import type { EncodedInterval, EncodedPhase } from '../measurement/recorder.js';
import { combineInterval, combinePhase, combineReplays } from '../measurement/combine.js';
import type { Scenario } from '../scenario/types.js';
import type { ClientResult } from './threadMessages.js';
import { combineAges, combineLags, type GroupAges } from '../measurement/ageTicks.js';
import { encodeTicks } from '../util/ticksCodec.js';
import { encodeAges } from '../record/tickSeries.js';
import type { ClientRecord, GroupResult, IntervalRecord } from '../record/schema.js';

export interface WorkerResult {
  groups: { group: number; phases: EncodedPhase[]; ages?: GroupAges }[];
  clients: ClientResult[];
  lag?: Uint32Array;
}

const nn = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** One client's line in the record, from what its worker shipped. */
export function clientRecord(c: ClientResult): ClientRecord {
  return {
    id: c.clientId,
    ...c.totals,
    connectUs: nn(c.connectUs),
    ackUs: nn(c.ackUs),
    closedByServer: c.closedByServer ?? null,
    ...(c.closeReason !== undefined ? { closeReason: c.closeReason } : {}),
    ...(c.closedAtUs !== undefined ? { closedAtUs: c.closedAtUs } : {}),
    ...(c.refused !== undefined ? { refused: c.refused } : {}),
    ...(c.frameFaults !== undefined ? { frameFaults: c.frameFaults } : {}),
    ...(c.pushback !== undefined ? { pushback: c.pushback } : {}),
    replay: c.replay ? { ...c.replay, timeToLiveUs: nn(c.replay.timeToLiveUs) ?? NaN } : undefined,
  };
}

export function assembleGroups(scenario: Scenario, results: WorkerResult[]): GroupResult[] {
  return scenario.groups.map((g, gi) => {
    const phases: GroupResult['phases'] = {};
    scenario.phases.forEach((p, pi) => {
      const parts = results.map((r) => r.groups.find((x) => x.group === gi)?.phases[pi]).filter((x): x is EncodedPhase => x !== undefined);
      phases[p.name] = combinePhase(parts, g.phases.includes(p.name) ? g.count : 0, p.durationUs);
    });
    const clients = results
      .flatMap((r) => r.clients)
      .filter((c) => c.group === gi)
      .sort((a, b) => a.clientId - b.clientId);
    const group: GroupResult = {
      name: g.name,
      kind: g.kind,
      behaviour: g.behaviour,
      clients: g.count,
      phases,
      clientResults: clients.map(clientRecord),
    };
    const ages = results.map((r) => r.groups.find((x) => x.group === gi)?.ages).filter((a): a is GroupAges => a !== undefined);
    if (ages.length > 0) group.ages = encodeAges(combineAges(ages));
    if (g.kind === 'catchup') {
      group.replay = combineReplays(
        clients.flatMap((c) =>
          c.replay
            ? [
                {
                  expected: c.replay.toId - c.replay.fromId,
                  received: c.replay.received,
                  missing: c.replay.missing,
                  duplicates: c.replay.duplicates,
                  outOfOrder: c.replay.outOfOrder,
                  ratePerSec: c.replay.ratePerSec,
                  timeToLiveUsMax: nn(c.replay.timeToLiveUs),
                },
              ]
            : [],
        ),
      );
    }
    return group;
  });
}

export function assembleIntervals(intervals: Map<string, EncodedInterval[]>): IntervalRecord[] {
  return [...intervals.values()]
    .map((list) =>
      combineInterval(
        list[0]!.group,
        list[0]!.index * 1_000_000,
        list.map((iv) => ({
          delivered: iv.delivered,
          missing: iv.missing,
          arrived: iv.arrived,
          maxStallUs: iv.maxStallUs,
          histogram: iv.latency,
        })),
      ),
    )
    .sort((a, b) => a.startUs - b.startUs || a.group.localeCompare(b.group));
}

/**
 * The generator's lateness the verdict takes off the fast clients' shared age, tick by tick, encoded
 * for the record (undefined when no thread measured it): the worst of the publisher's (late events
 * age every client) and of the client workers that tracked fast clients' ages. A thread's lateness
 * explains only ages measured on it, so a worker that tracked none (a catch-up-only thread, one of
 * slow readers only) is left out: its own load is not the fast clients' latency.
 */
export function assembleLag(workers: Pick<WorkerResult, 'groups' | 'lag'>[], publisher: Uint32Array | undefined): string | undefined {
  const measuring = workers.filter((w) => w.groups.some((g) => (g.ages?.clients ?? 0) > 0)).map((w) => w.lag);
  const present = [...measuring, publisher].filter((p): p is Uint32Array => p !== undefined);
  if (present.length === 0) return undefined;
  return encodeTicks(combineLags(present));
}
