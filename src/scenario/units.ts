// Durations and sizes as people write them in scenarios and flags ("10s", "250ms", "64KiB").

const DURATION_UNITS: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000 };

/** Parses "250ms", "10s", "1.5m", "40us" (or a bare number of seconds) into microseconds; NaN if invalid. */
export function parseDurationUs(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1_000_000) : NaN;
  if (typeof value !== 'string') return NaN;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m)\s*$/.exec(value);
  if (!m) return NaN;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1_048_576 };

/** Parses 4096, "4096", "4KiB", "1MiB", "64kb" into bytes; NaN if invalid. */
export function parseBytes(value: unknown): number {
  if (typeof value === 'number') return Number.isInteger(value) ? value : NaN;
  if (typeof value !== 'string') return NaN;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) return NaN;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? NaN : Math.round(Number(m[1]) * unit);
}

/** Human form of a microsecond duration: 850µs, 12.3ms, 4.20s. */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}
