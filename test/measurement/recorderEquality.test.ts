// The tallied recorder (one count per latency, added into the second's and the phase's histograms
// later) must leave every figure of the record as the three-records-per-event recorder did: the
// same event streams — gaps, late and early events, duplicates, reordering, a stall found missing,
// phases that end mid-second, seconds shipped at odd moments — through both, compared figure for figure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientAccount } from '../../src/measurement/accounting.js';
import { decodeHistogram, summarize } from '../../src/measurement/histogram.js';
import { IdMap } from '../../src/measurement/idMap.js';
import { GroupRecorder, type EncodedInterval, type EncodedPhase } from '../../src/measurement/recorder.js';
import { intendedUs, timeline, type Schedule } from '../../src/measurement/schedule.js';
import type { ScannedEvent } from '../../src/measurement/frameScan.js';
import type { PhaseSpec } from '../../src/scenario/types.js';
import { ThreeRecordRecorder } from '../support/threeRecordRecorder.js';

const T0 = 1_800_000_000_000_000;
// boundaries off the second: a second straddles two phases
const phases: PhaseSpec[] = [
  { name: 'warmup', durationUs: 700_000, role: 'warmup' },
  { name: 'baseline', durationUs: 1_300_000, role: 'baseline' },
  { name: 'stress', durationUs: 1_500_000, role: 'stress' },
  { name: 'recovery', durationUs: 900_000, role: 'recovery' },
];
const RATE = 2000;
const schedule: Schedule = { t0Us: T0, rate: RATE };
const tl = timeline(T0, phases);
const EVENTS = Math.floor(((tl.endUs - T0) * RATE) / 1e6);
const FIRST_ID = 501;

/** A small deterministic generator, so a failing seed replays. */
function prng(seed: number): () => number {
  let a = seed >>> 0 || 1;
  return () => {
    a ^= a << 13;
    a ^= a >>> 17;
    a ^= a << 5;
    return (a >>> 0) / 2 ** 32;
  };
}

interface Arrival {
  client: number;
  k: number;
  atUs: number;
  sentUs: number;
}

/**
 * One run's arrivals for three clients, by arrival time: a fast one (early events, no send time now
 * and then, duplicates), one with holes and late arrivals, one that stalls through stress and gets
 * its backlog after the end (some over a minute late).
 */
function arrivalsFor(seed: number): Arrival[] {
  const rnd = prng(seed);
  const out: Arrival[] = [];
  const stallFrom = T0 + 1_800_000 + Math.floor(rnd() * 300_000);
  const stallTo = T0 + 3_200_000 + Math.floor(rnd() * 400_000);
  for (let k = 0; k < EVENTS; k++) {
    const intended = intendedUs(schedule, k);
    const sent = rnd() < 0.05 ? NaN : intended + Math.floor(rnd() * 300);
    const fastAt = intended + (rnd() < 0.02 ? -Math.floor(rnd() * 50) : Math.floor(rnd() ** 4 * 20_000)) + rnd();
    out.push({ client: 0, k, atUs: fastAt, sentUs: sent });
    if (rnd() < 0.01) out.push({ client: 0, k, atUs: fastAt + 1000, sentUs: sent }); // a duplicate
    const r = rnd();
    if (r < 0.03) {
      // a hole: some never come, some come late (after they were counted missing)
      if (r < 0.015) out.push({ client: 1, k, atUs: intended + 1_000_000 + Math.floor(rnd() * 2_000_000), sentUs: sent });
    } else out.push({ client: 1, k, atUs: intended + Math.floor(rnd() * 3000), sentUs: sent });
    if (intended >= stallFrom && intended < stallTo) {
      if (rnd() < 0.5) out.push({ client: 2, k, atUs: tl.endUs + 500_000 + Math.floor(rnd() * 80_000_000), sentUs: sent });
    } else
      out.push({
        client: 2,
        k,
        atUs: Math.max(intended, stallFrom > intended ? intended : stallTo) + Math.floor(rnd() * 1000),
        sentUs: sent,
      });
  }
  return out.sort((a, b) => a.atUs - b.atUs);
}

interface Outcome {
  intervals: EncodedInterval[][];
  phases: EncodedPhase[];
  totals: unknown[];
}

/** Feeds a run's arrivals to three accounts on `rec`, accounting and shipping seconds along the way as a worker does. */
function run(rec: GroupRecorder, seed: number): Outcome {
  const rnd = prng(seed ^ 0x5eed);
  rec.t0Us = T0;
  const ids = new IdMap();
  ids.add(0, FIRST_ID, EVENTS);
  const accounts = [0, 1, 2].map(() => {
    const a = new ClientAccount(rec, tl, schedule, () => true, T0 - 1000);
    a.subscribed(FIRST_ID - 1, T0 - 500);
    return a;
  });
  const intervals: EncodedInterval[][] = [];
  let nextAccount = T0 + 250_000;
  let nextShip = T0 + 400_000 + Math.floor(rnd() * 600_000);
  const ev: ScannedEvent = { msgId: 0, id: 0, intendedUs: 0, sentUs: 0 };
  for (const a of arrivalsFor(seed)) {
    // accounting stops with the run; what it never reached is found missing at the very end, over a minute late
    while ((nextAccount <= a.atUs && nextAccount <= tl.endUs) || nextShip <= a.atUs) {
      if (nextAccount <= nextShip && nextAccount <= tl.endUs) {
        // accounts what is over 1 s old, as the worker's grace does
        for (const acc of accounts) acc.account(nextAccount - 1_000_000, nextAccount, ids);
        nextAccount += 100_000 + Math.floor(rnd() * 300_000);
      } else {
        intervals.push(rec.takeIntervals());
        nextShip += 200_000 + Math.floor(rnd() * 1_500_000);
      }
    }
    ev.msgId++;
    ev.id = FIRST_ID + a.k;
    ev.intendedUs = intendedUs(schedule, a.k);
    ev.sentUs = a.sentUs;
    accounts[a.client]!.onEvent(ev, a.atUs);
  }
  const end = tl.endUs + 90_000_000;
  for (const acc of accounts) {
    acc.leaveUs = tl.endUs; // the clients leave when the last phase ends, as a worker's do
    acc.account(Infinity, end, ids);
  }
  intervals.push(rec.takeIntervals());
  return { intervals, phases: rec.encode(), totals: accounts.map((a) => ({ ...a.totals })) };
}

function outcomes(seed: number): [Outcome, Outcome] {
  // the reference has the recorder's shape but not its private fields: the accounts only call its methods
  const reference = new ThreeRecordRecorder('fast', phases.length) as unknown as GroupRecorder;
  return [run(new GroupRecorder('fast', phases.length), seed), run(reference, seed)];
}

describe('tallied recorder equals the three-records recorder', () => {
  it('a run with a stall, holes, late and early events: same per-second series, phase histograms, counters and totals', () => {
    const [tallied, reference] = outcomes(42);
    // the stream does what it says: missing events, late arrivals, a stall over a minute, duplicates
    const stress = reference.phases[2]!;
    expect(stress.counters.missing).toBeGreaterThan(100);
    expect(stress.counters.lateArrivals).toBeGreaterThan(0);
    expect(reference.phases.some((p) => p.counters.duplicates > 0 && p.counters.beforePublish > 0)).toBe(true);
    expect(summarize(decodeHistogram(reference.phases[3]!.latency)).max).toBeGreaterThan(60_000_000);
    expect(reference.intervals.flat().length).toBeGreaterThan(5);

    expect(tallied.totals).toEqual(reference.totals);
    expect(tallied.intervals).toEqual(reference.intervals); // same seconds, shipped in the same parts, byte for byte
    expect(tallied.phases).toEqual(reference.phases);
    for (let p = 0; p < phases.length; p++) {
      for (const h of ['latency', 'uncorrected'] as const) {
        const t = decodeHistogram(tallied.phases[p]![h]);
        const r = decodeHistogram(reference.phases[p]![h]);
        expect(summarize(t)).toEqual(summarize(r));
        expect([t.minNonZeroValue, t.maxValue, t.totalCount]).toEqual([r.minNonZeroValue, r.maxValue, r.totalCount]);
      }
    }
  });

  it('any seed: the same figures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const [tallied, reference] = outcomes(seed);
        expect(tallied).toEqual(reference);
      }),
      { numRuns: 5 },
    );
  });

  it('a stall found missing over more seconds than the recorder keeps tallies for, in two phases at once', () => {
    const a = new GroupRecorder('slow', 2);
    const b = new ThreeRecordRecorder('slow', 2);
    a.t0Us = b.t0Us = T0;
    for (const rec of [a, b]) {
      for (let s = 0; s < 30; s++) {
        rec.delivered(s < 12 ? 0 : 1, 800 + s, 700 + s, T0 + s * 1_000_000 + 10);
        for (let i = 0; i < 50; i++) rec.missing(s < 12 ? 0 : 1, 40_000_000 - s * 1_000_000 - i * 20_000, T0 + s * 1_000_000 + i * 20_000);
      }
    }
    expect(a.takeIntervals()).toEqual(b.takeIntervals());
    expect(a.encode()).toEqual(b.encode());
  });

  it('the comparison sees one latency recorded differently', () => {
    const a = new GroupRecorder('fast', 1);
    const b = new ThreeRecordRecorder('fast', 1);
    a.t0Us = b.t0Us = T0;
    a.delivered(0, 1500, 900, T0 + 10);
    b.delivered(0, 1501, 900, T0 + 10);
    expect(a.encode()).not.toEqual(b.encode());
    expect(a.takeIntervals()).not.toEqual(b.takeIntervals());
  });
});
