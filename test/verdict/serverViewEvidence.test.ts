// The server's own view as evidence rows and the disagreement sentence, on records made to order.
import { describe, expect, it } from 'vitest';
import { formatBucket, formatBytes, serverDisagreement, serverViewEvidence, stressScrapes } from '../../src/verdict/serverViewEvidence.js';
import type { RunRecord, ServerScrape } from '../../src/record/schema.js';
import { steady, verdictRecord } from '../support/verdictRecord.js';

const send = (p50: number, p99: number, max: number | null, count = 100) => ({ count, p50, p99, max });
function withServer(server: Partial<ServerScrape>, counters: { maxStallUs?: number; maxStalenessUs?: number } = {}): RunRecord {
  const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: counters });
  rec.server = { source: 'http://127.0.0.1:1/metrics', sendDurationUs: send(25, 250, 1000), ...server };
  return rec;
}
const phase = (name: string, o: Record<string, unknown> = {}) => ({ phase: name, atUs: 0, ...o });

describe('formatting', () => {
  it('bytes and bucket bounds', () => {
    expect([512, 2048, 1536, 3 * 1024 * 1024].map(formatBytes)).toEqual(['512 B', '2 KiB', '1.5 KiB', '3 MiB']);
    expect(formatBucket(250)).toBe('≤ 250µs');
    expect(formatBucket(-1)).toBe('> 10.0s');
  });
});

describe('serverViewEvidence', () => {
  it('nothing when the server was not scraped, failed, or has no per-send view', () => {
    const rec = verdictRecord({ baseline: steady(5_000), stress: steady(5_000) });
    expect(serverViewEvidence(rec)).toEqual([]);
    expect(serverViewEvidence(withServer({ error: 'ECONNREFUSED' }))).toEqual([]);
    expect(serverViewEvidence(withServer({ sendDurationUs: undefined }))).toEqual([]);
  });

  it('without phase scrapes: one row over the run, and the slow closes with the budget', () => {
    const rows = serverViewEvidence(withServer({ slowClientCloses: 2, queueBudgetBytes: 1024 * 1024 }));
    expect(rows.map((r) => [r.rule, r.measured])).toEqual([
      ['server: per-send time over the run, in-flight sends included', 'p50 ≤ 25µs, p99 ≤ 250µs, max 1.00ms (100 sends)'],
      ['server: slow sessions closed (4008)', '2 (queue budget 1 MiB per session)'],
    ]);
    expect(rows.every((r) => r.informational && !r.triggered && r.bound === '')).toBe(true);
    expect(serverViewEvidence(withServer({ slowClientCloses: 1 }))[1]!.measured).toBe('1');
  });

  it("with phase scrapes: the oldest in-flight send at the end of stress, beside baseline's, and stress's per-send time", () => {
    const rows = serverViewEvidence(
      withServer({
        phases: [
          phase('warmup'),
          phase('baseline'),
          phase('stress', {
            sendsInFlight: 1,
            oldestInFlightUs: 6_900_000,
            dispatchQueueAgeUs: 6_900_000,
            sendDurationUs: send(25, 100, 6_900_000, 6005),
          }),
        ],
      }),
    );
    expect(rows.map((r) => [r.rule, r.measured])).toEqual([
      [
        'server: oldest in-flight send at the end of stress',
        '6.90s, 1 in flight; dispatch queue 6.90s behind (end of baseline: none in flight)',
      ],
      ['server: per-send time in stress, in-flight sends included', 'p50 ≤ 25µs, p99 ≤ 100µs, max 6.90s (6005 sends)'],
    ]);
  });

  it('a failed phase scrape is left out; an unknown max says so', () => {
    const rec = withServer({ phases: [phase('stress', { error: 'timeout' })], sendDurationUs: send(25, 250, null) });
    expect(stressScrapes(rec)).toEqual([]);
    expect(serverViewEvidence(rec)[0]!.measured).toBe('p50 ≤ 25µs, p99 ≤ 250µs, max unknown (100 sends)');
    const ok = withServer({ phases: [phase('stress', { sendDurationUs: send(25, -1, null) })] });
    expect(serverViewEvidence(ok).map((r) => r.measured)).toEqual(['none in flight', 'p50 ≤ 25µs, p99 > 10.0s, max unknown (100 sends)']);
  });
});

describe('serverDisagreement', () => {
  it('agree: nothing to say', () => {
    expect(serverDisagreement(withServer({}))).toBeUndefined();
    expect(
      serverDisagreement(
        withServer({ mode: 'legacy', phases: [phase('stress', { oldestInFlightUs: 5_000_000 })] }, { maxStallUs: 5_000_000 }),
      ),
    ).toBeUndefined();
    expect(serverDisagreement(verdictRecord({ baseline: steady(5_000), stress: steady(5_000) }))).toBeUndefined();
    expect(serverDisagreement(withServer({ error: 'x' }, { maxStallUs: 5_000_000 }))).toBeUndefined();
  });

  it('clients stalled for seconds, the server saw nothing: the delay is outside its send path', () => {
    const s = serverDisagreement(
      withServer({ phases: [phase('stress', { oldestInFlightUs: 0, sendDurationUs: send(25, 250, 50_000) })] }, { maxStallUs: 2_000_000 }),
    );
    expect(s).toBe(
      "server and clients disagree: fast clients stalled up to 2.00s in stress, but the server reports no slow send, none in flight and no dispatch backlog (longest 50.0ms): the delay is outside its per-send path (publisher, store, network, or the clients' own threads)",
    );
    // staleness counts as a client stall too; without phase scrapes the end-of-run scrape stands in
    expect(serverDisagreement(withServer({}, { maxStalenessUs: 1_000_000 }))).toMatch(
      /^server and clients disagree: fast clients stalled up to 1.00s/,
    );
    expect(serverDisagreement(withServer({}, { maxStalenessUs: 999_999 }))).toBeUndefined();
  });

  it('a legacy-like server stuck for seconds while fast clients saw nothing: check the subscriptions', () => {
    const stuck = { phases: [phase('stress', { oldestInFlightUs: 3_000_000 })] };
    expect(serverDisagreement(withServer({ ...stuck, mode: 'legacy' }, { maxStallUs: 50_000 }))).toBe(
      'server and clients disagree: the server waited 3.00s on a send or its dispatch queue in stress, but fast clients stalled at most 50.0ms: check that the clients subscribe to what the server sends, and the scrape target',
    );
    expect(
      serverDisagreement(withServer({ phases: [phase('stress', { dispatchQueueAgeUs: 3_000_000 })] }, { maxStallUs: 50_000 })),
    ).toMatch(/^server and clients disagree: the server waited 3.00s/);
    // isolated holds a stalled reader's send without delaying anyone: no disagreement
    expect(serverDisagreement(withServer({ ...stuck, mode: 'isolated' }, { maxStallUs: 50_000 }))).toBeUndefined();
    expect(serverDisagreement(withServer({ ...stuck, mode: 'legacy' }, { maxStallUs: 100_000 }))).toBeUndefined();
  });
});

describe('at the edges', () => {
  it('the unit changes at exactly 1 KiB and 1 MiB; a bucket bound of 0 is a bound', () => {
    expect([1023, 1024, 1024 * 1024 - 1, 1024 * 1024].map(formatBytes)).toEqual(['1023 B', '1 KiB', '1024 KiB', '1 MiB']);
    expect(formatBucket(0)).toBe('≤ 0µs');
  });

  it('a failed baseline scrape is not quoted; a stress scrape without per-send times gives its in-flight row only', () => {
    const rows = serverViewEvidence(
      withServer({
        phases: [phase('baseline', { error: 'timeout', sendsInFlight: 3, oldestInFlightUs: 5_000 }), phase('stress', { sendsInFlight: 2 })],
      }),
    );
    expect(rows.map((r) => [r.rule, r.measured])).toEqual([['server: oldest in-flight send at the end of stress', '0µs, 2 in flight']]);
  });

  it('no stress phase: nothing to compare, however long the server waited', () => {
    const rec = withServer({ mode: 'legacy', oldestInFlightUs: 3_000_000 }, { maxStallUs: 50_000 });
    expect(serverDisagreement(rec)).toMatch(/^server and clients disagree: the server waited 3\.00s/);
    rec.phases = rec.phases.filter((p) => p.role !== 'stress');
    expect(serverDisagreement(rec)).toBeUndefined();
  });

  it('clients stalled for seconds: the server saw nothing when its longest wait is under 100 ms, not at it', () => {
    const longest = (maxUs: number) =>
      serverDisagreement(withServer({ phases: [phase('stress', { sendDurationUs: send(25, 250, maxUs) })] }, { maxStallUs: 2_000_000 }));
    expect(longest(99_999)).toMatch(/\(longest 100\.0ms\)/);
    expect(longest(100_000)).toBeUndefined();
  });

  it('a legacy-like server stuck from 1 s, fast clients under 100 ms; its dispatch queue at the end of the run counts too', () => {
    const stuck = (waitUs: number, clientUs: number) =>
      serverDisagreement(withServer({ mode: 'legacy', phases: [phase('stress', { oldestInFlightUs: waitUs })] }, { maxStallUs: clientUs }));
    expect(stuck(1_000_000, 50_000)).toMatch(/^server and clients disagree: the server waited 1\.00s/);
    expect(stuck(999_999, 50_000)).toBeUndefined();
    expect(stuck(1_000_000, 99_999)).toMatch(/fast clients stalled at most 100\.0ms/);
    expect(serverDisagreement(withServer({ dispatchQueueAgeUs: 3_000_000 }, { maxStallUs: 50_000 }))).toMatch(
      /^server and clients disagree: the server waited 3\.00s on a send or its dispatch queue/,
    );
  });
});

describe('stressScrapes', () => {
  it('none from a run without a server scrape, or one without phase scrapes', () => {
    expect(stressScrapes(verdictRecord({ baseline: steady(5_000), stress: steady(5_000) }))).toEqual([]);
    expect(stressScrapes(withServer({}))).toEqual([]);
    expect(stressScrapes(withServer({ phases: [phase('baseline'), phase('stress')] }))).toEqual([phase('stress')]);
  });
});
