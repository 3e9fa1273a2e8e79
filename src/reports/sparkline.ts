// Latency over time as one line of characters per group, drawn from the record's per-second
// intervals with `|` at each phase boundary: the story of a run in a terminal or a CI log, no browser.
// Pure: record in, text out.
import type { GroupResult, IntervalRecord, RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { terminalView } from './terminalView.js';

/** Eight levels, lowest first: Unicode block elements, or plain ASCII for logs that mangle them. */
export const LEVELS_UNICODE = '▁▂▃▄▅▆▇█';
export const LEVELS_ASCII = '_.:-=+*#';
/** A column with no event intended in it (e.g. a group before it joins). */
export const NO_DATA = ' ';
export const BOUNDARY = '|';
/**
 * The scale spans at least this many decades above its lowest value, so noise (a p99 wandering
 * between 3 and 6 ms) stays within a level or two while a HOL rise (3× and up) climbs visibly.
 */
export const MIN_DECADES = 2;

export interface SparklineOptions {
  /** Plain ASCII levels instead of block elements (CI logs, non-UTF-8 terminals). */
  ascii?: boolean;
  /** Columns for the data (phase marks not counted); longer runs fold several seconds into a column, its worst second. Default 60. */
  columns?: number;
}

/** A log scale from `lo` (the lowest level) to `hi` (the highest), in µs. */
export interface SparkScale {
  lo: number;
  hi: number;
}

/** One group's (or one run's fast groups') line, before rendering. */
export interface SparkSeries {
  label: string;
  /** p99 per column in µs, null where nothing was intended. */
  values: (number | null)[];
  /** Columns before which a phase starts. */
  boundaries: number[];
}

/** The level (0..levels−1) of a value on a log scale: `lo` and below is 0, `hi` and above the top. */
export function levelOf(valueUs: number, scale: SparkScale, levels = 8): number {
  const lo = Math.log(Math.max(1, scale.lo));
  const hi = Math.log(Math.max(1, scale.hi));
  if (!(hi > lo)) return 0;
  const at = (Math.log(Math.max(1, valueUs)) - lo) / (hi - lo);
  return Math.min(levels - 1, Math.max(0, Math.floor(at * levels)));
}

/** The scale for a set of lines: from their lowest value to their highest, at least MIN_DECADES wide. */
export function scaleFor(series: SparkSeries[]): SparkScale | null {
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  if (all.length === 0) return null;
  const lo = Math.max(1, Math.min(...all));
  return { lo, hi: Math.max(Math.max(...all), lo * 10 ** MIN_DECADES) };
}

/** Characters for the values, with BOUNDARY inserted before each column in `boundaries` (one mark per boundary). */
export function sparkline(values: (number | null)[], boundaries: number[], scale: SparkScale, ascii = false): string {
  const levels = ascii ? LEVELS_ASCII : LEVELS_UNICODE;
  const glyphs = [...levels];
  let out = '';
  values.forEach((v, col) => {
    out += BOUNDARY.repeat(boundaries.filter((b) => b === col).length);
    out += v === null ? NO_DATA : glyphs[levelOf(v, scale, glyphs.length)];
  });
  return out + BOUNDARY.repeat(boundaries.filter((b) => b === values.length).length);
}

/**
 * The run's length in whole seconds: a rescaled timeline ends a few milliseconds past a whole second
 * (16.01 s), and that sliver belongs to the last column rather than a column of its own.
 */
function runSeconds(record: RunRecord): number {
  return Math.max(1, Math.round(record.durationUs / 1e6));
}

/** Seconds per column: 1 while the run fits, more for a long run. */
export function secondsPerColumn(record: RunRecord, columns = 60): number {
  return Math.max(1, Math.ceil(runSeconds(record) / Math.max(1, columns)));
}

/** The columns before which a phase starts (the first phase's start is not marked), at the nearest column edge. */
export function phaseBoundaryColumns(record: RunRecord, perColumn: number): number[] {
  return record.phases.slice(1).map((p) => Math.round(p.startUs / 1e6 / perColumn));
}

const hasData = (iv: IntervalRecord): boolean => iv.delivered + iv.missing > 0;

/** The worst (highest) p99 per column over the given groups' intervals; null where no event was intended. */
export function columnValues(record: RunRecord, groups: string[], perColumn: number): (number | null)[] {
  const n = Math.ceil(runSeconds(record) / perColumn);
  const out: (number | null)[] = Array.from({ length: n }, () => null);
  for (const iv of record.intervals) {
    if (!groups.includes(iv.group) || !hasData(iv)) continue;
    const col = Math.min(n - 1, Math.floor(iv.startUs / 1e6 / perColumn));
    if (col < 0) continue;
    out[col] = Math.max(out[col] ?? 0, iv.p99Us);
  }
  return out;
}

/** Groups with events to draw (churn groups measure connects, not deliveries). */
const drawable = (g: GroupResult): boolean => g.kind !== 'churn';

function renderBlock(series: SparkSeries[], perColumn: number, phases: string[], opts: SparklineOptions): string[] {
  const scale = scaleFor(series);
  if (!scale) return [];
  const ascii = !!opts.ascii;
  const glyphs = [...(ascii ? LEVELS_ASCII : LEVELS_UNICODE)];
  const labelWidth = Math.max(...series.map((s) => s.label.length));
  const per = perColumn === 1 ? 'per second' : `per ${perColumn} s (worst second)`;
  const out = [
    `latency over time: p99 ${per}, log scale ${glyphs[0]} ${formatUs(scale.lo)} … ${glyphs.at(-1)} ${formatUs(scale.hi)}; ${BOUNDARY} between ${phases.join(` ${BOUNDARY} `)}`,
  ];
  for (const s of series) {
    const present = s.values.filter((v): v is number => v !== null);
    const range = present.length ? `  ${formatUs(Math.min(...present))} … ${formatUs(Math.max(...present))}` : '  no events';
    out.push(`  ${s.label.padEnd(labelWidth)}  ${sparkline(s.values, s.boundaries, scale, ascii)}${range}`);
  }
  return out;
}

/**
 * One line per group on one shared scale (so a fast group at 3 ms beside a stalled one at 10 s reads
 * as it is), `|` at each phase boundary; empty when the record has no intervals to draw.
 */
export function renderSparklines(untrusted: RunRecord, opts: SparklineOptions = {}): string {
  const record = terminalView(untrusted);
  const perColumn = secondsPerColumn(record, opts.columns);
  const boundaries = phaseBoundaryColumns(record, perColumn);
  const series = record.groups.filter(drawable).map((g) => ({ label: g.name, values: columnValues(record, [g.name], perColumn), boundaries }));
  return renderBlock(
    series,
    perColumn,
    record.phases.map((p) => p.name),
    opts,
  ).join('\n');
}

/**
 * The fast groups of several runs (the demo's variants) on one shared scale, one line per run:
 * legacy climbing while isolated stays flat is the demo's whole story. Each line carries its own
 * run's phase marks; the heading names the first run's phases (variants of one scenario share them).
 */
export function renderFastSparklines(untrusted: { name: string; record: RunRecord }[], opts: SparklineOptions = {}): string {
  const runs = terminalView(untrusted);
  if (runs.length === 0) return '';
  const perColumn = Math.max(...runs.map((r) => secondsPerColumn(r.record, opts.columns)));
  const first = runs[0]!.record;
  const series = runs.map(({ name, record }) => ({
    label: `${name} fast`,
    values: columnValues(
      record,
      record.groups.filter((g) => g.kind === 'fast').map((g) => g.name),
      perColumn,
    ),
    boundaries: phaseBoundaryColumns(record, perColumn),
  }));
  return renderBlock(
    series,
    perColumn,
    first.phases.map((p) => p.name),
    opts,
  ).join('\n');
}
