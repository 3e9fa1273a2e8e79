// What `--out prometheus-rw=URL` and `--out ndjson=FILE` stream while a run goes: one row per group
// per phase per second of a record (the live record as it forms, owed events at their age so far;
// then the final one), each phase's totals so far and the verdict as it stands. Pure: the CLI sends.
import type { IntervalRecord, RunRecord, Verdict } from '../record/schema.js';

/** Every verdict a stream can carry, so a gauge per verdict can say 0 for the others. */
export const STREAM_VERDICTS: readonly Verdict[] = ['unknown', 'none', 'hol', 'disconnect', 'invalid', 'inconclusive'];

export interface StreamLabels {
  scenario: string;
  group: string;
  phase: string;
  /** `i/N` when the run is one shard of a distributed run. */
  shard?: string;
}

/** Events owed to a group in a phase that have not arrived yet (the live view; none once the record is final). */
export interface OwedNow {
  group: string;
  phase: string;
  count: number;
}

export interface PhaseTotals extends StreamLabels {
  /** Events intended in the phase and delivered so far. */
  delivered: number;
  /** Events owed in the phase and not delivered so far: counted missing, plus owed and not arrived yet. */
  missing: number;
  maxStallUs: number;
}

export interface SecondRow extends PhaseTotals {
  /** Second n since t0: [t0 + n s, t0 + (n+1) s). */
  second: number;
  /** The end of the second, ms since the Unix epoch. */
  atMs: number;
  /** Latency of the events intended in the second (owed ones at their age so far); absent when none was. */
  latency?: { p50Us: number; p99Us: number; maxUs: number };
  /** Events intended in this second delivered by the time it was sent. */
  secondDelivered: number;
  /** The worst stall of the group's clients during this second. */
  secondMaxStallUs: number;
}

export interface StreamBatch {
  scenario: string;
  shard?: string;
  /** When the batch was made, ms since the Unix epoch: the time of the totals and the verdict. */
  atMs: number;
  rows: SecondRow[];
  totals: PhaseTotals[];
  verdict: Verdict;
  /** True for the last batch of a run: the final record's seconds, totals and verdict. */
  final: boolean;
}

const key = (group: string, phase: string | number): string => `${group}\u0000${phase}`;

/** The phase a second starts in (undefined past the last phase: the grace period is no phase's). */
function phaseOfSecond(record: RunRecord, second: number): string | undefined {
  const us = second * 1_000_000;
  return record.phases.find((p) => us >= p.startUs && us < p.startUs + p.durationUs)?.name;
}

/**
 * How far a record's seconds go: a live record's whole seconds as of its snapshot; a final one's to
 * its end, the last second begun included (a partial record's end is where it was cut short).
 */
export function recordSeconds(record: RunRecord, final: boolean): number {
  if (!final) return Math.floor(record.durationUs / 1_000_000);
  const last = record.phases.at(-1);
  const planned = last ? last.startUs + last.durationUs : 0;
  return Math.ceil(Math.min(planned, record.durationUs) / 1_000_000);
}

/**
 * Seconds [from, to) of a record as rows (for each group in each phase it has clients in), with
 * each phase's totals so far and the verdict. `owed` adds what the live record owes and has not
 * received yet to `missing`: a stalled stream counts while it stalls, not only at its phase's end.
 */
export function streamBatch(
  record: RunRecord,
  opts: { from: number; to: number; owed?: readonly OwedNow[]; final: boolean; atMs: number },
): StreamBatch {
  const scenario = record.scenario.name;
  const shard = record.shard ? `${record.shard.index}/${record.shard.count}` : undefined;
  const labels = (group: string, phase: string): StreamLabels => ({ scenario, group, phase, ...(shard ? { shard } : {}) });
  const owed = new Map<string, number>();
  for (const o of opts.owed ?? []) owed.set(key(o.group, o.phase), (owed.get(key(o.group, o.phase)) ?? 0) + o.count);
  const totals: PhaseTotals[] = [];
  const totalOf = new Map<string, PhaseTotals>();
  for (const g of record.groups) {
    for (const p of record.phases) {
      const r = g.phases[p.name];
      if (!r || r.clients === 0) continue;
      const t: PhaseTotals = {
        ...labels(g.name, p.name),
        delivered: r.delivered,
        missing: r.missing + (owed.get(key(g.name, p.name)) ?? 0),
        maxStallUs: r.maxStallUs,
      };
      totals.push(t);
      totalOf.set(key(g.name, p.name), t);
    }
  }
  const intervals = new Map<string, IntervalRecord>();
  for (const iv of record.intervals) intervals.set(key(iv.group, Math.round(iv.startUs / 1_000_000)), iv);
  const rows: SecondRow[] = [];
  for (let second = Math.max(0, opts.from); second < opts.to; second++) {
    const phase = phaseOfSecond(record, second);
    if (phase === undefined) continue;
    for (const g of record.groups) {
      const total = totalOf.get(key(g.name, phase));
      if (!total) continue;
      const iv = intervals.get(key(g.name, second));
      const latency = iv && (iv.histogram !== '' || iv.delivered + iv.missing > 0) ? { p50Us: iv.p50Us, p99Us: iv.p99Us, maxUs: iv.maxUs } : undefined;
      rows.push({
        ...total,
        second,
        atMs: Math.round((record.t0Us + (second + 1) * 1_000_000) / 1000),
        ...(latency ? { latency } : {}),
        secondDelivered: iv?.delivered ?? 0,
        secondMaxStallUs: iv?.maxStallUs ?? 0,
      });
    }
  }
  return { scenario, ...(shard ? { shard } : {}), atMs: opts.atMs, rows, totals, verdict: record.hol.verdict, final: opts.final };
}
