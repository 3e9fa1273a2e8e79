// The dashboard's view of a record and its server: what the page is sent (figures from the record,
// the clients' fate, charts drawn by the report's SVG code), the SSE stream, and its limits
// (127.0.0.1 only, a Host check, at most two updates a second).
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { asRunRecord } from '../../src/record/loadRecord.js';
import type { RunRecord } from '../../src/record/schema.js';
import { runView } from '../../src/dashboard/view.js';
import { overTimeChart, timeFrame } from '../../src/reports/overTimeChart.js';
import { serverDisagreement } from '../../src/verdict/serverViewEvidence.js';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';

const fixture = (): RunRecord =>
  asRunRecord(JSON.parse(readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8')), 'run-record.json');

describe('runView', () => {
  it("shows each group's figures from the record and the slow clients' fate", () => {
    const record = fixture();
    const stalled = record.groups.find((g) => g.name === 'stalled')!;
    stalled.clientResults[0] = { ...stalled.clientResults[0]!, closedByServer: 4008, closeReason: 'slow client' };
    stalled.clientResults[1] = { ...stalled.clientResults[1]!, closedByServer: 1011, closeReason: 'boom', missing: 5 };
    stalled.phases.stress!.gapsAnnounced = 3;
    const v = runView({ name: 'run', record, final: true });
    expect(v.final).toBe(true);
    expect(v.phase).toBe('done');
    expect(v.verdict).toMatchObject({ verdict: 'hol', label: 'HOL', tone: 'bad', forming: false, summary: record.hol.summary });
    expect(v.evidence.length).toBe(record.hol.evidence.length);
    expect(v.checks.map((c) => c.name)).toEqual(record.thresholds.map((t) => t.threshold));
    const fast = v.groups.find((g) => g.name === 'fast')!;
    const f = record.groups.find((g) => g.name === 'fast')!;
    expect(fast.missing).toBe(Object.values(f.phases).reduce((a, p) => a + p.missing, 0));
    expect(fast.longestStallUs).toBe(Math.max(...Object.values(f.phases).map((p) => p.maxStallUs)));
    expect(fast.phase).toBe('stress');
    expect(fast.phaseP99Us).toBe(f.phases.stress!.latencyUs.p99);
    const lastWhole = record.intervals.filter((iv) => iv.group === 'fast').sort((a, b) => b.startUs - a.startUs)[0]!;
    expect(fast.p99Us).toBe(lastWhole.p99Us);
    const s = v.groups.find((g) => g.name === 'stalled')!;
    expect(s.fate).toEqual({ closedSlow: 1, closedOther: 1, refused: 0, gaps: 3, stalled: 0, open: null, detail: '1011 boom ×1' });
    expect(v.generator).toMatchObject({ bound: record.generator.bound, cpuPercent: record.generator.cpuPercent });
    // one over-time chart per group and the delivery rate: the report's own chart module, phases shaded
    expect(v.charts.map((c) => c.id)).toEqual(['latency-fast', 'latency-stalled', 'delivered']);
    expect(v.charts[0]!.svg).toBe(
      overTimeChart(record, record.groups[0]!, timeFrame(record, { planned: true }), { width: 536, height: 260 }),
    );
    for (const c of v.charts) expect(c.svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="chart"/);
    expect(v.charts[0]!.svg).toMatch(/<rect [^>]*fill="#fbe3e3"><title>stress<\/title>/);
    expect(JSON.stringify(v)).not.toMatch(/histogram/i);
  });

  it('a live record before stress: the verdict is still forming; before any record: waiting', () => {
    const record = fixture();
    record.hol = { ...record.hol, verdict: 'unknown', summary: 'no verdict' };
    const v = runView({
      name: 'run',
      record,
      final: false,
      clients: [{ group: 'stalled', open: 2, stalled: 1 }],
      progress: { phase: 'baseline', elapsedUs: 2_500_000, totalUs: 6_000_000 },
    });
    expect(v.verdict).toMatchObject({ label: 'forming', forming: true });
    expect(v).toMatchObject({ phase: 'baseline', elapsedS: 2.5, totalS: 6 });
    expect(v.groups.find((g) => g.name === 'stalled')!.fate).toMatchObject({ stalled: 1, open: 2 });
    expect(runView({ name: 'x', final: false }).verdict.label).toBe('waiting');
  });

  it('a page opened mid-run says where the run is at once, before its first live record', () => {
    const v = runView({ name: 'x', final: false, progress: { phase: 'stress', elapsedUs: 9_000_000, totalUs: 16_000_000 } });
    expect(v.verdict.label).toBe('gathering');
    expect(v.verdict.summary).toMatch(/^the run is 9s into 16s, in its stress phase; .*within 3s$/);
    expect(v).toMatchObject({ phase: 'stress', elapsedS: 9, totalS: 16 });
  });

  it("the server evbench started: live, its latest CPU and memory; at the end, the report's sentence; else nothing", () => {
    const record = fixture();
    expect(runView({ name: 'run', record, final: true }).serverProcess).toBeNull();
    record.serverProcess = {
      command: 'node',
      pid: 4242,
      samples: [
        { tUs: -1e6, cpuSeconds: 0.1, cpuPct: null, rssBytes: 20 << 20, processes: 1 },
        { tUs: 1e6, cpuSeconds: 0.5, cpuPct: 20, rssBytes: 30 << 20, processes: 2 },
      ],
      peakRssBytes: 30 << 20,
      phases: [{ phase: 'baseline', cpuSeconds: 0.4, cpuPct: 20, rssStartBytes: 20 << 20, rssPeakBytes: 30 << 20, rssEndBytes: 30 << 20 }],
    };
    expect(runView({ name: 'run', record, final: false }).serverProcess).toBe(
      'server process: CPU 20% of one core, RSS 30MiB, 2 processes',
    );
    expect(runView({ name: 'run', record, final: true }).serverProcess).toMatch(
      /^Server process \(node, pid 4242, .*RSS grew 20MiB → 30MiB\.$/,
    );
  });

  it("a record older than the run's progress (no page watched a while) is marked stale; a current one is not", () => {
    const record = fixture();
    const at = (elapsedUs: number) =>
      runView({ name: 'run', record, final: false, progress: { phase: 'stress', elapsedUs, totalUs: 16_000_000 } });
    expect(at(record.durationUs + 1_000_000)).toMatchObject({ stale: false, asOfS: record.durationUs / 1e6 });
    expect(at(record.durationUs + 5_000_000)).toMatchObject({ stale: true, asOfS: record.durationUs / 1e6 });
  });

  it("never sets the server's older /metrics view against the clients' live figures; the final record does", () => {
    const record = fixture();
    // clients stalled for seconds in stress while the server's view (read before the stall) saw nothing
    record.groups[0]!.phases.stress!.maxStallUs = 3_000_000;
    record.server = {
      ...record.server!,
      phases: undefined,
      sendDurationUs: { count: 10, p50: 25, p99: 100, max: 1_000 },
      oldestInFlightUs: 0,
      dispatchQueueAgeUs: 0,
      sessionQueueAgeMaxUs: 0,
    };
    const sentence = serverDisagreement(record)!;
    expect(sentence).toMatch(/^server and clients disagree/);
    record.warnings = [...record.warnings, sentence];
    const live = runView({ name: 'run', record, final: false, serverSeenAtUs: record.durationUs - 4_000_000 });
    expect(live.warnings).not.toContain(sentence);
    expect(live.server!.olderByS).toBe(6);
    const final = runView({ name: 'run', record, final: true });
    expect(final.warnings).toContain(sentence);
    expect(final.server!.olderByS).toBeNull();
  });
});

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads `count` SSE `view` events from the stream, then closes it (bounded by `timeoutMs`). */
function readEvents(
  url: string,
  count: number,
  timeoutMs: number,
  onEvent?: (n: number) => void,
): Promise<{ data: unknown; atMs: number }[]> {
  return new Promise((resolve, reject) => {
    const events: { data: unknown; atMs: number }[] = [];
    const req = request(url, (res) => {
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (/^event: view$/m.test(frame) && data) {
            events.push({ data: JSON.parse(data), atMs: Date.now() });
            onEvent?.(events.length);
          }
          if (events.length === count) {
            clearTimeout(timer);
            req.destroy();
            resolve(events);
          }
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${events.length} of ${count} events in ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => (events.length < count ? reject(e) : undefined));
    req.end();
  });
}

describe('dashboard server', () => {
  let d: Dashboard | undefined;
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  it('serves a self-contained page on 127.0.0.1 and refuses other Host names', async () => {
    d = await startDashboard({ title: 'demo <x>' });
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(d.url);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.body).toContain('demo &lt;x&gt;');
    expect(page.body).not.toMatch(/<link\b|@import|url\(|src=/i);
    expect(page.body.match(/https?:\/\/[^\s"'`)]+/g) ?? []).toEqual([]);
    expect(page.body).toContain("new EventSource('events')");
    expect((await get(d.url, { host: 'evil.example:80' })).status).toBe(403);
    expect((await get(`${d.url}nothing`)).status).toBe(404);
  });

  it("dates the server's /metrics view by the first live record that carried it", async () => {
    d = await startDashboard({ title: 't' });
    const record = fixture();
    const at = (durationUs: number, slowClientCloses: number): RunRecord => ({
      ...record,
      durationUs,
      server: { ...record.server!, slowClientCloses },
    });
    d.update({ name: 'run', record: at(4_000_000, 1), final: false });
    expect(d.view().runs[0]!.server!.olderByS).toBe(2);
    d.update({ name: 'run', record: at(6_000_000, 1), final: false });
    expect(d.view().runs[0]!.server!.olderByS).toBe(4);
    d.update({ name: 'run', record: at(8_000_000, 2), final: false }); // a new scrape
    expect(d.view().runs[0]!.server!.olderByS).toBe(2);
  });

  it('streams the view over SSE, at most two updates a second, and keeps the final record', async () => {
    d = await startDashboard({ title: 't' });
    const record = fixture();
    const dash = d;
    // the view on connect; then 20 updates fed at once arrive as one event; the next one waits 500 ms
    const got = await readEvents(`${d.url}events`, 3, 10_000, (n) => {
      if (n === 1) for (let i = 0; i < 20; i++) dash.progress('run', { phase: 'baseline', elapsedUs: i * 100_000, totalUs: 6_000_000 });
      if (n === 2) {
        dash.update({ name: 'run', record, final: true });
        dash.finish();
      }
    });
    expect(got[0]!.data).toMatchObject({ runs: [], done: false });
    expect(got[1]!.data).toMatchObject({ done: false, runs: [{ name: 'run', phase: 'baseline', elapsedS: 1.9, final: false }] });
    const last = got[got.length - 1]!.data as { done: boolean; runs: { final: boolean; verdict: { verdict: string } }[] };
    expect(last.done).toBe(true);
    expect(last.runs[0]).toMatchObject({ final: true, verdict: { verdict: 'hol' } });
    expect(got[2]!.atMs - got[1]!.atMs).toBeGreaterThanOrEqual(450);
    // a late page gets the final record at once, and so does /view.json
    const late = await readEvents(`${d.url}events`, 1, 5_000);
    expect((late[0]!.data as typeof last).runs[0]!.final).toBe(true);
    expect(JSON.parse((await get(`${d.url}view.json`)).body)).toMatchObject({ done: true });
  });
});
