// `--out ndjson=FILE`: a stream batch as JSON lines, one per group per phase per second, and at the
// end one line with the final verdict and each phase's totals. The fields are docs/metrics.md's
// metrics without the `evbench_` prefix, in seconds.
import { isoFromUs } from '../clock.js';
import type { PhaseTotals, StreamBatch } from './streamRows.js';

const seconds = (us: number): number => us / 1e6;

function totalsFields(t: PhaseTotals): Record<string, unknown> {
  return { delivered_events_total: t.delivered, missing_events: t.missing, phase_max_stall_seconds: seconds(t.maxStallUs) };
}

/** The batch's lines, each ending in a newline ('' for a batch without rows that is not the last). */
export function ndjsonLines(batch: StreamBatch): string {
  const lines: string[] = [];
  for (const r of batch.rows) {
    lines.push(
      JSON.stringify({
        type: 'second',
        time: isoFromUs(r.atMs * 1000),
        scenario: r.scenario,
        ...(r.shard ? { shard: r.shard } : {}),
        group: r.group,
        phase: r.phase,
        second: r.second,
        latency_seconds: r.latency ? { p50: seconds(r.latency.p50Us), p99: seconds(r.latency.p99Us), max: seconds(r.latency.maxUs) } : null,
        second_delivered_events: r.secondDelivered,
        max_stall_seconds: seconds(r.secondMaxStallUs),
        ...totalsFields(r),
        verdict: batch.verdict,
        final: batch.final,
      }),
    );
  }
  if (batch.final)
    lines.push(
      JSON.stringify({
        type: 'verdict',
        time: isoFromUs(batch.atMs * 1000),
        scenario: batch.scenario,
        ...(batch.shard ? { shard: batch.shard } : {}),
        verdict: batch.verdict,
        final: true,
        phases: batch.totals.map((t) => ({ group: t.group, phase: t.phase, ...totalsFields(t) })),
      }),
    );
  return lines.map((l) => `${l}\n`).join('');
}
