// .hgrm and .hlog are HdrHistogram's own formats: the percentile rows must be the histogram's
// values, and the interval log must decode back (with hdr-histogram-js's reader) to the same counts.
import { HistogramLogReader, listTags } from 'hdr-histogram-js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeHistogram } from '../../src/measurement/histogram.js';
import { asRunRecord } from '../../src/record/loadRecord.js';
import { renderHgrm, renderHgrmFiles } from '../../src/reports/hgrm.js';
import { hlogTag, renderHlog } from '../../src/reports/hlog.js';

const record = asRunRecord(JSON.parse(readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8')), 'run-record.json');

describe('.hgrm', () => {
  it('percentile rows are getValueAtPercentile of the same histogram, in ms', () => {
    const encoded = record.groups[0]!.phases.stress!.histogram;
    const h = decodeHistogram(encoded);
    const text = renderHgrm(encoded);
    expect(text.split('\n')[0]).toMatch(/^\s+Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)$/);
    const rows = text.split('\n').filter((l) => /^\s+\d/.test(l)).map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows.length).toBeGreaterThan(20);
    for (const [valueMs, percentile, totalCount] of rows) {
      expect(Math.round(valueMs! * 1000)).toBe(h.getValueAtPercentile(percentile! * 100));
      expect(totalCount).toBeLessThanOrEqual(h.totalCount);
    }
    expect(rows.at(-1)![2]).toBe(h.totalCount);
    expect(text).toMatch(new RegExp(`#\\[Mean    = +${(h.mean / 1000).toFixed(3)}, StdDeviation   = +[\\d.]+\\]`));
    expect(text).toMatch(new RegExp(`#\\[Max     = +${(h.maxValue / 1000).toFixed(3)}, Total count    = +${h.totalCount}\\]`));
    expect(text).toMatch(/#\[Buckets = +\d+, SubBuckets {5}= +\d+\]/);
  });

  it('one file per group and phase with data', () => {
    expect(renderHgrmFiles(record).map((f) => f.suffix)).toEqual(['fast.warmup.hgrm', 'fast.baseline.hgrm', 'fast.stress.hgrm', 'stalled.stress.hgrm']);
  });
});

describe('.hlog', () => {
  it('decodes back with HistogramLogReader to the same counts, interval by interval, tagged by group', () => {
    const text = renderHlog(record);
    expect(text).toContain('#[Histogram log format version 1.3]');
    expect(text).toMatch(/^#\[StartTime: \d+\.\d{3} /m);
    expect(listTags(text).sort()).toEqual(['fast', 'stalled']);
    const reader = new HistogramLogReader(text);
    const read: { tag: string; startSec: number; count: number; max: number }[] = [];
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
      read.push({ tag: h.tag, startSec: Math.round(h.startTimeStampMsec / 1000 - record.t0Us / 1e6), count: h.totalCount, max: h.maxValue });
    }
    expect(read).toHaveLength(record.intervals.length);
    for (const iv of record.intervals) {
      const line = read.find((r) => r.tag === hlogTag(iv.group) && r.startSec === iv.startUs / 1e6);
      const expected = iv.histogram ? decodeHistogram(iv.histogram) : null;
      expect(line, `${iv.group} @${iv.startUs}`).toBeDefined();
      expect(line!.count).toBe(expected?.totalCount ?? 0);
      expect(line!.max).toBe(expected?.maxValue ?? 0);
    }
  });
});
