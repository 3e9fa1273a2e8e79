// The one histogram wrapper: HDR histograms of integer microseconds. Histograms cross thread and
// machine boundaries as compressed base64 and are combined with add(), never by averaging.
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../record/schema.js';

export type Histogram = hdr.Histogram;

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000, // 60 s; grows on demand
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** Records a duration in microseconds; fractions are truncated, negatives (clock skew) clamp to 0. */
export function recordUs(histogram: Histogram, us: number, count = 1): void {
  const v = us > 0 ? Math.floor(us) : 0;
  if (count === 1) histogram.recordValue(v);
  else histogram.recordValueWithCount(v, count);
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded);
  const h = createHistogram();
  h.add(decoded);
  return h;
}

/** A decoded histogram only to read or add into others: no copy into a resizable one (which `decodeHistogram` makes to record into). */
export function decodeToAdd(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded);
}

/** Adds the encoded histograms into one new histogram. */
export function mergeEncoded(encoded: Iterable<string>): Histogram {
  const h = createHistogram();
  for (const e of encoded) if (e) h.add(hdr.decodeFromCompressedBase64(e));
  return h;
}

export function summarize(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    count,
    min: histogram.getValueAtPercentile(0),
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p99: histogram.getValueAtPercentile(99),
    p999: histogram.getValueAtPercentile(99.9),
    max: histogram.maxValue,
    mean: Math.round(histogram.mean),
  };
}
