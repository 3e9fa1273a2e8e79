// Finishing a record: the verdict with the server's view as evidence, thresholds judged only when
// they can be, the warnings every output repeats (once, however often a record is finished), and a
// record made not a result after the fact.
import { describe, expect, it } from 'vitest';
import { finalizeRecord, markNotAResult, NOT_JUDGED } from '../../src/verdict/finalize.js';
import { noVerdict, type RunRecord } from '../../src/record/schema.js';
import { analyseHol } from '../../src/verdict/hol.js';
import { RULES, steady, verdictRecord } from '../support/verdictRecord.js';

const healthy = (): RunRecord => verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10) });
/** Four events against three: the verdict cannot judge a delivery ratio from so few. */
const fewEvents = (): RunRecord =>
  verdictRecord({
    baseline: steady(5_000, 4),
    stress: steady(5_000, 6),
    fastClients: 1,
    baseCounters: { arrived: 4 },
    stressCounters: { arrived: 3 },
  });

describe('finalizeRecord', () => {
  it("the verdict, followed by the server's own view as evidence", () => {
    const rec = healthy();
    rec.server = { source: 'http://127.0.0.1:1/metrics', sendDurationUs: { count: 100, p50: 25, p99: 250, max: 1_000 } };
    const out = finalizeRecord(rec, { hol: RULES, thresholds: {} });
    expect(out).toBe(rec);
    expect(out.hol.verdict).toBe('none');
    expect(out.hol.evidence.at(-1)).toMatchObject({
      rule: 'server: per-send time over the run, in-flight sends included',
      informational: true,
    });
  });

  it('thresholds are judged on a result; on a run that is not one they are measured but not judged', () => {
    const thresholds = { hol: ['index<100'] };
    const judged = finalizeRecord(healthy(), { hol: RULES, thresholds }).thresholds;
    expect(judged).toHaveLength(1);
    expect(judged[0]!.passed).toBe(true);
    expect(judged[0]!.judged).toBeUndefined();
    expect(judged[0]!.message).toMatch(/^hol: index<100: measured [\d.]+× within bound < 100×$/);

    const broken = healthy();
    broken.invalid = true;
    broken.invalidReason = 'a client worker failed';
    const out = finalizeRecord(broken, { hol: RULES, thresholds });
    expect(out.hol.verdict).toBe('invalid');
    expect(out.thresholds[0]).toMatchObject({ judged: false, message: `${judged[0]!.message} (${NOT_JUDGED})` });
    expect(out.warnings).toContain('invalid run: a client worker failed');
  });

  it('a delivery ratio the verdict could not judge is not judged as a threshold either; other hol thresholds are', () => {
    const out = finalizeRecord(fewEvents(), { hol: RULES, thresholds: { hol: ['deliveryRatio>=0.9', 'index<100'] } });
    expect(out.thresholds[0]).toMatchObject({ threshold: 'hol: deliveryRatio>=0.9', judged: false });
    expect(out.thresholds[0]!.message).toMatch(/\(not judged: too few events for a ratio to mean anything\)$/);
    expect(out.thresholds[1]).toMatchObject({ threshold: 'hol: index<100', passed: true });
    expect(out.thresholds[1]!.judged).toBeUndefined();
  });

  it('the warnings, in order, each once: finishing a record again adds none twice, and keeps the ones it had', () => {
    const rec = verdictRecord({ baseline: steady(2_000), stress: steady(2_000, 10), stressCounters: { maxStallUs: 2_000_000 } });
    rec.generator.bound = true;
    rec.generator.reasons = ['CPU 98%', 'event loop delay p99 200ms'];
    rec.generator.replayBound = true;
    rec.partial = true;
    rec.partialReason = 'stopped by Ctrl-C';
    rec.server = { source: 'http://127.0.0.1:1/metrics', sendDurationUs: { count: 100, p50: 25, p99: 250, max: 50_000 } };
    rec.warnings = ['partial run: stopped by Ctrl-C', 'the adapter saw 3 frames it could not read'];
    const expected = [
      'generator-bound: CPU 98%; event loop delay p99 200ms — these numbers measure the load generator, not the server',
      "the catch-up clients' thread was saturated: replay rates are a lower bound of what the server can replay (fast clients ran on other threads)",
      'partial run: stopped by Ctrl-C',
      expect.stringMatching(/^server and clients disagree: fast clients stalled up to 2\.00s in stress/),
      'the adapter saw 3 frames it could not read',
    ];
    expect(finalizeRecord(rec, { hol: RULES, thresholds: {} }).warnings).toEqual(expected);
    expect(finalizeRecord(rec, { hol: RULES, thresholds: {} }).warnings).toEqual(expected);
  });

  it('a healthy run has no warnings', () => {
    expect(finalizeRecord(healthy(), { hol: RULES, thresholds: {} }).warnings).toEqual([]);
  });
});

describe('markNotAResult', () => {
  it('a judged record becomes invalid; its judged thresholds become not judged, once; the reason is a warning', () => {
    const rec = finalizeRecord(fewEvents(), { hol: RULES, thresholds: { hol: ['deliveryRatio>=0.9', 'index<100'] } });
    const [ratio, index] = rec.thresholds.map((t) => ({ ...t }));
    markNotAResult(rec, 'shard 2 of 3 was partial');
    expect(rec.hol).toMatchObject({ verdict: 'invalid', summary: 'NOT A RESULT: shard 2 of 3 was partial' });
    expect(rec.thresholds).toEqual([ratio, { ...index, judged: false, message: `${index!.message} (${NOT_JUDGED})` }]);
    expect(rec.warnings.at(-1)).toBe('NOT A RESULT: shard 2 of 3 was partial');
  });

  it('an invalid record keeps its own verdict and summary', () => {
    const rec = healthy();
    rec.invalid = true;
    rec.invalidReason = 'a client worker failed';
    finalizeRecord(rec, { hol: RULES, thresholds: {} });
    const summary = rec.hol.summary;
    markNotAResult(rec, 'shard 2 of 3 was partial');
    expect(rec.hol).toMatchObject({ verdict: 'invalid', summary });
    expect(summary).not.toMatch(/shard 2/);
  });
});

describe('noVerdict: a verdict without figures, written once', () => {
  it('is what a record carried before it was judged, and a new object each time (evidence is appended to)', () => {
    const empty = { verdict: 'unknown', index: null, p50Index: null, stallIndex: null, deliveryRatio: null, evidence: [], summary: '' };
    expect(noVerdict()).toEqual(empty);
    const a = noVerdict();
    a.evidence.push({ id: 'tested', rule: 'r', measured: 'm', bound: 'b', triggered: false });
    expect(noVerdict().evidence).toEqual([]);
    expect(noVerdict('invalid', 'NOT A RESULT: x')).toEqual({ ...empty, verdict: 'invalid', summary: 'NOT A RESULT: x' });
  });

  it("is the verdict's answer when it has nothing to judge, and a shard's before merging", () => {
    const noStress = healthy();
    noStress.phases = noStress.phases.filter((p) => p.role !== 'stress');
    expect(analyseHol(noStress, RULES)).toEqual(
      noVerdict('unknown', 'no verdict: the scenario has no fast group in both a baseline and a stress phase'),
    );
    const shard = healthy();
    shard.scenario.spec = { ...shard.scenario.spec, hol: RULES, thresholds: {} } as RunRecord['scenario']['spec'];
    shard.shard = { index: 1, count: 2 };
    finalizeRecord(shard, shard.scenario.spec);
    expect({ ...shard.hol, summary: '' }).toEqual(noVerdict());
    expect(shard.hol.summary).toMatch(/^shard 1\/2: measured, no verdict — merge the shards/);
  });
});
