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

// The minute "YYYY-MM-DDTHH:MM" of the last timestamp read, and its epoch µs (UTC, before any offset):
// a stream's timestamps share it for a minute, so its date is checked and converted once.
const cachedMinute = Buffer.alloc(16);
let cachedMinuteUs = NaN;
const scratch = Buffer.alloc(64);

let isoEnd = 0;

/** Where the last {@link usFromIsoBytes} read stopped: just past the timestamp's zone. */
export function lastIsoEnd(): number {
  return isoEnd;
}

/**
 * Epoch µs of the RFC 3339 timestamp that starts at `at`: `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or
 * an offset `±HH:MM` (`t` and a space may stand for `T`, `z` for `Z`). Digits past the microsecond are
 * dropped, never rounded. NaN for anything else: a date alone, a local time with no zone, a day the month
 * lacks, a year the µs clock cannot hold exactly. {@link lastIsoEnd} says where it stopped; the caller checks what follows. One parser for the frame scan and the
 * generic adapter, so a time reads the same whichever path meets it.
 */
export function usFromIsoBytes(b: Uint8Array, at: number): number {
  if (at + 20 > b.length) return NaN;
  let minuteUs = cachedMinuteUs;
  for (let j = 0; j < 16; j++)
    if (b[at + j] !== cachedMinute[j]) {
      minuteUs = minuteOf(b, at);
      if (Number.isNaN(minuteUs)) return NaN;
      cachedMinute.set(b.subarray(at, at + 16));
      cachedMinuteUs = minuteUs;
      break;
    }
  if (b[at + 16] !== 58 /* : */) return NaN;
  const seconds = twoDigits(b, at + 17);
  if (!(seconds <= 60)) return NaN; // 60: a leap second, read as the next minute's first
  let us = minuteUs + seconds * 1_000_000;
  let i = at + 19;
  if (b[i] === 46 /* . */) {
    const first = ++i;
    let scale = 100_000;
    for (; i < b.length; i++) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) break;
      us += d * scale;
      scale = scale > 1 ? scale / 10 : 0;
    }
    if (i === first) return NaN;
  }
  const zone = b[i];
  if (zone === 90 /* Z */ || zone === 122 /* z */) {
    isoEnd = i + 1;
    return us;
  }
  if ((zone !== 43 /* + */ && zone !== 45) /* - */ || b[i + 3] !== 58 /* : */) return NaN;
  const hours = twoDigits(b, i + 1);
  const minutes = twoDigits(b, i + 4);
  if (!(hours <= 23 && minutes <= 59)) return NaN;
  isoEnd = i + 6;
  const offsetUs = (hours * 60 + minutes) * 60_000_000;
  return zone === 43 ? us - offsetUs : us + offsetUs;
}

/** The string form of {@link usFromIsoBytes}: the whole text must be the timestamp. */
export function usFromIso(text: string): number {
  if (text.length > scratch.length) return NaN;
  const n = scratch.write(text, 0, 'utf8');
  if (n !== text.length) return NaN; // not ASCII, so not a timestamp
  const us = usFromIsoBytes(scratch.subarray(0, n), 0);
  return isoEnd === n ? us : NaN;
}

/** Beyond this (years before 1685 or after 2254) epoch µs are not exact integers: such a time is no time. */
const LAST_EXACT_MINUTE_US = Number.MAX_SAFE_INTEGER - 2 * 86_400_000_000;

/** Epoch µs of `YYYY-MM-DDTHH:MM` at `at` (UTC), NaN if any part is out of shape or range. */
function minuteOf(b: Uint8Array, at: number): number {
  const t = b[at + 10];
  if (b[at + 4] !== 45 || b[at + 7] !== 45 || b[at + 13] !== 58 || (t !== 84 && t !== 116 && t !== 32)) return NaN;
  const year = twoDigits(b, at) * 100 + twoDigits(b, at + 2);
  const month = twoDigits(b, at + 5);
  const day = twoDigits(b, at + 8);
  const hour = twoDigits(b, at + 11);
  const minute = twoDigits(b, at + 14);
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59)) return NaN;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years 0–99 as 1900–1999
  if (date.getUTCDate() !== day) return NaN; // 30 February rolled into March
  const us = (date.getTime() + (hour * 60 + minute) * 60_000) * 1000;
  return Math.abs(us) <= LAST_EXACT_MINUTE_US ? us : NaN;
}

/** Two ASCII digits as a number, NaN if either is not a digit. */
function twoDigits(b: Uint8Array, at: number): number {
  const hi = b[at]! - 48;
  const lo = b[at + 1]! - 48;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : NaN;
}
