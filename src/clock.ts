// The one clock of evbench: integer microseconds on a wall-anchored monotonic timeline.
// Every thread and process on one machine reads the same `performance.timeOrigin + performance.now()`,
// so an intended publish time set by the publisher can be compared with a receive time in any worker.
import { performance } from 'node:perf_hooks';

/** Current time in integer microseconds since the Unix epoch (monotonic within a process). */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Formats epoch microseconds as an RFC 3339 UTC timestamp with microsecond precision. */
export function isoFromUs(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // 2026-11-26T14:45:48.123Z
  const micros = String(us - ms * 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${micros}Z`;
}

const prefixCache = new Map<string, number>();

/**
 * Parses an RFC 3339 UTC timestamp (`YYYY-MM-DDTHH:MM:SS[.ffffff]Z`) into epoch microseconds.
 * Hot path on clients: the minute prefix is cached, the seconds are parsed by hand. Returns NaN
 * when the text is not in that shape.
 */
export function usFromIso(text: string): number {
  if (text.length < 20 || text.charCodeAt(text.length - 1) !== 90 /* Z */) return Date.parse(text) * 1000;
  const prefix = text.slice(0, 17); // YYYY-MM-DDTHH:MM:
  let baseMs = prefixCache.get(prefix);
  if (baseMs === undefined) {
    baseMs = Date.parse(`${prefix}00Z`);
    if (Number.isNaN(baseMs)) return NaN;
    if (prefixCache.size > 1024) prefixCache.clear();
    prefixCache.set(prefix, baseMs);
  }
  const s1 = text.charCodeAt(17) - 48;
  const s2 = text.charCodeAt(18) - 48;
  if (s1 < 0 || s1 > 6 || s2 < 0 || s2 > 9) return NaN;
  let us = baseMs * 1000 + (s1 * 10 + s2) * 1_000_000;
  if (text.charCodeAt(19) === 46 /* . */) {
    let scale = 100_000;
    for (let i = 20; i < text.length - 1; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return NaN;
      us += d * scale;
      scale = scale / 10;
    }
    us = Math.floor(us);
  } else if (text.length !== 20) {
    return NaN;
  }
  return us;
}
