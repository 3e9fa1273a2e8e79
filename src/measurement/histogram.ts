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

/**
 * Values a tally counts itself: below 2^26 µs (67 s), the range the histograms above start with.
 * Longer latencies (a stall of over a minute) go to the histograms as they come.
 */
const TALLY_LIMIT_US = 2 ** 26;
/** HDR's sub-buckets at 3 significant digits (2048: unit resolution up to 2,000), as a power of two. */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
/** Every index a value below TALLY_LIMIT_US falls on. */
const TALLY_LENGTH = ((26 - SUB_BUCKET_HALF_MAGNITUDE) << SUB_BUCKET_HALF_MAGNITUDE) + (1 << (SUB_BUCKET_HALF_MAGNITUDE + 1));

/**
 * Counts durations by the very buckets `createHistogram` uses, then adds them into histograms in one
 * pass (`flushInto`). hdr-histogram-js finds a value's bucket with floating-point log2 and pow (a
 * fifth of a client thread at 200k events/s); an integer below 2^31 finds it with one clz32 and a
 * shift. What the histograms hold afterwards is exactly what recording each value would have left
 * (counts, total, exact min and max): the tally is a write-combining buffer, not an approximation.
 */
export class LatencyTally {
  private readonly counts = new Uint32Array(TALLY_LENGTH);
  /** Indices whose count went from 0, in the order they did (each once). */
  private touched: number[] = [];
  /** Values at or over TALLY_LIMIT_US, recorded one by one when flushed. */
  private beyond: number[] = [];
  private minNonZero = Infinity;
  private max = -1;

  get empty(): boolean {
    return this.touched.length === 0 && this.beyond.length === 0;
  }

  /** Counts a duration in microseconds as `recordUs` would record it (fractions truncated, negatives as 0). */
  record(us: number): void {
    const v = us > 0 ? Math.floor(us) : 0;
    if (v >= TALLY_LIMIT_US) return void this.beyond.push(v);
    if (v > this.max) this.max = v;
    if (v < this.minNonZero && v !== 0) this.minNonZero = v;
    const i = tallyIndex(v);
    if (this.counts[i]++ === 0) this.touched.push(i);
  }

  /** Adds everything counted into each histogram given, then starts afresh. */
  flushInto(...into: Histogram[]): void {
    // a bucket is recorded at its lowest value, but the exact min and max are what a histogram keeps:
    // min's bucket is recorded at min (no lower value may pass through), then max moves with a count of 0
    const minIndex = this.minNonZero === Infinity ? -1 : tallyIndex(this.minNonZero);
    for (const i of this.touched) {
      const count = this.counts[i]!;
      this.counts[i] = 0;
      const value = i === minIndex ? this.minNonZero : tallyValueAt(i);
      for (const h of into) h.recordValueWithCount(value, count);
    }
    if (this.max > 0) for (const h of into) h.recordValueWithCount(this.max, 0);
    for (const v of this.beyond) for (const h of into) h.recordValue(v);
    this.touched = [];
    this.beyond = [];
    this.minNonZero = Infinity;
    this.max = -1;
  }
}

/** HDR's index for an integer below 2^31: bucket floor(log2 v) − 10 (at least 0), sub-bucket v >> bucket. */
function tallyIndex(v: number): number {
  let bucket = 31 - Math.clz32(v) - SUB_BUCKET_HALF_MAGNITUDE;
  if (bucket < 0) bucket = 0;
  return (bucket << SUB_BUCKET_HALF_MAGNITUDE) + (v >>> bucket);
}

/** The lowest value of a tally index (HDR's valueFromIndex for this configuration). */
function tallyValueAt(i: number): number {
  const bucket = (i >>> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  if (bucket <= 0) return i;
  return ((i & ((1 << SUB_BUCKET_HALF_MAGNITUDE) - 1)) + (1 << SUB_BUCKET_HALF_MAGNITUDE)) * 2 ** bucket;
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
