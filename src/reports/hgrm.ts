// HdrHistogram's percentile distribution format (.hgrm), one file per group and phase, values in
// milliseconds, readable by HdrHistogram's plotter and tools that read its output.
import { decodeHistogram } from '../measurement/histogram.js';
import type { RunRecord } from '../record/schema.js';

/** µs in the record → ms in the file. */
const MS = 1000;
const TICKS_PER_HALF_DISTANCE = 5;

/** The percentile distribution of one encoded latency histogram (µs), in ms. */
export function renderHgrm(encodedHistogram: string): string {
  return decodeHistogram(encodedHistogram).outputPercentileDistribution(TICKS_PER_HALF_DISTANCE, MS);
}

export interface HgrmFile {
  group: string;
  phase: string;
  /** `fast.stress.hgrm`: appended to the record's base name. */
  suffix: string;
  text: string;
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '-');

/** One .hgrm per group and phase that recorded any latency. */
export function renderHgrmFiles(record: RunRecord): HgrmFile[] {
  const files: HgrmFile[] = [];
  for (const g of record.groups) {
    for (const ph of record.phases) {
      const p = g.phases[ph.name];
      if (!p || p.latencyUs.count === 0 || !p.histogram) continue;
      files.push({ group: g.name, phase: ph.name, suffix: `${safe(g.name)}.${safe(ph.name)}.hgrm`, text: renderHgrm(p.histogram) });
    }
  }
  return files;
}
