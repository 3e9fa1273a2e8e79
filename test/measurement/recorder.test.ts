// One group's recorder: phase histograms and counters, and per-second intervals by clock second.
import { describe, expect, it, vi } from 'vitest';
import { decodeHistogram } from '../../src/measurement/histogram.js';
import { addCounters, GroupRecorder, secondOf, zeroCounters } from '../../src/measurement/recorder.js';
import { ThreeRecordRecorder } from '../support/threeRecordRecorder.js';

const T0 = 5_000_000;

describe('GroupRecorder', () => {
  it('delivered events: latency and uncorrected latency per phase; early ones counted and recorded as 0', () => {
    const rec = new GroupRecorder('fast', 2);
    rec.t0Us = T0;
    rec.delivered(0, 1500, 900, T0 + 10);
    rec.delivered(0, -20, NaN, T0 + 20); // arrived before its publish time; no send time given
    rec.delivered(1, 3000, 2000, T0 + 1_500_000);
    const [p0, p1] = rec.phases;
    expect(p0!.counters.delivered).toBe(2);
    expect(p0!.counters.beforePublish).toBe(1);
    expect(p0!.latency.totalCount).toBe(2);
    expect(p0!.latency.minNonZeroValue).toBe(1500);
    expect(p0!.latency.getValueAtPercentile(0)).toBe(0);
    expect(p0!.uncorrected.totalCount).toBe(1);
    expect(p1!.counters.delivered).toBe(1);
    expect(p1!.counters.beforePublish).toBe(0);
  });

  it('an event that arrives exactly at its intended time is on time, not before its publish', () => {
    const rec = new GroupRecorder('fast', 1);
    rec.t0Us = T0;
    rec.delivered(0, 0, 0, T0 + 10);
    rec.delivered(0, -1, 0, T0 + 20);
    expect(rec.phases[0]!.counters).toMatchObject({ delivered: 2, beforePublish: 1 });
  });

  it('missing events join the latency histogram at their lower bound', () => {
    const rec = new GroupRecorder('fast', 1);
    rec.t0Us = T0;
    rec.missing(0, 2_000_000, T0 + 100);
    expect(rec.phases[0]!.counters.missing).toBe(1);
    expect(rec.phases[0]!.latency.maxValue).toBeGreaterThanOrEqual(1_999_000);
    expect(rec.phases[0]!.counters.delivered).toBe(0);
  });

  it('stall and staleness keep the worst; counters count', () => {
    const rec = new GroupRecorder('fast', 1);
    rec.stall(0, 500);
    rec.stall(0, 300);
    rec.staleness(0, 40);
    rec.staleness(0, 70);
    rec.count(0, 'duplicates');
    rec.count(0, 'serverCloses');
    rec.count(0, 'serverCloses');
    expect(rec.phases[0]!.counters).toMatchObject({ maxStallUs: 500, maxStalenessUs: 70, duplicates: 1, serverCloses: 2 });
  });

  it('connect and ack times per phase', () => {
    const rec = new GroupRecorder('churn', 2);
    rec.connectTime(1, 1200);
    rec.ackTime(1, 300);
    expect(rec.phases[1]!.connect.maxValue).toBe(1200);
    expect(rec.phases[1]!.ack.maxValue).toBe(300);
    expect(rec.phases[0]!.connect.totalCount).toBe(0);
  });

  it('intervals: events by the second they were due, arrivals by the second they came, stalls by second; shipped once, sorted', () => {
    const rec = new GroupRecorder('fast', 1);
    rec.t0Us = T0;
    rec.delivered(0, 2_500_000, 1, T0 + 200_000); // due in second 0, arrived in second 2
    rec.arrived(0, T0 + 2_700_000);
    rec.missing(0, 4_000_000, T0 + 1_100_000);
    rec.stallInSecond(3, 900);
    rec.stallInSecond(3, 400);
    rec.stallInSecond(-1, 5); // before the run: no second
    const ivs = rec.takeIntervals();
    expect(ivs.map((iv) => iv.index)).toEqual([0, 1, 2, 3]);
    expect(ivs[0]).toMatchObject({ group: 'fast', delivered: 1, missing: 0, arrived: 0, maxStallUs: 0 });
    expect(decodeHistogram(ivs[0]!.latency).maxValue).toBeGreaterThanOrEqual(2_499_000);
    expect(ivs[1]).toMatchObject({ delivered: 0, missing: 1, arrived: 0 });
    expect(ivs[2]).toMatchObject({ delivered: 0, missing: 0, arrived: 1, latency: '' });
    expect(ivs[3]).toMatchObject({ maxStallUs: 900, latency: '' });
    expect(rec.takeIntervals()).toEqual([]);
    expect(rec.phases[0]!.counters.arrived).toBe(1);
  });

  it('a stall in the first second of the run is drawn in second 0', () => {
    const rec = new GroupRecorder('fast', 1);
    rec.t0Us = T0;
    rec.stallInSecond(0, 120);
    expect(rec.takeIntervals()).toEqual([{ group: 'fast', index: 0, delivered: 0, missing: 0, arrived: 0, maxStallUs: 120, latency: '' }]);
  });

  it('secondOf: clock seconds since t0, prefilled times in second 0', () => {
    expect(secondOf(T0, T0)).toBe(0);
    expect(secondOf(T0, T0 - 5)).toBe(0);
    expect(secondOf(T0, T0 + 999_999)).toBe(0);
    expect(secondOf(T0, T0 + 1_000_000)).toBe(1);
  });

  it('encodes every phase for the main thread', () => {
    const rec = new GroupRecorder('fast', 2);
    rec.t0Us = T0;
    rec.delivered(1, 10, 5, T0);
    const enc = rec.encode();
    expect(enc).toHaveLength(2);
    expect(decodeHistogram(enc[1]!.latency).totalCount).toBe(1);
    expect(decodeHistogram(enc[1]!.uncorrected).totalCount).toBe(1);
    expect(decodeHistogram(enc[0]!.latency).totalCount).toBe(0);
    expect(enc[1]!.counters.delivered).toBe(1);
    enc[1]!.counters.delivered = 99; // a copy, not the live counters
    expect(rec.phases[1]!.counters.delivered).toBe(1);
  });
});

describe('counters', () => {
  it('add: sums, except the max fields, which keep the worst', () => {
    const a = { ...zeroCounters(), delivered: 3, maxStallUs: 10, maxStalenessUs: 7, connectErrors: 1 };
    addCounters(a, { ...zeroCounters(), delivered: 4, maxStallUs: 5, maxStalenessUs: 9, connectErrors: 2 });
    expect(a).toMatchObject({ delivered: 7, maxStallUs: 10, maxStalenessUs: 9, connectErrors: 3 });
    expect(Object.values(zeroCounters()).every((v) => v === 0)).toBe(true);
  });
});

describe('GroupRecorder: latency that crosses a second', () => {
  /**
   * 5 s of events at 1,000/s, each arriving 1.5 s after it was due (as the recorder is called by
   * ClientAccount: arrival, then delivery), a missing one now and then, shipped mid-way.
   */
  function feed(rec: GroupRecorder): ReturnType<GroupRecorder['takeIntervals']>[] {
    rec.t0Us = T0;
    const shipped = [];
    for (let k = 0; k < 5_000; k++) {
      const intended = T0 + k * 1_000;
      if (k === 2_500) shipped.push(rec.takeIntervals());
      if (k % 97 === 0) {
        rec.missing(0, 1_500_000 + (k % 7), intended);
        continue;
      }
      rec.arrived(0, intended + 1_500_000);
      rec.delivered(0, 1_500_000 + (k % 7), 1_400_000, intended);
    }
    rec.stallInSecond(3, 1_500_000);
    shipped.push(rec.takeIntervals());
    return shipped;
  }

  it('gives the same intervals, phase histogram and counters as the three-records recorder', () => {
    const rec = new GroupRecorder('fast', 1);
    const reference = new ThreeRecordRecorder('fast', 1) as unknown as GroupRecorder;
    const ours = feed(rec);
    expect(ours).toEqual(feed(reference));
    // the stream does cross seconds: what was due in second 0 arrived in seconds 1 and 2, second 6 only saw arrivals
    const rows = ours.flat().map((iv) => [iv.index, iv.delivered, iv.missing, iv.arrived]);
    expect(rows).toContainEqual([0, 989, 11, 0]);
    expect(rows).toContainEqual([6, 0, 0, 495]);
    expect(rec.encode()).toEqual(reference.encode());
  });

  it('looks a second up once per second and clock, not once per event', () => {
    const rec = new GroupRecorder('fast', 1);
    const open = (rec as unknown as { open: Map<number, unknown> }).open;
    const get = vi.spyOn(open, 'get');
    feed(rec);
    // 5 intended seconds and 6 arrival seconds, some looked up again after the mid-way shipment, and the stall's
    expect(get.mock.calls.length).toBeLessThanOrEqual(20);
    expect(get.mock.calls.length).toBeGreaterThan(0);
  });
});
