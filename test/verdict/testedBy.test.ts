// Tested, or not a none: a slow reader tested the server only when the server pushed back on it after
// it was subscribed (a refusal is not pushback); a catch-up client when it connected in stress and
// was replayed a backlog; churn when it connected in stress.
import { describe, expect, it } from 'vitest';
import { analyseHol } from '../../src/verdict/hol.js';
import type { GroupResult, RunRecord } from '../../src/record/schema.js';
import { RULES, steady, verdictRecord, type VerdictSpec } from '../support/verdictRecord.js';

// baseline runs 1 s → 9 s after t0, stress 9 s → 19 s
const STRESS_US = 9_000_000;
const record = (spec: Partial<VerdictSpec> = {}) =>
  verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), ages: () => 2_000, ...spec });
const testedRow = (r: ReturnType<typeof analyseHol>) => r.evidence.find((e) => e.id === 'tested')!;
const CLOSED = {
  reachedAtUs: STRESS_US + 1_000_000,
  how: 'closed' as const,
  owedBytes: 0,
  rxMaxBytes: 0,
  serverTxMaxBytes: null,
  heldMaxBytes: 0,
};

describe('a slow group the server closed or refused', () => {
  it('closed by the server (4008) after its backlog grew: tested, and none', () => {
    const rec = record({ pushback: CLOSED });
    Object.assign(rec.groups[1]!.clientResults[0]!, {
      closedByServer: 4008,
      closeReason: 'slow client',
      closedAtUs: STRESS_US + 1_000_000,
    });
    const r = analyseHol(rec, RULES);
    expect(r.tested!.tested).toBe(true);
    expect(r.verdict).toBe('none');
  });

  it('refused at connect: it did not test, whatever its pushback record says — inconclusive, with that reason', () => {
    const rec = record({ pushback: { ...CLOSED, reachedAtUs: STRESS_US } });
    Object.assign(rec.groups[1]!.clientResults[0]!, {
      refused: 'connect',
      closeReason: 'Unexpected server response: 429',
      closedAtUs: STRESS_US,
    });
    const r = analyseHol(rec, RULES);
    expect(r.tested!.tested).toBe(false);
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toMatch(/stalled #10: connect refused, never connected: did not test/);
    expect(testedRow(r).measured).toMatch(/never connected: did not test/);
  });

  it('subscription refused: did not test either', () => {
    const rec = record({ pushback: CLOSED });
    Object.assign(rec.groups[1]!.clientResults[0]!, { refused: 'subscribe', closedByServer: 1000 });
    const r = analyseHol(rec, RULES);
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toMatch(/subscription refused, never connected/);
  });
});

/** The stalled group turned into a catch-up or churn group whose clients connected `connects` times in each named phase. */
function other(rec: RunRecord, kind: 'catchup' | 'churn', connects: Record<string, number>, replayed = 1_000): RunRecord {
  const g = structuredClone(rec.groups[1]!) as GroupResult;
  g.name = kind;
  g.kind = kind;
  delete g.behaviour;
  for (const [name, p] of Object.entries(g.phases)) p.connectUs = { ...p.connectUs, count: connects[name] ?? 0 };
  g.phases.stress!.clients = 1;
  for (const c of g.clientResults) delete c.pushback;
  if (kind === 'catchup')
    g.replay = {
      expected: 1_000,
      received: replayed,
      missing: 1_000 - replayed,
      duplicates: 0,
      outOfOrder: 0,
      ratePerSec: 5_000,
      timeToLiveUsMax: 200_000,
    };
  rec.groups[1] = g;
  return rec;
}

describe('catch-up and churn count by what they did in stress', () => {
  it('a catch-up client that connected in stress and was replayed its backlog: tested', () => {
    const r = analyseHol(other(record(), 'catchup', { stress: 1 }), RULES);
    expect(r.tested).toEqual({
      tested: true,
      detail: 'catchup connected 1 times in stress and was replayed 1000 of 1000 backlogged events',
    });
    expect(r.verdict).toBe('none');
  });

  it('a catch-up client that connected (and replayed) before stress: no replay pressed on stress — inconclusive', () => {
    const r = analyseHol(other(record(), 'catchup', { warmup: 1 }), RULES);
    expect(r.tested!.tested).toBe(false);
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toMatch(/no catch-up client connected during stress/);
  });

  it('a catch-up client in stress that was replayed nothing: inconclusive', () => {
    expect(analyseHol(other(record(), 'catchup', { stress: 1 }, 0), RULES).verdict).toBe('inconclusive');
  });

  it('churn counts its connects in stress only', () => {
    const inStress = analyseHol(other(record(), 'churn', { baseline: 40, stress: 50 }), RULES);
    expect(inStress.tested).toEqual({ tested: true, detail: 'churn connected 50 times in stress' });
    const before = analyseHol(other(record(), 'churn', { warmup: 10, baseline: 40 }), RULES);
    expect(before.tested!.tested).toBe(false);
    expect(before.verdict).toBe('inconclusive');
  });
});
