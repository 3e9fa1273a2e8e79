// Reads an evbench server's /metrics (Prometheus text) so the report can put the server's
// per-send histogram beside the clients' view.
import type { ServerScrape } from './record.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** Percentile from cumulative histogram buckets: the upper bound of the bucket that reaches it. */
function bucketPercentile(buckets: { le: number; count: number }[], total: number, pct: number): number {
  const want = (total * pct) / 100;
  for (const b of buckets) if (b.count >= want) return b.le;
  return Infinity;
}

export function summarizeServerMetrics(text: string, source: string): ServerScrape {
  const samples = parsePrometheus(text);
  const get = (name: string): number | undefined => samples.find((s) => s.name === name)?.value;
  const buckets = samples
    .filter((s) => s.name === 'evbench_send_duration_seconds_bucket')
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }))
    .sort((a, b) => a.le - b.le);
  const count = get('evbench_send_duration_seconds_count') ?? 0;
  const toUs = (s: number): number => (Number.isFinite(s) ? Math.round(s * 1e6) : -1);
  return {
    source,
    sendDurationUs: buckets.length
      ? {
          count,
          p50: toUs(bucketPercentile(buckets, count, 50)),
          p99: toUs(bucketPercentile(buckets, count, 99)),
          max: null,
        }
      : undefined,
    slowClientCloses: get('evbench_slow_client_closes_total'),
    gaps: get('evbench_gaps_total'),
    eventsIn: get('evbench_events_in_total'),
    eventsOut: get('evbench_events_out_total'),
    replayedEvents: get('evbench_replayed_events_total'),
  };
}

export async function scrapeServer(metricsUrl: string, token?: string): Promise<ServerScrape> {
  try {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const res = await fetch(metricsUrl, { headers, signal: AbortSignal.timeout(3000) });
    if (!res.ok) return { source: metricsUrl, error: `HTTP ${res.status}` };
    return summarizeServerMetrics(await res.text(), metricsUrl);
  } catch (err) {
    return { source: metricsUrl, error: (err as Error).message };
  }
}
