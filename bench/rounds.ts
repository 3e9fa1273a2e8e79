// The shared shape of every benchmark: contenders measured side by side in one run, alternating
// round by round (so machine noise hits all alike), then medians and ratios. Also the table renderer.

export interface Sample {
  [metric: string]: number;
}

export interface ContenderResult {
  name: string;
  /** One sample per round, in round order. */
  samples: Sample[];
  /** Median of each metric over the rounds. */
  median: Sample;
  /** Smallest and largest round of each metric (rounds without a figure left out). */
  min: Sample;
  max: Sample;
  /** Why the contender was not measured (e.g. Go absent). */
  skipped?: string;
}

/**
 * The median of the rounds that produced a figure: the middle one of an odd count, the mean of the
 * middle two of an even count. Rounds without a figure (NaN: e.g. no ramp step passed) are left
 * out, and `finiteRounds` says how many remained, so a printed median can always be checked
 * against the rounds printed beside it.
 */
export function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** How many rounds have a finite value of `metric`. */
export function finiteRounds(samples: Sample[], metric: string): number {
  return samples.filter((s) => Number.isFinite(s[metric] ?? NaN)).length;
}

export function medians(samples: Sample[]): Sample {
  const keys = new Set(samples.flatMap((s) => Object.keys(s)));
  const out: Sample = {};
  for (const k of keys) out[k] = median(samples.map((s) => s[k] ?? NaN));
  return out;
}

/** Smallest (or largest) finite value of each metric; NaN where no round has one. */
export function extremes(samples: Sample[], pick: 'min' | 'max'): Sample {
  const keys = new Set(samples.flatMap((s) => Object.keys(s)));
  const out: Sample = {};
  for (const k of keys) {
    const v = samples.map((s) => s[k] ?? NaN).filter(Number.isFinite);
    out[k] = v.length === 0 ? NaN : pick === 'min' ? Math.min(...v) : Math.max(...v);
  }
  return out;
}

/** A contender's result from its rounds: median, min and max of every metric. */
export function summarize(name: string, samples: Sample[], skipped?: string): ContenderResult {
  return { name, samples, median: medians(samples), min: extremes(samples, 'min'), max: extremes(samples, 'max'), skipped };
}

export interface RoundContender {
  name: string;
  /** One measurement; resolves with its metrics. */
  measure(round: number): Promise<Sample>;
  skipped?: string;
}

/**
 * Runs `rounds` rounds; in each, every contender once. The order rotates each round (A B C, B C A,
 * C A B, …) so no contender always goes first after an idle pause.
 */
export async function alternate(contenders: RoundContender[], rounds: number, log: (line: string) => void): Promise<ContenderResult[]> {
  const active = contenders.filter((c) => !c.skipped);
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < active.length; i++) {
      const c = active[(i + r) % active.length]!;
      const s = await c.measure(r);
      samples.get(c.name)!.push(s);
      log(`  round ${r + 1}/${rounds} ${c.name}: ${formatSample(s)}`);
    }
  }
  return contenders.map((c) => summarize(c.name, samples.get(c.name)!, c.skipped));
}

export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}

/**
 * The ratio a ÷ b round by round (round i of one contender with round i of the other: measured
 * minutes apart, under the same machine load), as min / median / max.
 */
export function roundRatios(
  a: ContenderResult | undefined,
  b: ContenderResult | undefined,
  metric: string,
): { min: number; median: number; max: number } {
  const n = Math.min(a?.samples.length ?? 0, b?.samples.length ?? 0);
  const v: number[] = [];
  for (let i = 0; i < n; i++) v.push(ratio(a!.samples[i]![metric] ?? NaN, b!.samples[i]![metric] ?? NaN));
  const f = v.filter(Number.isFinite);
  return { min: f.length ? Math.min(...f) : NaN, median: median(f), max: f.length ? Math.max(...f) : NaN };
}

/** A target of issue 15: a figure (usually a ratio of medians from one run) against a bound. */
export interface Target {
  /** What is compared, e.g. "fan-out saturation, evbench isolated ÷ go gorilla". */
  name: string;
  value: number;
  /** How the value prints: '×' (a ratio), '/s', 'KB', 'ms', or '' (a count). */
  unit: string;
  op: '>=' | '<=';
  bound: number;
  /** true / false, or null when it could not be measured in this run (see detail). */
  reached: boolean | null;
  /** Spread (min–max of the round-by-round ratio), or why it is not measured. */
  detail?: string;
}

export function target(name: string, value: number, op: '>=' | '<=', bound: number, unit: string, detail?: string): Target {
  const reached = Number.isFinite(value) ? (op === '>=' ? value >= bound : value <= bound) : null;
  return { name, value, unit, op, bound, reached, detail };
}

export function formatTargetValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '—';
  if (unit === '×') return `${v.toFixed(2)}×`;
  return `${formatNumber(v)}${unit && unit !== '/s' ? ` ${unit}` : unit}`;
}

/** "reached", "NOT reached", or "not measured". */
export function reachedText(t: Target): string {
  return t.reached === null ? 'not measured' : t.reached ? 'reached' : 'NOT reached';
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  if (abs >= 100) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

function formatSample(s: Sample): string {
  return Object.entries(s)
    .map(([k, v]) => `${k}=${formatNumber(v)}`)
    .join(' ');
}

/** A plain text table (first column left-aligned, the rest right-aligned). */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Resolves after `ms`, or at once when the signal is aborted. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface BenchContext {
  rounds: number;
  /** Whether server contenders and generator are pinned to a core each (pinning.ts). */
  pinned?: boolean;
  /** Shorter phases and smaller sizes: a smoke run, not a result. */
  quick: boolean;
  log: (line: string) => void;
}

export interface BenchResult {
  name: string;
  /** What is measured, in one sentence. */
  what: string;
  contenders: ContenderResult[];
  /** Named ratios of medians, e.g. "isolated ÷ plain ws deliveries/s". */
  ratios: Record<string, number>;
  /** Parameters the figures depend on (clients, payload, durations). */
  params: Record<string, number | string>;
  notes: string[];
  /** Issue 15's targets this benchmark measures (may be empty). */
  targets?: Target[];
}
