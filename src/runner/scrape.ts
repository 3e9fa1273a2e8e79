// Reads an evbench server's /metrics (Prometheus text) so the report can put the server's
// per-send histogram, and the sends still in flight, beside the clients' view.
import http from 'node:http';
import https from 'node:https';
import type { SendDurationSummary, ServerInFlight, ServerPhaseScrape, ServerScrape } from '../record/schema.js';

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

/** The numbers of one /metrics scrape that the run record keeps, in seconds and counts as exposed. */
export interface MetricsSnapshot {
  /** Cumulative buckets of ended sends (`evbench_send_duration_seconds`), by upper bound in seconds. */
  ended: { le: number; count: number }[];
  endedCount: number;
  /** Longest ended send, seconds; undefined from a server without the gauge. */
  endedMax?: number;
  /** Cumulative sends in flight by age (`evbench_sends_in_flight_by_age`), on the same bounds. */
  inFlightByAge: { le: number; count: number }[];
  get(name: string, labels?: Record<string, string>): number | undefined;
  samples: Sample[];
}

export function snapshotMetrics(text: string): MetricsSnapshot {
  const samples = parsePrometheus(text);
  const get = (name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  const buckets = (name: string): { le: number; count: number }[] =>
    samples
      .filter((s) => s.name === name)
      .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }))
      .sort((a, b) => a.le - b.le);
  return {
    ended: buckets('evbench_send_duration_seconds_bucket'),
    endedCount: get('evbench_send_duration_seconds_count') ?? 0,
    endedMax: get('evbench_send_duration_max_seconds'),
    inFlightByAge: buckets('evbench_sends_in_flight_by_age'),
    get,
    samples,
  };
}

const toUs = (s: number): number => (Number.isFinite(s) ? Math.round(s * 1e6) : -1);
const optUs = (s: number | undefined): number | undefined => (s === undefined ? undefined : toUs(s));

/**
 * Per-send summary over `ended` (cumulative buckets of sends that ended) plus the sends in flight
 * at their age so far: a send that never ends counts, at a lower bound, instead of vanishing.
 */
function sendSummary(ended: { le: number; count: number }[], inFlightByAge: { le: number; count: number }[], maxUs: number | null) {
  const inFlightAt = (le: number): number => inFlightByAge.find((b) => b.le === le)?.count ?? 0;
  const inFlight = inFlightByAge.at(-1)?.count ?? 0;
  const combined = ended.map((b) => ({ le: b.le, count: b.count + inFlightAt(b.le) }));
  const count = (ended.at(-1)?.count ?? 0) + inFlight;
  return {
    count,
    p50: toUs(bucketPercentile(combined, count, 50)),
    p99: toUs(bucketPercentile(combined, count, 99)),
    max: maxUs,
    inFlight,
  };
}

/** The in-flight gauges, in µs. */
function inFlightView(m: MetricsSnapshot): ServerInFlight {
  return {
    sendsInFlight: m.get('evbench_sends_in_flight'),
    oldestInFlightUs: optUs(m.get('evbench_send_in_flight_oldest_seconds')),
    sessionQueueAgeMaxUs: optUs(m.get('evbench_session_queue_age_seconds', { stat: 'max' })),
    dispatchQueueAgeUs: optUs(m.get('evbench_dispatch_queue_age_seconds')),
  };
}

/** The longest send seen by this scrape, ended or still in flight; null when the server does not say. */
function longestUs(endedMax: number | undefined, oldestInFlightUs: number | undefined): number | null {
  if (endedMax === undefined && oldestInFlightUs === undefined) return null;
  return Math.max(endedMax === undefined ? 0 : toUs(endedMax), oldestInFlightUs ?? 0);
}

export function summarizeServerMetrics(text: string, source: string): ServerScrape {
  const m = snapshotMetrics(text);
  const inFlight = inFlightView(m);
  const outcome = (o: string): number => m.get('evbench_sends_total', { outcome: o }) ?? 0;
  const mode = m.samples.find((s) => s.name === 'evbench_server_info')?.labels.mode;
  return {
    source,
    sendDurationUs: m.ended.length ? sendSummary(m.ended, m.inFlightByAge, longestUs(m.endedMax, inFlight.oldestInFlightUs)) : undefined,
    slowClientCloses: m.get('evbench_slow_client_closes_total'),
    gaps: m.get('evbench_gaps_total'),
    eventsIn: m.get('evbench_events_in_total'),
    eventsOut: m.get('evbench_events_out_total'),
    replayedEvents: m.get('evbench_replayed_events_total'),
    ...inFlight,
    mode,
    sendOutcomes:
      m.get('evbench_sends_total', { outcome: 'written' }) === undefined
        ? undefined
        : { written: outcome('written'), failed: outcome('failed'), abandoned: outcome('abandoned') },
    queueBudgetBytes: m.get('evbench_server_limit', { limit: 'queue_bytes' }),
  };
}

/**
 * The server's view of one phase from the scrape at its end and the one at the previous phase's
 * end: sends that ended in between (bucket differences) plus those in flight now. `max` is exact
 * when the longest send grew during the phase or one in flight is older, else the upper bound of
 * the slowest bucket the phase filled.
 */
export function phaseScrape(phase: string, atUs: number, now: MetricsSnapshot, before: MetricsSnapshot | undefined): ServerPhaseScrape {
  const inFlight = inFlightView(now);
  let sendDurationUs: SendDurationSummary | undefined;
  if (now.ended.length) {
    const ended = now.ended.map((b) => ({ le: b.le, count: b.count - (before?.ended.find((p) => p.le === b.le)?.count ?? 0) }));
    const grew = now.endedMax !== undefined && (before?.endedMax === undefined || now.endedMax > before.endedMax);
    let endedMaxUs: number | undefined;
    if (grew) endedMaxUs = toUs(now.endedMax!);
    else {
      const slowest = ended.find((b) => b.count === ended.at(-1)!.count && b.count > 0);
      const boundUs = slowest
        ? Math.min(toUs(slowest.le) < 0 ? Infinity : toUs(slowest.le), now.endedMax === undefined ? Infinity : toUs(now.endedMax))
        : Infinity;
      if (Number.isFinite(boundUs)) endedMaxUs = boundUs;
    }
    const max =
      endedMaxUs === undefined && inFlight.oldestInFlightUs === undefined
        ? null
        : Math.max(endedMaxUs ?? 0, inFlight.oldestInFlightUs ?? 0);
    sendDurationUs = sendSummary(ended, now.inFlightByAge, max);
  }
  return { phase, atUs, sendDurationUs, ...inFlight, slowClientCloses: now.get('evbench_slow_client_closes_total') };
}

/**
 * A /metrics body over this is refused, not parsed: evbench's own is a few KiB whatever the number
 * of sessions (it has no per-session labels), and the runner holds the whole text to parse it.
 */
export const MAX_METRICS_BYTES = 4 * 1024 * 1024;
/** One scrape, from the request to the body's last byte, at most this long in all. */
export const METRICS_DEADLINE_MS = 3000;

/** A value the target chose, fit for an error message: printable and short. */
function printable(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  return value.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 40);
}

/**
 * GETs /metrics; the text, or why not. It asks for the identity encoding and refuses any other (a
 * compressed body could inflate to any size), stops reading at MAX_METRICS_BYTES and gives up at
 * METRICS_DEADLINE_MS: a target cannot make a scrape hold memory or time.
 */
export function fetchMetrics(metricsUrl: string, token?: string): Promise<{ text: string } | { error: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'accept-encoding': 'identity', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    let settled = false;
    let req: http.ClientRequest | undefined;
    const end = (got: { text: string } | { error: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.destroy();
      resolve(got);
    };
    const timer = setTimeout(() => end({ error: `no complete answer within ${METRICS_DEADLINE_MS / 1000} s` }), METRICS_DEADLINE_MS);
    try {
      req = (metricsUrl.startsWith('https:') ? https.get : http.get)(metricsUrl, { headers, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) return end({ error: `HTTP ${status}` });
        const encoding = String(res.headers['content-encoding'] ?? 'identity')
          .trim()
          .toLowerCase();
        if (encoding !== 'identity')
          return end({ error: `a compressed body (content-encoding ${printable(encoding)}) although identity was asked for: not read` });
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_METRICS_BYTES) return end({ error: `a body over ${MAX_METRICS_BYTES} bytes: not read further` });
          chunks.push(chunk);
        });
        res.on('end', () => end({ text: Buffer.concat(chunks, bytes).toString('utf8') }));
        res.on('aborted', () => end({ error: 'the answer was cut off' }));
      });
      req.on('error', (err) => end({ error: err.message }));
    } catch (err) {
      end({ error: (err as Error).message }); // a URL http.get cannot take
    }
  });
}

export async function scrapeServer(metricsUrl: string, token?: string): Promise<ServerScrape> {
  const got = await fetchMetrics(metricsUrl, token);
  return 'error' in got ? { source: metricsUrl, error: got.error } : summarizeServerMetrics(got.text, metricsUrl);
}
