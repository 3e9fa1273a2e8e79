// A client's age, sampled every 10 ms of the run: at each tick instant t0 + j·TICK_US, how old the
// oldest event it was owed and did not have yet (or, for a stream the server emits on its own, the
// newest event it had) was. Per-second maxima hide a 300 ms freeze among a second's good events and
// drop seconds in which nothing arrived; ticks do neither. A group's ticks are summed up as two
// series: `together` (the youngest age of its clients at each tick: every one of them was frozen at
// least that long, as behind one shared queue) and `any` (the oldest).

import { NO_CLIENT, TICK_US } from '../util/ticksCodec.js';
import { CoveredSpan } from './coveredSpan.js';

export { NO_CLIENT, TICK_US };
/** Ages are stored in µs in 32 bits: longer ages (over 71 minutes) are clamped. */
const MAX_AGE_US = 0xfffffffe;

export class AgeTicks {
  readonly ages: Uint32Array;
  /** Ticks at and after `fromTick` and before `untilTick` are the client's own (it was owed events then). */
  fromTick: number;
  untilTick: number;
  /** The ticks already recorded: a span that begins later has smaller ages there. */
  private readonly covered = new CoveredSpan();

  constructor(
    readonly t0Us: number,
    endUs: number,
    /** The client is owed events from here: max(join, t0). */
    ownedFromUs: number,
  ) {
    this.ages = new Uint32Array(Math.max(0, Math.ceil((endUs - t0Us) / TICK_US)));
    this.fromTick = tickAtOrAfter(t0Us, ownedFromUs);
    this.untilTick = this.ages.length;
  }

  /** The client is owed nothing at or after `us` (it left): later ticks are not its own. */
  leave(us: number): void {
    this.untilTick = Math.min(this.untilTick, tickAtOrAfter(this.t0Us, us));
  }

  /**
   * Something owed since `fromUs` was still outstanding until `toUs`: every tick instant τ in
   * [fromUs, toUs) had an age of at least τ − fromUs.
   */
  span(fromUs: number, toUs: number): void {
    if (!(toUs > fromUs)) return;
    const start = this.covered.recordFrom(fromUs, toUs);
    const end = Math.min(this.ages.length, tickAtOrAfter(this.t0Us, toUs));
    for (let j = tickAtOrAfter(this.t0Us, start); j < end; j++) {
      this.ages[j] = Math.max(this.ages[j]!, Math.min(MAX_AGE_US, this.t0Us + j * TICK_US - fromUs));
    }
  }
}

/** The first tick whose instant is at or after `us` (never below 0). */
export function tickAtOrAfter(t0Us: number, us: number): number {
  return Math.max(0, Math.ceil((us - t0Us) / TICK_US));
}

/** A group's ticks in one worker (or merged): the youngest and the oldest age of its clients at each tick. */
export interface GroupAges {
  /** Clients whose ages were tracked. */
  clients: number;
  together: Uint32Array;
  any: Uint32Array;
}

// NO_CLIENT is above every age (ages are clamped below it), so the youngest is a plain minimum;
// the oldest must pass over it.
function older(x: number, y: number): number {
  return x === NO_CLIENT ? y : y === NO_CLIENT ? x : Math.max(x, y);
}

/** Sums up clients' ticks: at each tick, over the clients owed events then, the youngest and the oldest age. */
export function groupAges(clients: AgeTicks[], ticks: number): GroupAges {
  const together = new Uint32Array(ticks).fill(NO_CLIENT);
  const any = new Uint32Array(ticks).fill(NO_CLIENT);
  for (const c of clients) {
    const until = Math.min(ticks, c.untilTick, c.ages.length);
    for (let j = c.fromTick; j < until; j++) {
      together[j] = Math.min(together[j]!, c.ages[j]!);
      any[j] = older(any[j]!, c.ages[j]!);
    }
  }
  return { clients: clients.length, together, any };
}

/** Adds one worker's group ticks into another's (the youngest of the youngest, the oldest of the oldest). */
export function addGroupAges(into: GroupAges, from: GroupAges): void {
  into.clients += from.clients;
  const n = Math.min(into.together.length, from.together.length);
  for (let j = 0; j < n; j++) {
    into.together[j] = Math.min(into.together[j]!, from.together[j]!);
    into.any[j] = older(into.any[j]!, from.any[j]!);
  }
}

/** Several workers' (or shards') ticks of one group as one, as long as the longest: tick k of each together. */
export function combineAges(parts: GroupAges[]): GroupAges {
  const n = Math.max(0, ...parts.map((p) => p.together.length));
  const into: GroupAges = { clients: 0, together: new Uint32Array(n).fill(NO_CLIENT), any: new Uint32Array(n).fill(NO_CLIENT) };
  for (const p of parts) addGroupAges(into, p);
  return into;
}

/**
 * How late a generator thread was at each tick: a timer that fired `lateUs` late, or an event the
 * publisher sent `lateUs` behind its schedule, explains up to that much of any age measured in the
 * ticks it spans. Ages are judged only above this.
 */
export class LagTicks {
  readonly lag: Uint32Array;

  constructor(
    readonly t0Us: number,
    endUs: number,
  ) {
    this.lag = new Uint32Array(Math.max(0, Math.ceil((endUs - t0Us) / TICK_US)));
  }

  /** Something due at `dueUs` happened at `atUs`: every tick in [due, at] may be off by up to that delay. */
  late(dueUs: number, atUs: number): void {
    // on time or early (lateUs <= 0) raises no tick
    const lateUs = Math.min(MAX_AGE_US, atUs - dueUs);
    // the last tick at or before `at`: the thread had caught up by the tick after it
    const end = Math.min(this.lag.length, Math.floor((atUs - this.t0Us) / TICK_US) + 1);
    for (let j = tickAtOrAfter(this.t0Us, dueUs); j < end; j++) this.lag[j] = Math.max(this.lag[j]!, lateUs);
  }
}

/** The worst of several threads' lags, tick by tick. */
export function addLag(into: Uint32Array, from: Uint32Array): void {
  const n = Math.min(into.length, from.length);
  for (let j = 0; j < n; j++) into[j] = Math.max(into[j]!, from[j]!);
}

/** Several threads' (or shards') lags as one, as long as the longest: the worst tick by tick. */
export function combineLags(parts: Uint32Array[]): Uint32Array {
  const into = new Uint32Array(Math.max(0, ...parts.map((p) => p.length)));
  for (const p of parts) addLag(into, p);
  return into;
}
