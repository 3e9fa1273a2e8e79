// HdrHistogram interval log (.hlog): one line per group per one-second interval, tagged with the group
// name, V2 compressed histograms of latency in µs (Interval_Max in ms), timestamps in seconds from t0.
import { HistogramLogWriter } from 'hdr-histogram-js';
import { createHistogram, decodeHistogram } from '../measurement/histogram.js';
import type { RunRecord } from '../record/schema.js';

const INTERVAL_SEC = 1;

/** Tags may not hold the log's separators. */
export const hlogTag = (group: string): string => group.replace(/[\s,]+/g, '_');

export function renderHlog(record: RunRecord): string {
  let text = '';
  const writer = new HistogramLogWriter((s) => void (text += s));
  const startMs = record.t0Us / 1000;
  writer.outputComment(`[Logged with evbench ${record.tool.version}: scenario ${record.scenario.name}, latency in µs from the intended publish time]`);
  writer.outputLogFormatVersion();
  writer.outputComment(`[StartTime: ${(startMs / 1000).toFixed(3)} (seconds since epoch), ${new Date(startMs).toISOString()}]`);
  writer.outputComment(`[BaseTime: ${(startMs / 1000).toFixed(3)} (seconds since epoch)]`);
  writer.outputComment(`[Phases: ${record.phases.map((p) => `${p.name}@${(p.startUs / 1e6).toFixed(3)}s+${(p.durationUs / 1e6).toFixed(3)}s`).join(' ')}]`);
  writer.outputLegend();
  const intervals = [...record.intervals].sort((a, b) => a.startUs - b.startUs || record.groups.findIndex((g) => g.name === a.group) - record.groups.findIndex((g) => g.name === b.group));
  for (const iv of intervals) {
    const h = iv.histogram ? decodeHistogram(iv.histogram) : createHistogram();
    h.tag = hlogTag(iv.group);
    const start = iv.startUs / 1e6;
    writer.outputIntervalHistogram(h, start, start + INTERVAL_SEC, 1000);
  }
  return text;
}
