// A run record's tick series read back (a group's ages, the generator's lateness): the one decoder
// the verdict, a merge and the charts all read them with, so they agree on which series a record
// holds and how long one may be.
import type { AgeSeries, RunRecord } from './schema.js';
import { decodeTicks, encodeTicks, TICK_US } from '../util/ticksCodec.js';

/**
 * The most ticks a series of `record` can hold: one every TICK_US of its timeline (the runner sizes
 * every series to its phases; a run stopped early lasted less) and the tick at its end. The cap keeps
 * a crafted series from inflating into gigabytes.
 */
export function maxTicksOf(record: Pick<RunRecord, 'durationUs' | 'phases'>): number {
  const endUs = Math.max(record.durationUs, ...record.phases.map((p) => p.startUs + p.durationUs));
  return Math.ceil(endUs / TICK_US) + 1;
}

/**
 * One of a group's age series, or undefined when the group has none or it cannot be read (a spacing
 * other than TICK_US, the only one evbench writes, included: every reader counts ticks in it).
 */
export function decodeAges(
  record: Pick<RunRecord, 'durationUs' | 'phases'>,
  ages: AgeSeries | undefined,
  which: 'together' | 'any',
): Uint32Array | undefined {
  if (!ages || ages.tickUs !== TICK_US) return undefined;
  return decodeTicks(ages[which], maxTicksOf(record));
}

/** A group's ticks as its record carries them. */
export function encodeAges(g: { clients: number; together: Uint32Array; any: Uint32Array }): AgeSeries {
  return { tickUs: TICK_US, clients: g.clients, together: encodeTicks(g.together), any: encodeTicks(g.any) };
}

/** The generator's lateness at each tick, or undefined when the record has none or it cannot be read. */
export function decodeLag(record: Pick<RunRecord, 'durationUs' | 'phases' | 'generator'>): Uint32Array | undefined {
  const text = record.generator?.lagTicks;
  return text ? decodeTicks(text, maxTicksOf(record)) : undefined;
}
