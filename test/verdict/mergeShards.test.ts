// evbench merge: two shards merged equal, count for count, a record built from both shards' samples;
// mismatched inputs (including shards that did not start together) are refused with one line and
// exit 2; a shard that is not a result makes the merged verdict invalid (exit 4).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkShards,
  DEFAULT_MAX_T0_SKEW_US,
  mergeShards,
  scheduleOffsetUs,
  startedTogether,
  type ShardInput,
} from '../../src/verdict/mergeShards.js';
import { finalizeRecord } from '../../src/verdict/finalize.js';
import { runStatus } from '../../src/reports/outcomes.js';
import { renderSummary, renderVerdictLines } from '../../src/reports/summary.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { renderJunit } from '../../src/reports/junit.js';
import type { RunRecord } from '../../src/record/schema.js';
import { UserError } from '../../src/util/errors.js';
import { combineSamples, generateSamples, recordFromSamples } from '../support/fixtureRecord.js';
import { countsOf } from '../support/histogramCounts.js';
import { killAll, runCli } from '../support/cli.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
/** The built CLI (dist/) cannot see a mutant of src/: Stryker's runs skip these cases (vitest.mutate.config.ts). */
const describeCli = process.env.EVBENCH_MUTATION_RUN ? describe.skip : describe;
const tmp = tempDir('merge');
const a = generateSamples(11, 3);
const b = generateSamples(12, 2);
const shard0 = recordFromSamples(a, { shard: { index: 0, count: 2 } });
const shard1 = recordFromSamples(b, { shard: { index: 1, count: 2 } });
const whole = recordFromSamples(combineSamples(a, b));

describe('merge of two shards', () => {
  // merged in a hook, not while the file loads: a merge that throws must fail these tests
  let merged: RunRecord;
  beforeAll(() => {
    merged = mergeShards([
      { source: 'shard1.json', record: shard1 },
      { source: 'shard0.json', record: shard0 },
    ]);
  });

  it("equals, count for count, the record built from both shards' histograms", () => {
    expect(merged.groups.map((g) => g.name)).toEqual(whole.groups.map((g) => g.name));
    for (const g of whole.groups) {
      const m = merged.groups.find((x) => x.name === g.name)!;
      expect(m.clients).toBe(g.clients);
      for (const [phase, p] of Object.entries(g.phases)) {
        const mp = m.phases[phase]!;
        for (const k of ['histogram', 'uncorrectedHistogram', 'connectHistogram', 'ackHistogram'] as const) {
          expect(countsOf(mp[k]), `${g.name}/${phase} ${k}`).toEqual(countsOf(p[k]));
        }
        const { histogram, uncorrectedHistogram, connectHistogram, ackHistogram, ...numbers } = p;
        const { histogram: h2, uncorrectedHistogram: u2, connectHistogram: c2, ackHistogram: a2, ...mergedNumbers } = mp;
        expect(mergedNumbers, `${g.name}/${phase}`).toEqual(numbers);
        expect(countsOf(mp.histogram).reduce((s, [, c]) => s + c, 0)).toBe(p.latencyUs.count);
      }
    }
    for (const iv of whole.intervals) {
      const m = merged.intervals.find((x) => x.group === iv.group && x.startUs === iv.startUs)!;
      expect({ ...m, histogram: countsOf(m.histogram) }).toEqual({ ...iv, histogram: countsOf(iv.histogram) });
    }
  });

  it('re-evaluates the HOL verdict and the thresholds on the merged record', () => {
    // the rules; the server's own view (informational rows) goes with the server, which embedded shards do not share
    const rules = (h: typeof whole.hol) => ({ ...h, evidence: h.evidence.filter((e) => !e.informational) });
    expect(rules(merged.hol)).toEqual(rules(whole.hol));
    expect('server' in merged).toBe(false);
    expect(merged.thresholds).toEqual(whole.thresholds);
    // a shard alone does not see what the whole run saw
    expect(shard0.thresholds.map((t) => t.message)).not.toEqual(merged.thresholds.map((t) => t.message));
    expect(merged.shard).toBeUndefined();
    expect(merged.mergedFrom).toEqual({ shards: 2, sources: ['shard0.json', 'shard1.json'] });
    expect(merged.generator.publisher.sent).toBe(2 * shard0.generator.publisher.sent);
  });
});

describe('shards must start together', () => {
  /** Shard records of a 1 event/s run: shard 1's schedule puts its t0 a whole second after shard 0's. */
  const slowRate = (r: RunRecord, t0Us: number): RunRecord => {
    const x = structuredClone(r);
    x.scenario.spec.publisher.rate = 1;
    x.t0Us = t0Us;
    return x;
  };
  const t0 = shard0.t0Us;
  const merge = (a: RunRecord, b: RunRecord, maxT0SkewUs?: number): RunRecord =>
    mergeShards(
      [
        { source: 'a.json', record: a },
        { source: 'b.json', record: b },
      ],
      maxT0SkewUs === undefined ? {} : { maxT0SkewUs },
    );

  it('shard i is offset by i/rate: that offset is not skew', () => {
    expect(scheduleOffsetUs(slowRate(shard1, t0))).toBe(1_000_000);
    expect(scheduleOffsetUs(shard1)).toBe(5000); // 200 events/s
    const thirds = structuredClone(shard1);
    thirds.scenario.spec.publisher.rate = 3;
    expect(scheduleOffsetUs(thirds)).toBe(333_333); // whole microseconds, as the schedule sets them
    thirds.scenario.spec.publisher.rate = 0;
    expect(scheduleOffsetUs(thirds)).toBe(0);
    // 1.5 s apart, of which 1 s is shard 1's schedule offset: 0.5 s of skew, accepted
    expect(merge(slowRate(shard0, t0), slowRate(shard1, t0 + 1_500_000)).t0Us).toBe(t0);
  });

  it('refuses a skew beyond the tolerance (default 1 s), naming both shards in one line', () => {
    expect(DEFAULT_MAX_T0_SKEW_US).toBe(1_000_000);
    expect(() => merge(slowRate(shard0, t0), slowRate(shard1, t0 + 2_200_000))).toThrow(
      /^merge: shards did not start together: shard 1\/2 \(b\.json, t0 2026-01-02T03:04:08\.200000Z\) started 1\.20s after shard 0\/2 \(a\.json, t0 2026-01-02T03:04:06\.000000Z\) \(schedule offsets removed\), more than the 1\.00s tolerance \(--max-t0-skew\): start every shard of a run at once$/,
    );
    // a shard that started early is named first
    expect(() => merge(slowRate(shard0, t0 + 3_000_000), slowRate(shard1, t0))).toThrow(
      /shard 0\/2 \(a\.json.*\) started 4\.00s after shard 1\/2 \(b\.json/,
    );
    // at the tolerance exactly, they started together
    expect(merge(slowRate(shard0, t0), slowRate(shard1, t0 + 2_000_000)).t0Us).toBe(t0);
    expect(() => merge(slowRate(shard0, t0), slowRate(shard1, t0 + 2_000_001))).toThrow(/started 1\.00s after/);
    // the tolerance is a choice the user can make stricter
    expect(() => merge(slowRate(shard0, t0), slowRate(shard1, t0 + 1_500_000), 400_000)).toThrow(
      /started 500\.0ms after .* more than the 400\.0ms tolerance/,
    );
  });
});

describe('a shard gives no verdict of its own', () => {
  const SHARD_LINE =
    'shard 0/2: measured, no verdict — merge the shards: evbench merge fixture.legacy.shard-*-of-2.json -o fixture.legacy.json';

  it('the same measurements judged whole are HOL; a shard of them says which shard it is and how to merge', () => {
    expect(whole.hol.verdict).toBe('hol');
    expect(shard0.hol).toEqual({
      verdict: 'unknown',
      index: null,
      p50Index: null,
      stallIndex: null,
      deliveryRatio: null,
      evidence: [],
      summary: SHARD_LINE,
    });
  });

  it('its thresholds are measured but not judged, so it passes (exit 0) where the whole fails, with or without --fail-on-hol', () => {
    expect(whole.thresholds.some((t) => t.judged !== false && !t.passed)).toBe(true);
    expect(runStatus(whole, false)).toBe('failed');
    expect(shard0.thresholds.length).toBe(whole.thresholds.length);
    for (const t of shard0.thresholds) {
      expect(t.judged).toBe(false);
      expect(t.message).toMatch(/ \(not judged: shard 0\/2 alone; evbench merge judges the whole run\)$/);
    }
    expect(runStatus(shard0, false)).toBe('passed');
    expect(runStatus(shard0, true)).toBe('passed');
  });

  it('a shard that is not a result still says so: the merge needs to know', () => {
    const failed = finalizeRecord({ ...structuredClone(shard0), invalid: true, invalidReason: 'worker 2 exited' }, shard0.scenario.spec);
    expect(failed.hol).toMatchObject({ verdict: 'invalid', summary: 'NOT A RESULT: worker 2 exited', index: null, evidence: [] });
    expect(runStatus(failed, false)).toBe('not a result');
    expect(renderVerdictLines(failed)).toBe('shard 0/2: NOT A RESULT: worker 2 exited');
  });

  it('its summary, quiet line, Markdown and JUnit print no verdict: the shard line, checks skipped', () => {
    const summary = renderSummary(shard0);
    expect(summary).not.toMatch(/verdict:/i);
    expect(summary).toContain(`\n${SHARD_LINE}\n`);
    expect(summary.split('\n')[0]).toMatch(/, shard 0\/2$/);
    expect(renderVerdictLines(shard0, false, true)).toBe(SHARD_LINE);
    expect(renderSummary(whole)).toContain(`verdict: HOL — ${whole.hol.summary}`);
    const md = renderMarkdown(shard0);
    expect(md).toContain('## evbench: fixture — 📏 measured, no verdict (a shard)');
    expect(md).not.toContain('**Verdict:');
    const junit = renderJunit(shard0);
    expect(junit).toContain(`skipped="${shard0.thresholds.length}"`);
    expect(junit).toContain('errors="0"');
    expect(junit).not.toContain('<error');
    expect(junit.match(/<skipped message="shard 0\/2: measured, no verdict/g)).toHaveLength(shard0.thresholds.length);
    // the whole run's JUnit still fails
    expect(renderJunit(whole)).toContain('<failure');
  });
});

describe('shards given one --start-at', () => {
  const AT = '2026-01-02T03:04:06.000Z'; // the fixture's t0
  const given = (r: RunRecord, startAt: string, t0Us = r.t0Us): RunRecord => ({ ...structuredClone(r), startAt, t0Us });
  const pair = (a: RunRecord, b: RunRecord): ShardInput[] => [
    { source: 'a.json', record: a },
    { source: 'b.json', record: b },
  ];

  it('the merged record keeps the instant, and merge says they started together at it', () => {
    const inputs = pair(given(shard0, AT), given(shard1, AT));
    expect(mergeShards(inputs).startAt).toBe(AT);
    expect(startedTogether(inputs)).toBe(`started together at ${AT} (--start-at)`);
  });

  it('a shard given none: no instant in the merged record; merge says how close their t0 were', () => {
    const inputs = pair(given(shard0, AT), shard1);
    expect(Object.hasOwn(mergeShards(inputs), 'startAt')).toBe(false);
    // shard 1's t0 is the fixture's; its schedule offset (5 ms at 200 events/s) removed, 5 ms before shard 0's
    expect(startedTogether(inputs)).toBe('started within 5.00ms of each other (schedule offsets removed)');
  });

  it('instants further apart than the tolerance are refused, naming both; within it, the earliest is kept', () => {
    const later = '2026-01-02T03:04:08.000Z';
    expect(() => mergeShards(pair(given(shard0, AT), given(shard1, later)))).toThrow(
      `merge: shards were told to start at different instants: shard 1/2 (b.json) at ${later}, 2.00s after shard 0/2 (a.json) at ${AT}, more than the 1.00s tolerance (--max-t0-skew): give every shard of a run the same --start-at`,
    );
    expect(mergeShards(pair(given(shard0, '2026-01-02T03:04:06.500Z'), given(shard1, AT))).startAt).toBe(AT);
  });
});

describe('a shard that is not a result', () => {
  it.each([
    [
      'generator-bound',
      (r: RunRecord) => ({ ...r, generator: { ...r.generator, bound: true, reasons: ['publisher event-loop delay p99 41ms (≥ 20ms)'] } }),
      /^NOT A RESULT: shard 1\/2: generator-bound \(publisher event-loop delay p99 41ms/,
    ],
    [
      'with an invalid verdict',
      (r: RunRecord) => ({ ...r, hol: { ...r.hol, verdict: 'invalid' as const, summary: 'lost the data it needs' } }),
      /^NOT A RESULT: shard 1\/2: verdict invalid \(lost the data it needs\)/,
    ],
    [
      'with a failed worker',
      (r: RunRecord) => ({ ...r, invalid: true, invalidReason: 'worker 2 exited' }),
      /^NOT A RESULT: shard 1\/2: (invalid run \()?worker 2 exited/,
    ],
  ])('%s: the merged verdict is invalid, never re-derived as a pass', (_name, spoil, summary) => {
    const merged = mergeShards([
      { source: 'shard0.json', record: shard0 },
      { source: 'shard1.json', record: spoil(structuredClone(shard1)) },
    ]);
    expect(merged.hol.verdict).toBe('invalid');
    expect(merged.hol.summary).toMatch(summary);
    expect(merged.warnings.some((w) => w.startsWith('NOT A RESULT: shard 1/2'))).toBe(true);
  });
});

describeCli('evbench merge (CLI)', () => {
  const write = (name: string, data: unknown): string => {
    const f = join(tmp, name);
    writeFileSync(f, JSON.stringify(data));
    return f;
  };
  const s0 = write('s0.json', shard0);
  const s1 = write('s1.json', shard1);

  it('writes the merged record and its reports; exit 1 because the merged thresholds fail', async () => {
    const out = join(tmp, 'out', 'merged.json');
    const r = await runCli(['merge', s0, s1, '-o', out, '--report', 'md,junit']);
    expect(r.stderr).toContain('merged 2 shards');
    expect(r.code).toBe(1);
    const merged = JSON.parse(readFileSync(out, 'utf8'));
    expect(merged.mergedFrom.shards).toBe(2);
    expect(readFileSync(join(tmp, 'out', 'fixture.legacy.junit.xml'), 'utf8')).toContain('<failure');
  });

  it('-q: the merged verdict line and the failed thresholds only, same exit code; -v: each client across the shards', async () => {
    const out = join(tmp, 'out-quiet', 'merged.json');
    const quiet = await runCli(['merge', s0, s1, '-o', out, '-q']);
    expect(quiet.code).toBe(1);
    const merged = JSON.parse(readFileSync(out, 'utf8')) as RunRecord;
    const lines = quiet.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`verdict: HOL — ${merged.hol.summary}`);
    expect(lines.slice(1)).toEqual(merged.thresholds.filter((t) => !t.passed).map((t) => `  ✗ ${t.message}`));
    const verbose = await runCli(['merge', s0, s1, '-o', join(tmp, 'out-verbose', 'merged.json'), '-v']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toContain('per client:');
    // the shards' clients, numbered anew across the merge
    for (const c of merged.groups[0]!.clientResults.slice(0, 5))
      expect(verbose.stderr).toMatch(new RegExp(`^${merged.groups[0]!.name} +${c.id} +${c.delivered} `, 'm'));
    expect(verbose.stderr).toContain('latency over time: p99 per second');
    expect(verbose.stderr).toContain('merged 2 shards');
  });

  it('a generator-bound shard: the merged record is written, its verdict invalid, exit 4', async () => {
    const bound = write('bound1.json', {
      ...shard1,
      generator: { ...shard1.generator, bound: true, reasons: ['client worker 1 event-loop delay p99 23ms (≥ 20ms)'] },
    });
    const out = join(tmp, 'out-bound', 'merged.json');
    const r = await runCli(['merge', s0, bound, '-o', out]);
    expect(r.code).toBe(4);
    expect(JSON.parse(readFileSync(out, 'utf8')).hol.verdict).toBe('invalid');
  });

  it.each([
    [
      'shards that did not start together',
      () => [s0, write('late1.json', { ...shard1, t0Us: shard1.t0Us + 5_000_000 })],
      /merge: shards did not start together: shard 1\/2 \(.*late1\.json, t0 .*\) started 5\.00s after shard 0\/2 \(.*s0\.json/,
    ],
    [
      'a scenario that differs',
      () => [s0, write('other.json', { ...shard1, scenario: { ...shard1.scenario, name: 'other' } })],
      /other\.json: scenario "other" differs from "fixture" in .*s0\.json: records from different scenarios do not merge/,
    ],
    ['a shard given twice', () => [s0, s0], /shard 0\/2 given twice/],
    ['a missing shard', () => [s0, write('s0of3.json', { ...shard0, shard: { index: 0, count: 3 } })], /shard 0\/3 does not belong with/],
    [
      'shards missing from the set',
      () => [
        write('a3.json', { ...shard0, shard: { index: 0, count: 3 } }),
        write('b3.json', { ...shard1, shard: { index: 1, count: 3 } }),
      ],
      /merge: shard 2\/3 missing/,
    ],
    ['a record that is not a shard', () => [s0, write('whole.json', whole)], /whole\.json: not a shard/],
    [
      'a corrupt file',
      () => [s0, write('corrupt.json', { tool: { name: 'evbench' }, schemaVersion: 1 })],
      /corrupt\.json: corrupt run record: field "scenario" is missing/,
    ],
  ])('refuses %s (exit 2, one line)', async (_name, files, message) => {
    const r = await runCli(['merge', ...files(), '-o', join(tmp, 'never.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('shards that do not belong together are refused, each with one line that names them', () => {
  const pair = (x: RunRecord, y: RunRecord): ShardInput[] => [
    { source: 'a.json', record: x },
    { source: 'b.json', record: y },
  ];
  const other = (change: (r: RunRecord) => void): RunRecord => {
    const r = structuredClone(shard1);
    change(r);
    return r;
  };

  it('fewer than two records, a merged record, a record that is not a shard', () => {
    expect(() => checkShards([{ source: 'a.json', record: shard0 }])).toThrow(UserError);
    expect(() => checkShards([{ source: 'a.json', record: shard0 }])).toThrow('merge: give at least two shard records (got 1)');
    expect(() =>
      checkShards(
        pair(
          shard0,
          other((r) => (r.mergedFrom = { shards: 2, sources: [] })),
        ),
      ),
    ).toThrow('b.json: already a merged record (merge the original shards instead)');
    expect(() =>
      checkShards(
        pair(
          shard0,
          other((r) => delete r.shard),
        ),
      ),
    ).toThrow('b.json: not a shard (no "shard" field; run each part with --shard i/N)');
    expect(() =>
      checkShards(
        pair(
          other((r) => delete r.shard),
          shard1,
        ),
      ),
    ).toThrow('a.json: not a shard');
  });

  it('another scenario, or the same name with other phases or groups', () => {
    expect(() =>
      checkShards(
        pair(
          shard0,
          other((r) => (r.scenario = { ...r.scenario, name: 'other' })),
        ),
      ),
    ).toThrow('b.json: scenario "other" differs from "fixture" in a.json: records from different scenarios do not merge');
    const differs = 'b.json: phases or groups differ from a.json (same scenario name, different scenario): records do not merge';
    expect(() =>
      checkShards(
        pair(
          shard0,
          other((r) => (r.phases[2]!.durationUs += 1_000_000)),
        ),
      ),
    ).toThrow(differs);
    expect(() =>
      checkShards(
        pair(
          shard0,
          other((r) => (r.phases[1]!.role = 'stress')),
        ),
      ),
    ).toThrow(differs);
    expect(() =>
      checkShards(
        pair(
          shard0,
          other((r) => (r.groups[1]!.kind = 'fast')),
        ),
      ),
    ).toThrow(differs);
  });

  it('shards of different splits, a shard given twice, shards missing from the set', () => {
    expect(() =>
      checkShards(
        pair(
          shard0,
          other((r) => (r.shard = { index: 1, count: 3 })),
        ),
      ),
    ).toThrow('b.json: shard 1/3 does not belong with a.json (shard 0/2)');
    expect(() => checkShards(pair(shard0, shard0))).toThrow('b.json: shard 0/2 given twice (also a.json)');
    const of = (r: RunRecord, index: number, count: number): RunRecord => ({ ...r, shard: { index, count } });
    expect(() => checkShards(pair(of(shard0, 0, 3), of(shard1, 1, 3)))).toThrow(
      /^merge: shard 2\/3 missing: a verdict on part of the load would mislead$/,
    );
    expect(() => checkShards(pair(of(shard0, 0, 4), of(shard1, 3, 4)))).toThrow(/^merge: shards 1\/4, 2\/4 missing: /);
    expect(() => checkShards(pair(shard1, shard0))).not.toThrow();
  });
});

describe('what the merged record says about the run as a whole', () => {
  const both = (change0: (r: RunRecord) => void, change1: (r: RunRecord) => void): RunRecord => {
    const [a, b] = [structuredClone(shard0), structuredClone(shard1)];
    change0(a);
    change1(b);
    return mergeShards([
      { source: 'shard0.json', record: a },
      { source: 'shard1.json', record: b },
    ]);
  };
  const same = (): void => undefined;

  it("the generator: the worst of each figure, the publishers' counts added, any bound shard with its reasons", () => {
    const merged = both(
      (r) => {
        r.generator = {
          ...r.generator,
          cpuPercent: 30,
          cores: 8,
          eventLoopDelayP99Us: 5_000,
          eventLoopUtilization: 0.5,
          publisher: { sent: 100, latenessP99Us: 10, latenessMaxUs: 900, lateEvents: 2, prefilled: 3 },
          replayBound: false,
        };
      },
      (r) => {
        r.generator = {
          ...r.generator,
          cpuPercent: 60,
          cores: 4,
          eventLoopDelayP99Us: 3_000,
          eventLoopUtilization: 0.7,
          publisher: { sent: 50, latenessP99Us: 20, latenessMaxUs: 100, lateEvents: 5, prefilled: 4 },
          bound: true,
          reasons: ['client worker 1 busy'],
          replayBound: true,
        };
      },
    );
    expect(merged.generator).toMatchObject({
      cpuPercent: 60,
      cores: 8,
      eventLoopDelayP99Us: 5_000,
      eventLoopUtilization: 0.7,
      publisher: { sent: 150, latenessP99Us: 20, latenessMaxUs: 900, lateEvents: 7, prefilled: 7 },
      bound: true,
      reasons: ['shard 1/2: client worker 1 busy'],
      replayBound: true,
    });
    expect(both(same, same).generator).toMatchObject({ bound: false, reasons: [], replayBound: false });
  });

  it("each shard's warnings, partial and invalid reasons, named by shard", () => {
    const merged = both(
      (r) => {
        r.warnings = ['w0'];
        r.partial = true;
        r.invalid = true;
      },
      (r) => {
        r.warnings = ['w1', 'w2'];
        r.partial = true;
        r.partialReason = 'interrupted';
        r.invalid = true;
        r.invalidReason = 'worker 2 exited';
      },
    );
    expect(merged.warnings.filter((w) => w.startsWith('shard '))).toEqual(['shard 0/2: w0', 'shard 1/2: w1', 'shard 1/2: w2']);
    expect(merged).toMatchObject({
      partial: true,
      partialReason: 'shard 0/2: stopped early; shard 1/2: interrupted',
      invalid: true,
      invalidReason: 'shard 0/2: a worker failed; shard 1/2: worker 2 exited',
    });
    const clean = both(same, same);
    expect(clean).toMatchObject({ partial: false, invalid: false });
    expect('partialReason' in clean || 'invalidReason' in clean).toBe(false);
  });

  it('the earliest start, the longest duration, every worker, every client numbered anew', () => {
    const merged = both(
      (r) => (r.workers = 3),
      (r) => {
        r.startedAt = '2026-01-02T03:04:04.500Z';
        r.durationUs = 7_000_000;
      },
    );
    expect(merged).toMatchObject({ startedAt: '2026-01-02T03:04:04.500Z', durationUs: 7_000_000, workers: 5 });
    const fast = merged.groups.find((g) => g.name === 'fast')!;
    expect(fast.clientResults.map((c) => c.id)).toEqual([0, 1, 2, 3, 4]);
    // the intervals in clock order
    const starts = merged.intervals.map((i) => i.startUs);
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
    expect(starts[0]).toBeLessThan(starts.at(-1)!);
    expect('behaviour' in fast).toBe(false);
    expect(merged.groups.find((g) => g.name === 'stalled')!.behaviour).toBe('stall');
  });

  it("a replay is summed over the shards that had one (the rate is the middle shard's); none stays none", () => {
    const replay = (received: number, ratePerSec: number) => ({
      expected: 100,
      received,
      missing: 100 - received,
      duplicates: 0,
      outOfOrder: 0,
      ratePerSec,
      timeToLiveUsMax: 5_000,
    });
    const one = both((r) => (r.groups[1]!.replay = replay(90, 1_000)), same);
    expect(one.groups[1]!.replay).toEqual(replay(90, 1_000));
    const two = both(
      (r) => (r.groups[1]!.replay = replay(90, 1_000)),
      (r) => (r.groups[1]!.replay = replay(80, 3_000)),
    );
    expect(two.groups[1]!.replay).toMatchObject({ expected: 200, received: 170, missing: 30, ratePerSec: 3_000 });
    expect('replay' in both(same, same).groups[1]!).toBe(false);
  });

  it('a phase a group had in any shard is merged from the shards that had it; one it had in none stays absent', () => {
    const one = both((r) => delete r.groups[0]!.phases.warmup, same);
    const { clients, delivered } = shard1.groups[0]!.phases.warmup!;
    expect(one.groups[0]!.phases.warmup).toMatchObject({ clients, delivered });
    const none = both(
      (r) => delete r.groups[1]!.phases.warmup,
      (r) => delete r.groups[1]!.phases.warmup,
    );
    expect('warmup' in none.groups[1]!.phases).toBe(false);
  });

  it("one server shared by every shard (a URL target): the last scrape, which saw every shard's load", () => {
    const scrape = (source: string, count: number) => ({ source, sendDurationUs: { count, p50: 100, p99: 200, max: 300 } });
    const url = (r: RunRecord, count: number, source = 'http://10.0.0.1:8080/metrics') => {
      r.target = { ...r.target, kind: 'url' };
      r.server = scrape(source, count);
    };
    const PER_SHARD = 'each shard scraped its own server: server-side metrics are per shard (see the shard records), not merged';
    for (const [c0, c1] of [
      [10, 30],
      [30, 10],
    ])
      expect(
        both(
          (r) => url(r, c0!),
          (r) => url(r, c1!),
        ).server!.sendDurationUs!.count,
      ).toBe(30);
    expect(
      both(
        (r) => url(r, 10),
        (r) => url(r, 30),
      ).warnings,
    ).not.toContain(PER_SHARD);
    // two servers, or embedded shards (each spawned its own, whatever its address): not merged, and said so
    const two = both(
      (r) => url(r, 10),
      (r) => url(r, 30, 'http://10.0.0.2:8080/metrics'),
    );
    expect('server' in two).toBe(false);
    expect(two.warnings).toContain(PER_SHARD);
    const embedded = both(
      (r) => (r.server = scrape('x', 10)),
      (r) => (r.server = scrape('x', 30)),
    );
    expect('server' in embedded).toBe(false);
    expect(embedded.warnings).toContain(PER_SHARD);
    // no server scraped at all: nothing to say
    const unscraped = both(
      (r) => delete r.server,
      (r) => delete r.server,
    );
    expect('server' in unscraped).toBe(false);
    expect(unscraped.warnings).not.toContain(PER_SHARD);
  });
});

describe('three shards, and shards that differ from each other', () => {
  const three = (): ShardInput[] =>
    [shard0, shard1, recordFromSamples(generateSamples(13, 2), { shard: { index: 2, count: 3 } })].map((r, index) => ({
      source: `s${index}.json`,
      // each shard's t0 as its schedule sets it (index/rate later): started together
      record: { ...structuredClone(r), shard: { index, count: 3 }, t0Us: r.t0Us + scheduleOffsetUs({ ...r, shard: { index, count: 3 } }) },
    }));

  it('the latest start is named against the earliest, whichever shard it is', () => {
    const inputs = three();
    inputs[1]!.record.t0Us += 3_000_000;
    expect(() => checkShards(inputs)).toThrow(/^merge: shards did not start together: shard 1\/3 \(s1\.json.* after shard 0\/3 \(s0\.json/);
  });

  it('the server shared by all: the scrape that saw the most sends (one without a send histogram saw none)', () => {
    const inputs = three();
    const counts = [undefined, 30, 10];
    inputs.forEach(({ record }, i) => {
      record.target = { ...record.target, kind: 'url' };
      record.server = {
        source: 'http://10.0.0.1:8080/metrics',
        ...(counts[i] ? { sendDurationUs: { count: counts[i]!, p50: 1, p99: 2, max: 3 } } : {}),
      };
    });
    expect(mergeShards(inputs).server!.sendDurationUs!.count).toBe(30);
  });

  it('every shard that is not a result is named', () => {
    const inputs = three();
    inputs[0]!.record.invalid = true;
    inputs[2]!.record.invalid = true;
    expect(mergeShards(inputs).warnings.filter((w) => w.startsWith('NOT A RESULT: '))).toEqual([
      expect.stringMatching(/^NOT A RESULT: shard 0\/3: invalid run .*; shard 2\/3: invalid run /),
    ]);
  });

  it('one partial, invalid or scraped shard is enough to say so', () => {
    const inputs = three();
    inputs[1]!.record.partial = true;
    inputs[2]!.record.invalid = true;
    for (const { record } of inputs.slice(1)) delete record.server;
    const merged = mergeShards(inputs);
    expect(merged).toMatchObject({ partial: true, invalid: true });
    expect('server' in merged).toBe(false);
    expect(merged.warnings).toContain(
      'each shard scraped its own server: server-side metrics are per shard (see the shard records), not merged',
    );
  });

  it('intervals only some shards had are merged in clock order; a merge of clean, unscraped shards warns of nothing', () => {
    const inputs = three();
    for (const { record } of inputs) delete record.server;
    inputs[0]!.record.intervals = inputs[0]!.record.intervals.filter((i) => i.startUs > 0);
    const merged = mergeShards(inputs);
    const starts = merged.intervals.map((i) => i.startUs);
    expect(starts[0]).toBe(0);
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
    expect(merged.warnings.filter((w) => !w.startsWith('shard '))).toEqual([]);
  });
});
