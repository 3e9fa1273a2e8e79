// What --verbose unfolds: every client with something to note gets a line (closes, refusals,
// missing events, faults, replays), the first few unremarkable ones too, the rest fold into one line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asRunRecord } from '../../src/record/loadRecord.js';
import type { ClientRecord, RunRecord } from '../../src/record/schema.js';
import { clientNotes, NOTED_CLIENTS_SHOWN, PLAIN_CLIENTS_SHOWN, renderClientDetail, renderConnectDetail, verdictDetail } from '../../src/reports/clientDetail.js';
import { makeChalk, renderSummary, renderVerdictLines } from '../../src/reports/summary.js';

const fixture = (): RunRecord =>
  asRunRecord(JSON.parse(readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8')), 'test/support/fixtures/run-record.json');

const plain = (id: number, delivered = 1000): ClientRecord => ({
  id,
  delivered,
  missing: 0,
  duplicates: 0,
  outOfOrder: 0,
  lateArrivals: 0,
  maxStallUs: 2000,
  connectUs: 1500,
  ackUs: 400,
  closedByServer: null,
});

describe('a client’s notes', () => {
  it('nothing happened: no notes', () => {
    expect(clientNotes(plain(0))).toEqual([]);
  });

  it('closed by the server with its code, reason and time; refusals; faults; replays', () => {
    expect(clientNotes({ ...plain(1), closedByServer: 4008, closeReason: 'slow client', closedAtUs: 4_200_000 })).toEqual([
      'closed by server 4008 "slow client" at 4.20s',
    ]);
    expect(clientNotes({ ...plain(2), refused: 'subscribe', closeReason: '403 forbidden', closedByServer: 1000 })).toEqual([
      'subscribe refused: 403 forbidden',
    ]);
    expect(clientNotes({ ...plain(3), duplicates: 2, outOfOrder: 1, frameFaults: { invalid_utf8: 1 } })).toEqual([
      '2 duplicates',
      '1 out of order',
      '1 invalid_utf8',
    ]);
    const replay = { fromId: 10, toId: 510, received: 500, missing: 0, duplicates: 0, outOfOrder: 0, timeToLiveUs: 250_000, ratePerSec: 2000 };
    expect(clientNotes({ ...plain(4), replay })).toEqual(['replay (10, 510]: 500 received, 0 missing, live after 250.0ms']);
    expect(clientNotes({ ...plain(4), replay: { ...replay, timeToLiveUs: NaN } })[0]).toContain('never live');
  });
});

describe('the per-client table', () => {
  it('lists notable clients always, the first few plain ones, and folds the rest of each group into one line', () => {
    const record = fixture();
    const fast = record.groups.find((g) => g.name === 'fast')!;
    fast.clientResults = [
      ...Array.from({ length: PLAIN_CLIENTS_SHOWN + 3 }, (_, i) => plain(i, 990 + i)),
      { ...plain(20), missing: 7 },
      { ...plain(21), closedByServer: 4008, closeReason: 'slow client', closedAtUs: 3_500_000 },
    ];
    record.groups.find((g) => g.name === 'stalled')!.clientResults = [{ ...plain(30, 0), missing: 598, maxStallUs: 2_990_000 }];
    const text = renderClientDetail(record, makeChalk(false));
    const rows = text.split('\n').filter((l) => /^(fast|stalled) /.test(l));
    // 5 plain fast clients, the two notable ones, the stalled one
    expect(rows).toHaveLength(PLAIN_CLIENTS_SHOWN + 3);
    expect(rows.find((r) => /^fast +20 /.test(r))).toMatch(/ 7 /);
    expect(rows.find((r) => /^fast +21 /.test(r))).toContain('closed by server 4008 "slow client" at 3.50s');
    expect(rows.find((r) => /^stalled +30 /.test(r))).toMatch(/ 598 +2\.99s/);
    expect(text).toContain(`… and 3 more fast client(s) with nothing to note: delivered ${990 + PLAIN_CLIENTS_SHOWN}–${990 + PLAIN_CLIENTS_SHOWN + 2} each`);
  });

  it('a thousand clients closed alike: the first NOTED_CLIENTS_SHOWN listed, the rest counted by how they ended', () => {
    const record = fixture();
    const fast = record.groups.find((g) => g.name === 'fast')!;
    const extra = 1000 - NOTED_CLIENTS_SHOWN;
    fast.clientResults = Array.from({ length: 1000 }, (_, i) => ({
      ...plain(i, 10),
      missing: 4,
      closedByServer: i % 2 ? 4008 : 1006,
      closeReason: i % 2 ? 'slow client' : 'connection lost',
      closedAtUs: 2_000_000,
    }));
    const text = renderClientDetail(record, makeChalk(false));
    expect(text.split('\n').filter((l) => /^fast /.test(l))).toHaveLength(NOTED_CLIENTS_SHOWN);
    expect(text).toContain(
      `… and ${extra} more fast client(s) with notes: delivered 10–10 each, max stall 2.00ms; closed 1006 ×${extra / 2}, closed 4008 ×${extra / 2}, ${4 * extra} missing in all`,
    );
  });

  it('connect and subscribe-ack times per group and phase, beside p99 from the actual send and from the intended time', () => {
    const text = renderConnectDetail(fixture());
    expect(text.split('\n')[0]).toMatch(/connect p50 \/ p99 +subscribe ack p50 \/ p99 +p99 from actual send +p99 from intended time/);
    expect(text).toMatch(/^fast +stress /m);
    expect(text).toMatch(/^stalled +stress /m);
  });

  it('the verdict’s working: the noise floor it judged against', () => {
    const lines = verdictDetail(fixture());
    expect(lines[0]).toMatch(/^noise floor 6\.88ms \(the baseline median \+ hol\.minDelta\).*for 3 of 3 stress seconds \(3 needed\)$/);
  });
});

describe('verbosity in the terminal summary', () => {
  it('verbose unfolds the per-client table and the noise floor; the default folds them', () => {
    const record = fixture();
    const normal = renderSummary(record);
    const verbose = renderSummary(record, false, { verbose: true });
    expect(normal).not.toContain('per client:');
    expect(normal).not.toContain('noise floor 6.88ms (');
    expect(verbose).toContain('per client:');
    expect(verbose).toContain('noise floor 6.88ms');
    expect(verbose).toContain('subscribe ack p50 / p99');
  });

  it('quiet: the verdict line and, for a failed run, each failed threshold; prefixed with the variant name when given', () => {
    const record = fixture();
    const lines = renderVerdictLines(record, false, false).split('\n');
    expect(lines[0]).toMatch(/^verdict: HOL — /);
    const failed = record.thresholds.filter((t) => !t.passed);
    expect(lines.slice(1)).toEqual(failed.map((t) => `  ✗ ${t.message}`));
    expect(renderVerdictLines(record, false, false, 'legacy').split('\n')[0]).toMatch(/^legacy: verdict: HOL — /);
    // a passing run is one line
    const passing = { ...record, thresholds: record.thresholds.filter((t) => t.passed) };
    expect(renderVerdictLines(passing, false, false).split('\n')).toHaveLength(1);
  });
});
