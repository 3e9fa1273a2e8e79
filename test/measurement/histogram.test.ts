import { describe, expect, it } from 'vitest';
import {
  createHistogram,
  decodeHistogram,
  decodeToAdd,
  encodeHistogram,
  mergeEncoded,
  recordUs,
  summarize,
} from '../../src/measurement/histogram.js';
import { isoFromUs, usFromIso } from '../../src/clock.js';
import { newScannedEvent, scanEvent } from '../../src/measurement/frameScan.js';

describe('histograms', () => {
  it('records integer microseconds (fractions truncated, never milliseconds)', () => {
    const h = createHistogram();
    recordUs(h, 1234.9);
    recordUs(h, -5); // clock skew clamps to 0 rather than throwing
    expect(h.maxValue).toBe(1234);
    expect(h.totalCount).toBe(2);
  });

  it('adds encoded histograms count for count instead of averaging percentiles', () => {
    const a = createHistogram();
    const b = createHistogram();
    for (let i = 0; i < 990; i++) recordUs(a, 1000);
    for (let i = 0; i < 10; i++) recordUs(b, 2_000_000);
    const merged = mergeEncoded([encodeHistogram(a), encodeHistogram(b)]);
    expect(merged.totalCount).toBe(1000);
    // averaging the two p99s would say ~1 s; the merged distribution's p99 is still ~1 ms
    expect(summarize(merged).p99).toBeLessThan(1100);
    expect(summarize(merged).max).toBeGreaterThanOrEqual(1_999_000);
    expect(decodeHistogram(encodeHistogram(b)).totalCount).toBe(10);
  });

  it('grows beyond its initial range for very late events', () => {
    const h = createHistogram();
    recordUs(h, 3_600_000_000); // an hour
    expect(h.maxValue).toBeGreaterThanOrEqual(3_599_000_000);
  });
});

describe('histogram summaries and shipping', () => {
  it('a count records that many samples of one value', () => {
    const h = createHistogram();
    recordUs(h, 250, 3);
    recordUs(h, 900);
    expect(h.totalCount).toBe(4);
    expect(h.getValueAtPercentile(75)).toBe(250);
  });

  it('summarizes every figure the record carries from the distribution', () => {
    const h = createHistogram();
    for (let v = 1; v <= 1000; v++) recordUs(h, v);
    expect(summarize(h)).toEqual({ count: 1000, min: 1, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000, mean: 501 });
  });

  it('an empty histogram summarizes to zeros, not NaN', () => {
    expect(summarize(createHistogram())).toEqual({ count: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
  });

  it('an empty part (a worker with nothing to ship) adds nothing', () => {
    const h = createHistogram();
    recordUs(h, 42);
    const merged = mergeEncoded(['', encodeHistogram(h), '']);
    expect(merged.totalCount).toBe(1);
    expect(merged.maxValue).toBe(42);
  });

  it('decodeToAdd reads a shipped histogram back as it was', () => {
    const h = createHistogram();
    for (const v of [10, 20, 30_000]) recordUs(h, v);
    const back = decodeToAdd(encodeHistogram(h));
    expect(back.totalCount).toBe(3);
    expect(back.minNonZeroValue).toBe(10);
    expect(back.maxValue).toBeGreaterThanOrEqual(29_990);
  });
});

describe('clock and frame scanning', () => {
  it('round-trips microsecond timestamps through RFC 3339', () => {
    const us = 1_795_000_123_456_789;
    expect(isoFromUs(us)).toMatch(/\.\d{6}Z$/);
    expect(usFromIso(isoFromUs(us))).toBe(us);
    expect(usFromIso('2026-11-26T14:45:48Z')).toBe(Date.parse('2026-11-26T14:45:48Z') * 1000);
    expect(Number.isNaN(usFromIso('not a time'))).toBe(true);
  });

  it('reads id, intended and send time from a raw event frame without JSON.parse', () => {
    const frame = Buffer.from(
      '{"msgID":7,"id":1042,"uuid":"u","object_uuid":"o","object_owner_uuid":"g","object_kind":"k","event_type":"update","event_at":"2026-11-26T14:45:48.123456Z","properties":{"sent_us":1795000000000123,"pad":"xx"}}',
    );
    const out = newScannedEvent();
    expect(scanEvent(frame, out)).toBe(true);
    expect(out).toEqual({ msgId: 7, id: 1042, intendedUs: usFromIso('2026-11-26T14:45:48.123456Z'), sentUs: 1795000000000123 });
    expect(scanEvent(Buffer.from('{"status":200}'), out)).toBe(false);
  });

  it('reads the same fields in another field order, and across minute boundaries (cached prefix)', () => {
    const out = newScannedEvent();
    const other = Buffer.from(
      '{"msgID":3,"uuid":"u","event_at":"2026-11-26T23:59:59.999999Z","id":77,"properties":{"pad":"x","sent_us":42}}',
    );
    expect(scanEvent(other, out)).toBe(true);
    expect(out).toEqual({ msgId: 3, id: 77, intendedUs: usFromIso('2026-11-26T23:59:59.999999Z'), sentUs: 42 });
    const times = [
      '2026-11-26T23:59:58.000001Z',
      '2026-11-26T23:59:59.5Z',
      '2026-11-27T00:00:00.000000Z',
      '2026-11-27T00:00:01Z',
      '2026-11-26T23:59:58.000002Z',
    ];
    for (const t of times) {
      const frame = Buffer.from(`{"msgID":1,"id":5,"event_at":"${t}","properties":{"sent_us":1}}`);
      expect(scanEvent(frame, out)).toBe(true);
      expect(out.intendedUs).toBe(usFromIso(t));
    }
    expect(scanEvent(Buffer.from('{"msgID":1,"id":5,"event_at":"2026-11-26T23:59:6x.0Z"}'), out)).toBe(true);
    expect(Number.isNaN(out.intendedUs)).toBe(true);
  });
});
