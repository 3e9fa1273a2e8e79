// When a run starts, when it is told to (`--start-at`): one instant shared by the shards of a
// distributed run, so their t0 — and with it every phase boundary and per-second interval that
// `evbench merge` adds together — is the same moment on every machine.
import { UserError } from '../util/errors.js';
import { formatUs } from '../util/units.js';

/**
 * How late a shard may be for its instant and still start on it: its publisher catches up the
 * events it is late for (counted as lateness, inside the warmup) and its t0 stays the shared one.
 * Later than this it would not measure what its siblings measure: an error, as merge's tolerance is.
 */
export const START_AT_LATE_US = 1_000_000;

/** The furthest ahead an instant may be: further is a typo (a wrong day, milliseconds read as seconds) or a job that will be gone. */
export const START_AT_AHEAD_US = 24 * 3600 * 1_000_000;

/** `2026-12-05T10:00:00Z`, with optional fraction, or with an offset `+01:00`: a time without a zone means nothing to another machine. */
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(\.\d{1,9})?)?(?:Z|[+-]\d\d:\d\d)$/;
const EPOCH = /^\d+(\.\d+)?$/;
/** Epoch values below this are seconds (until the year 5138), at or above it milliseconds. */
const EPOCH_MS_FROM = 1e11;

export const START_AT_FORMS = 'an ISO-8601 instant such as 2026-12-05T10:00:00Z, or Unix epoch seconds or milliseconds';

/** The instant of `--start-at TEXT` in epoch µs (format only; see `startAtProblem` for when). */
export function parseStartAt(text: string): number {
  const t = text.trim();
  let ms = NaN;
  const iso = ISO_INSTANT.exec(t);
  // the fraction apart: `date +%N` gives nanoseconds, more digits than Date.parse promises to read
  if (iso) ms = Date.parse(t.replace(/\.\d+/, '')) + (iso[1] ? Number(`0${iso[1]}`) * 1000 : 0);
  else if (EPOCH.test(t)) ms = Number(t) < EPOCH_MS_FROM ? Number(t) * 1000 : Number(t);
  else if (/^[+-]/.test(t))
    throw new UserError(
      `--start-at: "${text}" is relative: each shard would count it from its own start. Give one instant for all of them, e.g. START_AT=$(date -u -d '+2 min' +%Y-%m-%dT%H:%M:%SZ)`,
    );
  // beyond ±8.64e15 ms a Date is no date at all
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new UserError(`--start-at: "${text}" is not ${START_AT_FORMS}`);
  return Math.round(ms * 1000);
}

/** A span as a person reads it: seconds up to two minutes, then minutes, then hours. */
function span(us: number): string {
  if (us < 120_000_000) return formatUs(us);
  return us < 7_200_000_000 ? `${Math.round(us / 60_000_000)} min` : `${(us / 3_600_000_000).toFixed(1)} h`;
}

/** Why a run cannot start at `startAtUs` now, or undefined: already past (beyond START_AT_LATE_US) or too far ahead. */
export function startAtProblem(startAtUs: number, nowUs: number): string | undefined {
  const at = new Date(Math.floor(startAtUs / 1000)).toISOString();
  if (startAtUs < nowUs - START_AT_LATE_US)
    return `--start-at: ${at} was ${span(nowUs - startAtUs)} ago (more than the ${formatUs(START_AT_LATE_US)} a run may be late): give an instant after every shard will have started`;
  if (startAtUs > nowUs + START_AT_AHEAD_US)
    return `--start-at: ${at} is ${span(startAtUs - nowUs)} ahead, more than ${span(START_AT_AHEAD_US)}: is it the right day, and the right unit (epoch seconds or milliseconds)?`;
  return undefined;
}

/**
 * Throws the user error (exit 2) when the instant passed, beyond the tolerance, while this run was
 * connecting: it would not measure what its siblings measure. Called before any event is scheduled.
 */
export function checkReadyFor(startAtUs: number, nowUs: number): void {
  if (startAtUs >= nowUs - START_AT_LATE_US) return;
  const at = new Date(Math.floor(startAtUs / 1000)).toISOString();
  throw new UserError(
    `--start-at: ${at} passed ${span(nowUs - startAtUs)} before this run had connected (more than the ${formatUs(START_AT_LATE_US)} a run may be late): give an instant after every shard will have connected`,
  );
}

/** Throws the user error for an instant this run cannot start at (exit 2). */
export function checkStartAt(startAtUs: number, nowUs: number): void {
  const problem = startAtProblem(startAtUs, nowUs);
  if (problem) throw new UserError(problem);
}
