// The over-time charts that the HTML report and the live dashboard both draw, against wall-clock
// seconds since t0: per group the p99 of what arrived and the age of the oldest owed event (a line
// that climbs while nothing arrives), the verdict's freezes as marks, phases shaded; and the
// delivery rate of every group. Pure: record in, data and SVG out.
import { decodeHistogram } from '../measurement/histogram.js';
import { CLOSE_SLOW_CLIENT } from '../protocol/v0.js';
import type { GroupResult, IntervalRecord, RunRecord } from '../record/schema.js';
import { NO_CLIENT, TICK_US } from '../util/ticksCodec.js';
import { decodeAges, decodeLag } from '../record/tickSeries.js';
import { formatUs } from '../util/units.js';
import { lineChart, type Band, type Mark, type Moment, type Series } from './svg.js';

export const GROUP_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
/** Slow clients the server closed as designed (4008): neither a group colour nor a failure's red. */
export const CLOSED_COLORS = ['#7b52ab', '#a98bd0', '#5e3c8c'];
export const BAND_FILLS: Record<string, string> = { warmup: '#eeeeee', baseline: '#e3effa', stress: '#fbe3e3', recovery: '#e4f4e4', other: '#efe6f7' };
const FREEZE_FILL = 'rgba(183,28,28,0.16)';
const LINE = { p99: '#1f77b4', oldest: '#c62828', together: '#e07b00', floor: '#777777', lag: '#9e9e9e' };

/** A colour by phase role; a role from a record is a key like any other ("constructor" is not one of ours). */
export const byRole = (colors: Record<string, string>, role: unknown): string =>
  typeof role === 'string' && Object.hasOwn(colors, role) ? colors[role]! : colors.other!;
export const bandFill = (role: unknown): string => byRole(BAND_FILLS, role);

/** The time axis every over-time chart of one record shares: its phases and its length. */
export interface TimeFrame {
  bands: Band[];
  totalS: number;
}

/**
 * The record's phases as bands; with `planned`, the scenario's planned phases, so a live chart's
 * axis does not move while the run goes.
 */
export function timeFrame(record: RunRecord, opts: { planned?: boolean } = {}): TimeFrame {
  const planned = opts.planned ? record.scenario.spec?.phases : undefined;
  let start = 0;
  const phases = planned
    ? planned.map((p) => {
        const b = { name: p.name, role: p.role, from: start / 1e6, to: (start + p.durationUs) / 1e6 };
        start += p.durationUs;
        return b;
      })
    : record.phases.map((p) => ({ name: p.name, role: p.role, from: p.startUs / 1e6, to: (p.startUs + p.durationUs) / 1e6 }));
  return {
    bands: phases.map((p) => ({ from: p.from, to: p.to, label: p.name, fill: bandFill(p.role) })),
    totalS: Math.max(record.durationUs / 1e6, ...phases.map((p) => p.to)),
  };
}

/**
 * A slow group's clients that the server closed as slow (4008): by design, not a failure. `seen`: the
 * clients read the close frame; `counted`: the server's /metrics counted more slow closes than any
 * client saw (a stalled reader never reads its close frame), so as many of the group's clients that
 * were never closed and missed events are attributed to them, in group order.
 */
export function closedByDesign(record: RunRecord, g: GroupResult): { seen: number; counted: number; count: number; firstAtUs: number | null } {
  const none = { seen: 0, counted: 0, count: 0, firstAtUs: null };
  if (g.kind !== 'slow') return none;
  const isSlowClose = (c: GroupResult['clientResults'][number]): boolean => c.refused === undefined && c.closedByServer === CLOSE_SLOW_CLIENT;
  const seen = g.clientResults.filter(isSlowClose);
  const times = seen.map((c) => c.closedAtUs).filter((t): t is number => typeof t === 'number');
  let unseen = Math.max(0, (record.server?.slowClientCloses ?? 0) - record.groups.reduce((a, x) => a + x.clientResults.filter(isSlowClose).length, 0));
  let counted = 0;
  for (const x of record.groups) {
    if (x.kind !== 'slow') continue;
    const open = x.clientResults.filter((c) => c.refused === undefined && c.closedByServer === null && c.missing > 0).length;
    const here = Math.min(open, unseen);
    unseen -= here;
    if (x === g) counted = here;
  }
  return { seen: seen.length, counted, count: seen.length + counted, firstAtUs: times.length ? Math.min(...times) : null };
}

/** Each non-churn group's line colour: its own, or the closed-by-design colour when the server closed it as slow. */
export function groupColors(record: RunRecord): Map<string, string> {
  const out = new Map<string, string>();
  let closed = 0;
  record.groups.forEach((g, i) => {
    out.set(g.name, closedByDesign(record, g).count > 0 ? CLOSED_COLORS[closed++ % CLOSED_COLORS.length]! : GROUP_COLORS[i % GROUP_COLORS.length]!);
  });
  return out;
}

const p99Cache = new Map<string, number>();

/**
 * The p99 of the events of one second that arrived, µs (NaN when none did). The second's histogram
 * also holds its missing events at their lower bound (and, live, the owed ones at their age so far):
 * each of those is at least as old as any arrival of the second (give or take the second itself),
 * so the arrivals are its lowest `delivered` values.
 */
export function arrivedP99Us(iv: IntervalRecord): number {
  if (!(iv.delivered > 0) || !iv.histogram) return NaN;
  const key = `${iv.delivered}:${iv.histogram}`;
  const hit = p99Cache.get(key);
  if (hit !== undefined) return hit;
  let v: number;
  try {
    const h = decodeHistogram(iv.histogram);
    v = h.totalCount <= iv.delivered ? iv.p99Us : h.getValueAtPercentile((99 * iv.delivered) / h.totalCount);
  } catch {
    v = NaN;
  }
  if (p99Cache.size >= 4096) p99Cache.clear();
  p99Cache.set(key, v);
  return v;
}

/** A tick series as [seconds, ms] points, the max of each `bucketUs` (a bucket where nothing was owed breaks the line). */
export function maxPerBucket(ticks: Uint32Array, tickUs: number, bucketUs: number): [number, number][] {
  const per = Math.max(1, Math.round(bucketUs / tickUs));
  const out: [number, number][] = [];
  for (let i = 0; i < ticks.length; i += per) {
    let max = -1;
    for (let j = i; j < Math.min(i + per, ticks.length); j++) if (ticks[j] !== NO_CLIENT) max = Math.max(max, ticks[j]!);
    // at the bucket's end: an age is how old the oldest owed event was by then
    out.push([(Math.min(i + per, ticks.length) * tickUs) / 1e6, max < 0 ? NaN : max / 1000]);
  }
  return out;
}

/** The bucket that keeps a chart's lines to about `points` points: 100 ms, or more for a long run. */
export function bucketUsFor(durationUs: number, points = 1200): number {
  return Math.max(100_000, Math.ceil(durationUs / points / 100_000) * 100_000);
}

/** What a group's over-time chart draws, in seconds and milliseconds. */
export interface OverTimeData {
  /** p99 of what arrived, per second published (at its middle). */
  p99: [number, number][];
  /** Age of the oldest owed event: from the group's tick series (max per bucket), else the worst per second. */
  oldestOwed: [number, number][];
  /** From the tick series only: how long every tracked client had been waiting (the freeze rule's input). */
  together: [number, number][] | null;
  /** From the tick series: what the series is (`ticks`) or the per-second fallback (`seconds`). */
  oldestFrom: 'ticks' | 'seconds';
  /** The generator's own lateness (max per bucket), where the record has it. */
  generatorLag: [number, number][] | null;
  /** The freezes the verdict counted (fast groups with a tick series). */
  freezes: Mark[];
  freezeFloorMs: number | null;
}

export function overTimeData(record: RunRecord, g: GroupResult): OverTimeData {
  const ivs = record.intervals.filter((iv) => iv.group === g.name).sort((a, b) => a.startUs - b.startUs);
  const bucketUs = bucketUsFor(record.durationUs);
  const p99 = ivs.map((iv): [number, number] => [iv.startUs / 1e6 + 0.5, arrivedP99Us(iv) / 1000]);
  const any = decodeAges(record, g.ages, 'any');
  const together = decodeAges(record, g.ages, 'together');
  const lag = decodeLag(record);
  const fz = record.hol.freezes;
  const withTicks = any !== undefined;
  const freezes: Mark[] =
    withTicks && fz
      ? [...fz.baseline.freezes, ...fz.stress.freezes].map((f) => ({
          kind: 'freeze',
          from: f.startUs / 1e6,
          to: (f.startUs + f.durationUs) / 1e6,
          label: `freeze the verdict counted: every fast client waited, ${formatUs(f.durationUs)} long, up to ${formatUs(f.peakUs)}`,
          fill: FREEZE_FILL,
        }))
      : [];
  return {
    p99,
    oldestOwed: any ? maxPerBucket(any, TICK_US, bucketUs) : ivs.map((iv) => [iv.startUs / 1e6 + 1, iv.maxStallUs > 0 ? iv.maxStallUs / 1000 : NaN]),
    together: together ? maxPerBucket(together, TICK_US, bucketUs) : null,
    oldestFrom: withTicks ? 'ticks' : 'seconds',
    generatorLag: withTicks && lag ? maxPerBucket(lag, TICK_US, bucketUs) : null,
    freezes,
    freezeFloorMs: withTicks && fz ? fz.floorUs / 1000 : null,
  };
}

export interface ChartSize {
  width?: number;
  height?: number;
}

/** Log-axis bounds that hold every finite positive value, at 1, 2 or 5 × 10^k: from 0.1 ms at the lowest. */
export function logRange(values: number[]): { min: number; max: number } {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length === 0) return { min: 0.1, max: 10 };
  const steps = (v: number): number[] => [1, 2, 5].map((m) => m * 10 ** Math.floor(Math.log10(v)));
  const lo = Math.min(...pos);
  const hi = Math.max(...pos);
  const min = Math.max(0.1, Math.max(...steps(lo).filter((s) => s <= lo * (1 + 1e-9))));
  const up = [...steps(hi), 10 ** (Math.floor(Math.log10(hi)) + 1)].find((s) => s >= hi * (1 - 1e-9))!;
  return { min, max: Math.max(min * 10, up) };
}

/** One group's latency and oldest owed event over time; null for churn groups and groups with nothing to draw. */
export function overTimeChart(record: RunRecord, g: GroupResult, frame: TimeFrame, size: ChartSize = {}): string | null {
  if (g.kind === 'churn') return null;
  const d = overTimeData(record, g);
  const closed = closedByDesign(record, g);
  const series: Series[] = [
    { key: 'p99', name: 'p99 of arrivals (by second published)', color: LINE.p99, points: d.p99 },
    {
      key: 'oldest-owed',
      name: `oldest owed event (${d.oldestFrom === 'ticks' ? 'any client' : 'worst client, per second'}${closed.count ? `; closed ${CLOSE_SLOW_CLIENT} by design, still owed` : ''})`,
      // a slow client the server closed as designed is owed what it missed, but it is no failure's red
      color: closed.count ? CLOSED_COLORS[0]! : LINE.oldest,
      points: d.oldestOwed,
    },
  ];
  if (d.together) series.push({ key: 'together', name: 'every client waiting', color: LINE.together, dash: '5 3', width: 1.5, points: d.together });
  if (d.generatorLag) series.push({ key: 'generator-lag', name: "generator's own lateness", color: LINE.lag, width: 1, points: d.generatorLag });
  if (d.freezeFloorMs !== null) {
    series.push({ key: 'freeze-floor', name: 'freeze floor', color: LINE.floor, dash: '2 3', width: 1, points: [[0, d.freezeFloorMs], [frame.totalS, d.freezeFloorMs]] });
  }
  const drawn = [...d.p99, ...d.oldestOwed].some(([, y]) => Number.isFinite(y) && y > 0);
  if (!drawn) return null;
  const moments: Moment[] =
    closed.firstAtUs !== null ? [{ at: closed.firstAtUs / 1e6, label: `closed ${CLOSE_SLOW_CLIENT} (by design)`, color: CLOSED_COLORS[0]! }] : [];
  const y = logRange(series.filter((s) => s.key !== 'generator-lag').flatMap((s) => s.points.map((p) => p[1])));
  return lineChart({
    title: `${g.name}: latency and oldest owed event over time`,
    width: size.width,
    height: size.height,
    x: { label: 'seconds since start', min: 0, max: frame.totalS, format: (v) => `${v}s` },
    y: { label: 'age (log scale)', log: true, min: y.min, max: y.max, format: (v) => formatUs(v * 1000) },
    bands: frame.bands,
    marks: d.freezes,
    moments,
    series,
  });
}

/** The phase a second (µs since t0) falls in. */
function phaseOfSecond(record: RunRecord, startUs: number): RunRecord['phases'][number] | undefined {
  return record.phases.find((p) => startUs >= p.startUs && startUs < p.startUs + p.durationUs);
}

/** Events that arrived each second per connected client, every group on one chart; slow groups closed by design in their own colour. */
export function deliveredChart(record: RunRecord, frame: TimeFrame, size: ChartSize = {}): string | null {
  const colors = groupColors(record);
  const series: Series[] = [];
  const moments: Moment[] = [];
  for (const g of record.groups) {
    if (g.kind === 'churn') continue;
    const points: [number, number][] = [];
    for (const iv of record.intervals) {
      if (iv.group !== g.name) continue;
      const clients = g.phases[phaseOfSecond(record, iv.startUs)?.name ?? '']?.clients ?? 0;
      if (clients > 0) points.push([iv.startUs / 1e6 + 0.5, (iv.arrived ?? iv.delivered) / clients]);
    }
    if (points.length === 0) continue;
    const closed = closedByDesign(record, g);
    const color = colors.get(g.name)!;
    series.push({ key: g.name, name: closed.count ? `${g.name} (closed ${CLOSE_SLOW_CLIENT} by the server, by design)` : g.name, color, points: points.sort((a, b) => a[0] - b[0]) });
    if (closed.firstAtUs !== null) moments.push({ at: closed.firstAtUs / 1e6, label: `${g.name}: ${CLOSE_SLOW_CLIENT}`, color });
  }
  if (series.length === 0) return null;
  return lineChart({
    title: 'events delivered per second, per client',
    width: size.width,
    height: size.height,
    x: { label: 'seconds since start', min: 0, max: frame.totalS, format: (v) => `${v}s` },
    y: { label: 'events/s per client', min: 0, format: (v) => String(Math.round(v * 10) / 10) },
    bands: frame.bands,
    moments,
    series,
  });
}
