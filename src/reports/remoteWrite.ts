// `--out prometheus-rw=URL`: a stream batch as a Prometheus remote-write 1.0 request body — the
// samples of docs/metrics.md as a protobuf `prometheus.WriteRequest` (protobufjs, from remote.proto's
// and types.proto's field numbers), compressed as one snappy block (snappy). Pure: the CLI sends it.
import protobuf from 'protobufjs';
import { compressSync, uncompressSync } from 'snappy';
import { STREAM_VERDICTS, type StreamBatch, type StreamLabels } from './streamRows.js';

/** The headers remote write 1.0 asks of a sender. */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

/** The messages of prometheus/prompb (remote.proto, types.proto) that remote write 1.0 sends. */
const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: {
          fields: { labels: { rule: 'repeated', type: 'Label', id: 1 }, samples: { rule: 'repeated', type: 'Sample', id: 2 } },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
});
const WriteRequest = root.lookupType('prometheus.WriteRequest');

export interface Series {
  /** Sorted by name, `__name__` first (what Prometheus expects of a series' labels). */
  labels: { name: string; value: string }[];
  /** In time order. */
  samples: { value: number; timestamp: number }[];
}

const seconds = (us: number): number => us / 1e6;

/** A series' labels but its name; an undefined one (no shard) is left out. */
type LabelSet = Record<string, string | undefined>;

/** The batch's samples, one series per metric and label set, in time order within each. */
export function batchSeries(batch: StreamBatch): Series[] {
  const series = new Map<string, Series>();
  const add = (name: string, labels: LabelSet, value: number, timestamp: number): void => {
    const all = Object.entries({ __name__: name, ...labels })
      .filter((e): e is [string, string] => e[1] !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([n, v]) => ({ name: n, value: v }));
    const key = JSON.stringify(all);
    const s = series.get(key) ?? series.set(key, { labels: all, samples: [] }).get(key)!;
    s.samples.push({ value, timestamp });
  };
  const labelsOf = (l: StreamLabels): LabelSet => ({ scenario: l.scenario, group: l.group, phase: l.phase, shard: l.shard });
  for (const r of [...batch.rows].sort((a, b) => a.atMs - b.atMs)) {
    const l = labelsOf(r);
    if (r.latency) {
      add('evbench_latency_seconds', { ...l, quantile: '0.5' }, seconds(r.latency.p50Us), r.atMs);
      add('evbench_latency_seconds', { ...l, quantile: '0.99' }, seconds(r.latency.p99Us), r.atMs);
      add('evbench_latency_max_seconds', l, seconds(r.latency.maxUs), r.atMs);
    }
    add('evbench_second_delivered_events', l, r.secondDelivered, r.atMs);
    add('evbench_max_stall_seconds', l, seconds(r.secondMaxStallUs), r.atMs);
  }
  for (const t of batch.totals) {
    const l = labelsOf(t);
    add('evbench_delivered_events_total', l, t.delivered, batch.atMs);
    add('evbench_missing_events', l, t.missing, batch.atMs);
    add('evbench_phase_max_stall_seconds', l, seconds(t.maxStallUs), batch.atMs);
  }
  const run: LabelSet = { scenario: batch.scenario, shard: batch.shard };
  for (const v of STREAM_VERDICTS) add('evbench_verdict', { ...run, verdict: v }, v === batch.verdict ? 1 : 0, batch.atMs);
  add('evbench_run_final', run, batch.final ? 1 : 0, batch.atMs);
  return [...series.values()];
}

/** The request body: WriteRequest{timeseries} in protobuf, as one snappy block. */
export function remoteWriteBody(batch: StreamBatch): Uint8Array {
  const message = WriteRequest.fromObject({ timeseries: batchSeries(batch) });
  return compressSync(Buffer.from(WriteRequest.encode(message).finish()));
}

/** A request body read back (what a receiver does with it): for tests and for checking a capture. */
export function decodeRemoteWrite(body: Uint8Array): Series[] {
  const raw = uncompressSync(Buffer.from(body)) as Buffer;
  const decoded = WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number, defaults: true }) as { timeseries?: Series[] };
  return decoded.timeseries ?? [];
}
