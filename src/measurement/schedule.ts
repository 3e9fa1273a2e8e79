// The one scheduling function (as in wrk2): event k is due at t0 + k/rate, and every latency is
// measured from that intended time. Also what each event is (type, owner), derived from k alone,
// so every worker knows which events a client should receive without being told per event.
import type { MixEntry, PhaseSpec } from '../scenario/types.js';
import { PUBLIC_GROUP, privateGroup } from '../protocol/v0.js';

export interface Schedule {
  t0Us: number;
  rate: number;
}

/** Intended publish time of event k, integer µs. */
export function intendedUs(s: Schedule, k: number): number {
  return s.t0Us + Math.floor((k * 1_000_000) / s.rate);
}

/** How many events are due by `nowUs` (events 0 … n−1 have intended time ≤ now). */
export function dueCount(s: Schedule, nowUs: number): number {
  if (nowUs < s.t0Us) return 0;
  return Math.floor(((nowUs - s.t0Us) * s.rate) / 1_000_000) + 1;
}

/** First k whose intended time is ≥ `us`. */
export function firstKAtOrAfter(s: Schedule, us: number): number {
  if (us <= s.t0Us) return 0;
  let k = Math.ceil(((us - s.t0Us) * s.rate) / 1_000_000);
  while (k > 0 && intendedUs(s, k - 1) >= us) k--;
  while (intendedUs(s, k) < us) k++;
  return k;
}

/** The event mix expanded by weight: event k has the kind `table[k % table.length]`. */
export function mixTable(mix: MixEntry[]): MixEntry[] {
  const table: MixEntry[] = [];
  for (const m of mix) for (let i = 0; i < m.weight; i++) table.push(m);
  // interleave with a stride coprime to the length, so a 3:1 mix is not long runs of one type
  const stride = [7919, 104729, 1].find((st) => gcd(table.length, st) === 1)!;
  return table.map((_, i) => table[(i * stride) % table.length]!);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Owner group of event k: the public group, or one user's private group (rotating over users). */
export function ownerOf(entry: MixEntry, k: number, users: number): string {
  return entry.owner === 'private' && users > 0 ? privateGroup(k % users, 0) : PUBLIC_GROUP;
}

/** Whether a client of `user` (−1 = a non-user token that reads everything) may read event k. */
export function visibleTo(entry: MixEntry, k: number, users: number, user: number): boolean {
  if (user < 0 || entry.owner === 'public' || users === 0) return true;
  return k % users === user;
}

/** Phase boundaries on the absolute timeline. */
export interface Timeline {
  t0Us: number;
  starts: number[]; // absolute µs, one per phase
  ends: number[];
  endUs: number;
}

/**
 * The run's one plan of time: when each event is due and when each phase starts and ends, from one
 * t0. The main thread builds it once and posts it to the publisher and every client worker, so no
 * thread works out a schedule of its own.
 */
export interface RunSchedule {
  schedule: Schedule;
  timeline: Timeline;
}

export function runSchedule(t0Us: number, scenario: { publisher: { rate: number }; phases: PhaseSpec[] }): RunSchedule {
  return { schedule: { t0Us, rate: scenario.publisher.rate }, timeline: timeline(t0Us, scenario.phases) };
}

export function timeline(t0Us: number, phases: PhaseSpec[]): Timeline {
  const starts: number[] = [];
  const ends: number[] = [];
  let t = t0Us;
  for (const p of phases) {
    starts.push(t);
    t += p.durationUs;
    ends.push(t);
  }
  return { t0Us, starts, ends, endUs: t };
}

/** A phase's place in time and its role: a record's phases (µs since t0), or a timeline's (`phaseSpans`). */
export interface PhaseSpan {
  role: string;
  startUs: number;
  durationUs: number;
}

/** The timeline's phases as spans on its absolute clock, with their roles. */
export function phaseSpans(tl: Timeline, phases: readonly PhaseSpec[]): PhaseSpan[] {
  return phases.map((p, i) => ({ role: p.role, startUs: tl.starts[i]!, durationUs: p.durationUs }));
}

/**
 * Where the phases with `role` lie: the first one's start, the last one's end, their seconds;
 * undefined when there is none. The runner (on its timeline) and the verdict (on a record) both ask here.
 */
export function roleWindow(phases: readonly PhaseSpan[], role: string): { startUs: number; endUs: number; seconds: number } | undefined {
  const own = phases.filter((p) => p.role === role);
  if (own.length === 0) return undefined;
  return {
    startUs: Math.min(...own.map((p) => p.startUs)),
    endUs: Math.max(...own.map((p) => p.startUs + p.durationUs)),
    seconds: own.reduce((a, p) => a + p.durationUs / 1e6, 0),
  };
}

/** Index of the phase containing `us` (clamped to the first/last phase). */
export function phaseAt(tl: Timeline, us: number): number {
  const n = tl.ends.length;
  for (let i = 0; i < n; i++) if (us < tl.ends[i]!) return i;
  return n - 1;
}
