// Picks group/phase results out of a run record and merges them: histograms are added, counters
// summed (max for stalls). Shared by the HOL analysis and threshold evaluation.
import { mergeEncoded, type Histogram } from '../measurement/histogram.js';
import { roleWindow } from '../measurement/schedule.js';
import type { GroupResult, PhaseResult, RunRecord } from '../record/schema.js';

export interface Selection {
  latency: Histogram;
  uncorrected: Histogram;
  delivered: number;
  /** Arrivals during the selected phases (by arrival time). */
  arrived: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  maxStallUs: number;
  maxStalenessUs: number;
  /** Sum over phases of clients × phase seconds: the denominator of per-client rates. */
  clientSeconds: number;
  matched: number;
}

export function select(record: RunRecord, groups: (g: GroupResult) => boolean, phases: (name: string) => boolean): Selection {
  const parts: { p: PhaseResult; seconds: number }[] = [];
  for (const g of record.groups) {
    if (!groups(g)) continue;
    for (const ph of record.phases) {
      const p = g.phases[ph.name];
      if (p && phases(ph.name)) parts.push({ p, seconds: ph.durationUs / 1e6 });
    }
  }
  return {
    latency: mergeEncoded(parts.map((x) => x.p.histogram)),
    uncorrected: mergeEncoded(parts.map((x) => x.p.uncorrectedHistogram)),
    delivered: parts.reduce((a, x) => a + x.p.delivered, 0),
    arrived: parts.reduce((a, x) => a + x.p.arrived, 0),
    missing: parts.reduce((a, x) => a + x.p.missing, 0),
    duplicates: parts.reduce((a, x) => a + x.p.duplicates, 0),
    outOfOrder: parts.reduce((a, x) => a + x.p.outOfOrder, 0),
    maxStallUs: parts.reduce((a, x) => Math.max(a, x.p.maxStallUs), 0),
    maxStalenessUs: parts.reduce((a, x) => Math.max(a, x.p.maxStalenessUs ?? 0), 0),
    clientSeconds: parts.reduce((a, x) => a + x.p.clients * x.seconds, 0),
    matched: parts.length,
  };
}

export const isFast = (g: GroupResult): boolean => g.kind === 'fast';

/** The record's phases with `role`, in timeline order: every reader of "the stress phases" asks here. */
export function phasesOf(record: RunRecord, role: string): RunRecord['phases'] {
  return record.phases.filter((p) => p.role === role);
}

/** Where the phases with `role` lie in the record (µs since t0): the first one's start, the last one's end, their seconds; undefined when there is none. */
export function windowOf(record: RunRecord, role: string): ReturnType<typeof roleWindow> {
  return roleWindow(record.phases, role);
}

/** Whether the group had clients in a phase with `role`. */
export function hasClientsIn(record: RunRecord, g: GroupResult, role: string): boolean {
  return phasesOf(record, role).some((p) => (g.phases[p.name]?.clients ?? 0) > 0);
}

export function phasesWithRole(record: RunRecord, role: string): (name: string) => boolean {
  const names = new Set(phasesOf(record, role).map((p) => p.name));
  return (n) => names.has(n);
}
