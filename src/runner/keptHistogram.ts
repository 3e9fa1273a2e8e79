// A histogram the live record keeps per group and second (and per group and phase): added to as parts
// arrive, summarised and encoded again only when it changes, compacted to its encoding once its
// second is settled.
import { createHistogram, decodeHistogram, decodeToAdd, encodeHistogram, recordUs, type Histogram } from '../measurement/histogram.js';
import { EMPTY_SUMMARY, liveSummary, scratch, summaryOfPoints } from '../measurement/percentiles.js';
import type { LatencySummary } from '../record/schema.js';

/**
 * A histogram that keeps its summary and (for fast groups, whose per-second p99s the verdict reads)
 * its encoding until it changes. An HDR histogram of this range holds ~70 KB of counts, so one per
 * group per second would grow the main thread's heap by megabytes a minute: a second's histogram is
 * compacted to its encoding once its parts are in, and decoded again only if a late part arrives.
 */
export class Kept {
  private latency?: Histogram;
  /** Everything added, encoded, while `latency` is compacted away. */
  private packed?: string;
  private summary?: LatencySummary;
  private encoded?: string;

  private histogram(): Histogram {
    this.latency ??= this.packed ? decodeHistogram(this.packed) : createHistogram();
    this.packed = undefined;
    return this.latency;
  }

  add(h: Histogram): void {
    this.histogram().add(h);
    this.summary = this.encoded = undefined;
  }

  /** Keeps the summary and the encoding, lets the counts go (a later `add` decodes them again). */
  compact(): void {
    if (!this.latency) return;
    this.summary ??= liveSummary(this.latency);
    this.packed = this.encoded ??= encodeHistogram(this.latency);
    this.latency = undefined;
  }

  /** Summary and encoding, with `owed` events added at their ages (on a copy: the kept one holds only what arrived or was accounted). */
  read(owed: { ageUs: number; count: number }[] | undefined, encode: boolean): { summary: LatencySummary; encoded: string } {
    if (owed && owed.length > 0) {
      // nothing arrived in this second (a stalled group's every second): its few owed ages are the whole summary
      if (!encode && !this.latency && !this.packed) return { summary: summaryOfPoints(owed), encoded: '' };
      // one scratch histogram for every such read: a stalled group's every second has owed events, each build
      const h = scratch();
      if (this.latency) h.add(this.latency);
      else if (this.packed) h.add(decodeToAdd(this.packed));
      for (const o of owed) recordUs(h, o.ageUs, o.count);
      return { summary: liveSummary(h), encoded: encode ? encodeHistogram(h) : '' };
    }
    if (!this.latency && !this.packed) return { summary: EMPTY_SUMMARY, encoded: '' };
    this.summary ??= liveSummary(this.histogram());
    if (encode && this.summary.count > 0) this.encoded ??= encodeHistogram(this.histogram());
    return { summary: this.summary, encoded: encode ? (this.encoded ?? '') : '' };
  }
}
