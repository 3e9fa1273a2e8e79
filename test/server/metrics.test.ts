// /metrics is strict Prometheus text (format 0.0.4) and its per-send histogram counts the sends.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, PUBLISHER, server, TestClient, waitUntil, waitUntilAsync } from '../support/referenceServer.js';

afterEach(cleanup);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small strict parser: HELP/TYPE before samples, known types, well-formed labels and values. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const lines = text.slice(0, -1).split('\n');
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${line}`;
    let m: RegExpExecArray | null;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line))) {
      expect(helps.has(m[1]!), `duplicate HELP, ${where}`).toBe(false);
      helps.add(m[1]!);
    } else if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      expect(types.has(m[1]!), `duplicate TYPE, ${where}`).toBe(false);
      types.set(m[1]!, m[2]!);
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line))) {
      const [, name, , labelText, valueText] = m;
      const labels: Record<string, string> = {};
      if (labelText) {
        for (const pair of labelText.split(',')) {
          const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$/.exec(pair);
          expect(lm, `bad label, ${where}`).not.toBeNull();
          labels[lm![1]!] = lm![2]!;
        }
      }
      const value = valueText === '+Inf' ? Infinity : Number(valueText);
      expect(Number.isNaN(value), `bad value, ${where}`).toBe(false);
      const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, '');
      expect(types.has(family), `sample before its TYPE, ${where}`).toBe(true);
      expect(helps.has(family), `sample without HELP, ${where}`).toBe(true);
      if (family !== name) expect(types.get(family)).toBe('histogram');
      samples.push({ name: name!, labels, value });
    } else {
      throw new Error(`not Prometheus text, ${where}`);
    }
  }
  return { types, samples };
}

async function scrape(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))!.value;

describe.each(['isolated', 'legacy'] as const)('/metrics (%s)', (mode) => {
  it('parses as Prometheus text and evbench_send_duration_seconds_count equals the event sends', async () => {
    const srv = await server({ mode });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const clients = [await TestClient.open(srv.url), await TestClient.open(srv.url), await TestClient.open(srv.url)];
    for (const c of clients) await c.subscribe();
    await clients[2]!.request({ method: 'unsubscribe' }); // the third receives nothing live
    await pub.publish(Array.from({ length: 20 }, (_, i) => ({ event_type: 'update', properties: { i } })));
    await pub.publish(Array.from({ length: 5 }, () => ({ event_type: 'update' })));
    await clients[2]!.subscribe({ last_log_id: 20 }); // catch-up: 5 replayed sends
    await waitUntil(() => clients[0]!.events.length === 25 && clients[2]!.events.length === 5, 'all deliveries');
    const sends = clients.reduce((n, c) => n + c.events.length, 0);
    expect(sends).toBe(55);

    // Write callbacks run asynchronously, so the count may trail the client's view by a moment.
    const count = async () => value((await scrape(srv.metricsUrl)).samples, 'evbench_send_duration_seconds_count');
    await waitUntilAsync(async () => (await count()) >= sends, `the send count to reach ${sends}`);

    const { types, samples } = await scrape(srv.metricsUrl);
    expect(types.get('evbench_send_duration_seconds')).toBe('histogram');
    const buckets = samples.filter((s) => s.name === 'evbench_send_duration_seconds_bucket');
    expect(buckets[0]!.labels.le).toBe('0.00001');
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.at(-2)!.labels.le).toBe('10');
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.value).toBe(sends);
    expect(value(samples, 'evbench_send_duration_seconds_count')).toBe(sends);
    expect(value(samples, 'evbench_send_duration_seconds_sum')).toBeGreaterThan(0);
    expect(value(samples, 'evbench_events_in_total')).toBe(25);
    expect(value(samples, 'evbench_events_out_total')).toBe(sends);
    expect(value(samples, 'evbench_replayed_events_total')).toBe(5);
    expect(value(samples, 'evbench_connections')).toBe(4);
    expect(value(samples, 'evbench_connections_total')).toBe(4);
    expect(value(samples, 'evbench_slow_client_closes_total')).toBe(0);
    expect(value(samples, 'evbench_gaps_total')).toBe(0);
    expect(value(samples, 'evbench_session_queue_bytes', { stat: 'max' })).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'evbench_session_queue_bytes', { stat: 'sum' })).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'evbench_server_info', { mode })).toBe(1);
    // Every send ended, written; nothing in flight on an idle server.
    expect(types.get('evbench_sends_total')).toBe('counter');
    expect(value(samples, 'evbench_sends_total', { outcome: 'written' })).toBe(sends);
    expect(value(samples, 'evbench_sends_total', { outcome: 'failed' })).toBe(0);
    expect(value(samples, 'evbench_sends_total', { outcome: 'abandoned' })).toBe(0);
    expect(value(samples, 'evbench_send_duration_max_seconds')).toBeGreaterThan(0);
    for (const gauge of [
      'evbench_sends_in_flight',
      'evbench_send_in_flight_oldest_seconds',
      'evbench_session_queue_age_seconds',
      'evbench_sessions_by_queue_age',
      'evbench_sends_in_flight_by_age',
      'evbench_dispatch_queue_age_seconds',
    ]) {
      expect(types.get(gauge), gauge).toBe('gauge');
    }
    expect(value(samples, 'evbench_sends_in_flight')).toBe(0);
    expect(value(samples, 'evbench_send_in_flight_oldest_seconds')).toBe(0);
    expect(value(samples, 'evbench_session_queue_age_seconds', { stat: 'max' })).toBe(0);
    expect(value(samples, 'evbench_sessions_by_queue_age', { older_than: '0.01' })).toBe(0);
    expect(value(samples, 'evbench_sends_in_flight_by_age', { le: '+Inf' })).toBe(0);
    expect(value(samples, 'evbench_dispatch_queue_age_seconds')).toBe(0);
  });
});
