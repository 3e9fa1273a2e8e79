// The remote-write body read back with the same libraries a receiver would use (protobufjs, snappy):
// every sample of the batch, labels sorted, samples in time order, values in seconds.
import { describe, expect, it } from 'vitest';
import { fixtureRecord } from '../support/fixtureRecord.js';
import { streamBatch } from '../../src/reports/streamRows.js';
import { batchSeries, decodeRemoteWrite, remoteWriteBody } from '../../src/reports/remoteWrite.js';

const record = fixtureRecord();
const batch = streamBatch(record, { from: 0, to: 6, final: true, atMs: 1_800_000_000_000 });
const label = (s: { labels: { name: string; value: string }[] }, name: string) => s.labels.find((l) => l.name === name)?.value;

describe('remote write body', () => {
  it('decodes to exactly the series sent', () => {
    const decoded = decodeRemoteWrite(remoteWriteBody(batch));
    expect(decoded).toEqual(batchSeries(batch));
    expect(decoded.length).toBeGreaterThan(20);
  });

  it('is a snappy block, not bare protobuf', () => {
    const body = remoteWriteBody(batch);
    expect(() => decodeRemoteWrite(body.subarray(0, body.length >> 1))).toThrow();
  });

  it('labels sorted with __name__ first; samples in time order; one series per label set', () => {
    const series = decodeRemoteWrite(remoteWriteBody(batch));
    const keys = new Set<string>();
    for (const s of series) {
      expect(s.labels[0]!.name).toBe('__name__');
      const names = s.labels.map((l) => l.name);
      expect(names).toEqual([...names].sort());
      const times = s.samples.map((x) => x.timestamp);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const key = JSON.stringify(s.labels);
      expect(keys.has(key)).toBe(false);
      keys.add(key);
    }
  });

  it("carries each second's p99 in seconds, the phase totals and the verdict as a 0/1 gauge per verdict", () => {
    const series = decodeRemoteWrite(remoteWriteBody(batch));
    const p99 = series.find(
      (s) => label(s, '__name__') === 'evbench_latency_seconds' && label(s, 'quantile') === '0.99' && label(s, 'group') === 'fast' && label(s, 'phase') === 'stress',
    )!;
    const rows = batch.rows.filter((r) => r.group === 'fast' && r.phase === 'stress' && r.latency);
    expect(p99.samples).toEqual(rows.map((r) => ({ value: r.latency!.p99Us / 1e6, timestamp: r.atMs })));
    const delivered = series.find((s) => label(s, '__name__') === 'evbench_delivered_events_total' && label(s, 'group') === 'fast' && label(s, 'phase') === 'baseline')!;
    expect(delivered.samples).toEqual([{ value: record.groups[0]!.phases.baseline!.delivered, timestamp: batch.atMs }]);
    const verdicts = series.filter((s) => label(s, '__name__') === 'evbench_verdict');
    expect(verdicts.filter((s) => s.samples[0]!.value === 1).map((s) => label(s, 'verdict'))).toEqual([record.hol.verdict]);
    expect(verdicts.length).toBeGreaterThan(1);
    expect(verdicts.every((s) => label(s, 'scenario') === 'fixture' && label(s, 'group') === undefined)).toBe(true);
  });
});
