// The server's own view in the reports: in-flight sends count in its per-send numbers, each phase's
// end is shown, its evidence rows never trigger, and a disagreement with the clients is a sentence.
import { describe, expect, it } from 'vitest';
import { serverDisagreement, serverViewEvidence } from '../../src/verdict/serverViewEvidence.js';
import type { RunRecord } from '../../src/record/schema.js';
import { phaseScrape, snapshotMetrics, summarizeServerMetrics } from '../../src/runner/scrape.js';
import { renderHtml } from '../../src/reports/html.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { serverViewSentences } from '../../src/reports/serverView.js';
import { renderSummary } from '../../src/reports/summary.js';
import { fixtureRecord } from '../support/fixtureRecord.js';

const BOUNDS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** /metrics text of a server that ended `ended` sends (seconds each) and holds `inFlight` (ages in seconds). */
function metricsText(ended: number[], inFlight: number[], extra = ''): string {
  const cumulative = (values: number[], le: number): number => values.filter((v) => v <= le).length;
  const lines = [
    'evbench_server_info{mode="legacy",protocol="v0"} 1',
    ...BOUNDS.map((le) => `evbench_send_duration_seconds_bucket{le="${le}"} ${cumulative(ended, le)}`),
    `evbench_send_duration_seconds_bucket{le="+Inf"} ${ended.length}`,
    `evbench_send_duration_seconds_count ${ended.length}`,
    `evbench_send_duration_max_seconds ${Math.max(0, ...ended)}`,
    `evbench_sends_total{outcome="written"} ${ended.length}`,
    'evbench_sends_total{outcome="failed"} 0',
    'evbench_sends_total{outcome="abandoned"} 0',
    `evbench_sends_in_flight ${inFlight.length}`,
    `evbench_send_in_flight_oldest_seconds ${Math.max(0, ...inFlight)}`,
    ...BOUNDS.map((le) => `evbench_sends_in_flight_by_age{le="${le}"} ${cumulative(inFlight, le)}`),
    `evbench_sends_in_flight_by_age{le="+Inf"} ${inFlight.length}`,
    `evbench_dispatch_queue_age_seconds ${Math.max(0, ...inFlight)}`,
    extra,
  ];
  return `${lines.join('\n')}\n`;
}

describe('scraping the per-send view', () => {
  it('counts a send still in flight at its age: p99 and max show the stuck send', () => {
    const ended = Array.from({ length: 98 }, () => 0.00002);
    const s = summarizeServerMetrics(metricsText(ended, [6.9]), 'x');
    expect(s.sendDurationUs).toEqual({ count: 99, p50: 25, p99: 10_000_000, max: 6_900_000, inFlight: 1 });
    expect(s.oldestInFlightUs).toBe(6_900_000);
    expect(s.dispatchQueueAgeUs).toBe(6_900_000);
    expect(s.mode).toBe('legacy');
    expect(s.sendOutcomes).toEqual({ written: 98, failed: 0, abandoned: 0 });
  });

  it('a phase counts the sends that ended in it, plus those in flight at its end', () => {
    const before = snapshotMetrics(metricsText([0.00002, 0.00002], []));
    const now = snapshotMetrics(metricsText([0.00002, 0.00002, 0.0002, 0.0002], [2]));
    const p = phaseScrape('stress', 5_000_000, now, before);
    expect(p.sendDurationUs).toEqual({ count: 3, p50: 250, p99: 2_500_000, max: 2_000_000, inFlight: 1 });
    expect(p.sendsInFlight).toBe(1);
    expect(p.oldestInFlightUs).toBe(2_000_000);
  });

  it('an older server without the in-flight gauges still summarizes', () => {
    const text = metricsText([0.00002], []).split('\n').filter((l) => !/in_flight|max_seconds|sends_total/.test(l)).join('\n');
    const s = summarizeServerMetrics(text, 'x');
    expect(s.sendDurationUs).toEqual({ count: 1, p50: 25, p99: 25, max: null, inFlight: 0 });
    expect(s.sendOutcomes).toBeUndefined();
  });
});

describe('the server view in reports', () => {
  const record = fixtureRecord();

  it('one set of sentences, in the summary, Markdown and HTML alike', () => {
    const sentences = serverViewSentences(record);
    expect(sentences[0]).toBe(
      'Server (/metrics, legacy): 7001 sends, per-send p50 ≤ 250µs, p99 ≤ 100.0ms, max 2.95s, in-flight sends included; 7000 written, 1 failed, 0 abandoned at close; slow-client closes 0, gaps 0.',
    );
    expect(sentences[1]).toContain('stress: 2201 sends, per-send p50 ≤ 250µs, p99 ≤ 100.0ms, max 2.90s, 1 in flight, oldest 2.90s, dispatch queue 2.90s behind');
    for (const text of [renderSummary(record), renderMarkdown(record), renderHtml(record)]) {
      for (const s of sentences) expect(text).toContain(s);
    }
  });

  it('a failed scrape is said, not skipped', () => {
    const r: RunRecord = { ...record, server: { source: 'http://h/metrics', error: 'HTTP 401' } };
    expect(serverViewSentences(r)).toEqual(['Server (/metrics http://h/metrics): not scraped: HTTP 401.']);
  });

  it('evidence rows carry the server view and never trigger', () => {
    const rows = serverViewEvidence(record);
    expect(rows[0]).toMatchObject({ rule: 'server: oldest in-flight send at the end of stress', triggered: false, informational: true });
    expect(rows[0]!.measured).toMatch(/^2\.90s, 1 in flight/);
    expect(rows.every((r) => !r.triggered)).toBe(true);
    expect(renderSummary(record)).toContain('· server: oldest in-flight send at the end of stress: 2.90s');
  });

  const withFastStall = (stallUs: number, server: RunRecord['server']): RunRecord => {
    const r = structuredClone(record);
    for (const g of r.groups.filter((g) => g.kind === 'fast')) {
      g.phases.stress!.maxStallUs = stallUs;
      g.phases.stress!.maxStalenessUs = 0;
    }
    r.server = server;
    return r;
  };

  it('clients stalled for seconds while the server saw nothing wait: a disagreement', () => {
    const quiet = structuredClone(record.server!);
    for (const p of quiet.phases!) Object.assign(p, { oldestInFlightUs: 0, sendsInFlight: 0, dispatchQueueAgeUs: 0, sendDurationUs: { ...p.sendDurationUs!, max: 5000 } });
    expect(serverDisagreement(withFastStall(3_000_000, quiet))).toMatch(/^server and clients disagree: fast clients stalled up to 3\.00s in stress, but the server reports no slow send/);
  });

  it('a legacy server stuck for seconds while fast clients saw nothing: a disagreement', () => {
    expect(serverDisagreement(withFastStall(10_000, record.server))).toMatch(/^server and clients disagree: the server waited 2\.90s/);
  });

  it('both saw the stall: no disagreement', () => {
    expect(serverDisagreement(withFastStall(2_800_000, record.server))).toBeUndefined();
  });
});
