// The one grammar for durations and sizes, as people write them in scenarios and in every flag of
// every command, and the one way to print them. The rule (docs/scenarios.md):
//   durations: a number and one of us, µs, ms, s, m, h ("250ms", "1.5s", "40us"); a bare number is
//              seconds ("0.5");
//   sizes:     a number of bytes, or a number and a binary unit — k, kb, kib = 1024; m, mb, mib =
//              1024²; g, gb, gib = 1024³; case does not matter, a trailing "b"/"B" is optional
//              ("64k" = "64KB" = "64KiB" = 65,536).
import { UserError } from './errors.js';

/** µs per duration unit. */
export const DURATION_UNITS: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

export const DURATION_FORMS = '250ms, 10s, 1.5m, 40us or a number of seconds';
export const SIZE_FORMS = '4096, 64k, 64KiB, 64kb or 1MiB (k = KiB = 1024)';

/** Parses "250ms", "10s", "1.5m", "40us", "2h" or a bare number of seconds into microseconds; NaN if invalid. */
export function parseDurationUs(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1_000_000) : NaN;
  if (typeof value !== 'string') return NaN;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)?\s*$/i.exec(value);
  if (!m) return NaN;
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 's').toLowerCase()]!);
}

/** Parses 4096, "4096", "64k", "4KiB", "1MiB", "64kb" into bytes; NaN if invalid. */
export function parseBytes(value: unknown): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : NaN;
  if (typeof value !== 'string') return NaN;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) return NaN;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? NaN : Math.round(Number(m[1]) * unit);
}

/** A duration flag's value in µs, or a UserError naming the flag and the accepted forms. */
export function durationFlagUs(flag: string, text: string): number {
  const us = parseDurationUs(text);
  if (!Number.isFinite(us)) throw new UserError(`${flag}: expected a duration such as ${DURATION_FORMS}, got ${JSON.stringify(text)}`);
  return us;
}

/** A duration flag's value in whole milliseconds (rounded up, so 500us is 1ms, never 0). */
export function durationFlagMs(flag: string, text: string): number {
  return Math.ceil(durationFlagUs(flag, text) / 1000);
}

/** A size flag's value in bytes, or a UserError naming the flag and the accepted forms. */
export function bytesFlag(flag: string, text: string): number {
  const b = parseBytes(text);
  if (!Number.isFinite(b)) throw new UserError(`${flag}: expected a size such as ${SIZE_FORMS}, got ${JSON.stringify(text)}`);
  return b;
}

/** A whole-number flag (`--users 10`). */
export function integerFlag(flag: string, text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new UserError(`${flag}: expected a whole number, got ${JSON.stringify(text)}`);
  return Number(text.trim());
}

/** Human form of a microsecond duration: 850µs, 12.3ms, 4.20s. */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

/** Human form of a byte count: 512B, 64KiB, 1.5MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)}B`;
  if (bytes < 1024 ** 2) return `${Math.round((bytes / 1024) * 10) / 10}KiB`;
  if (bytes < 1024 ** 3) return `${Math.round((bytes / 1024 ** 2) * 10) / 10}MiB`;
  return `${Math.round((bytes / 1024 ** 3) * 10) / 10}GiB`;
}
