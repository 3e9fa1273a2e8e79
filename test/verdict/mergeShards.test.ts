// evbench merge: two shards merged equal, count for count, a record built from both shards' samples;
// mismatched inputs (including shards that did not start together) are refused with one line and
// exit 2; a shard that is not a result makes the merged verdict invalid (exit 4).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_T0_SKEW_US, mergeShards, scheduleOffsetUs, startedTogether, type ShardInput } from '../../src/verdict/mergeShards.js';
import { finalizeRecord } from '../../src/verdict/finalize.js';
import { runStatus } from '../../src/reports/outcomes.js';
import { renderSummary, renderVerdictLines } from '../../src/reports/summary.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { renderJunit } from '../../src/reports/junit.js';
import type { RunRecord } from '../../src/record/schema.js';
import { combineSamples, generateSamples, recordFromSamples } from '../support/fixtureRecord.js';
import { countsOf } from '../support/histogramCounts.js';
import { killAll, runCli } from '../support/cli.js';

afterAll(killAll);
/** The built CLI (dist/) cannot see a mutant of src/: Stryker's runs skip these cases (vitest.mutate.config.ts). */
const describeCli = process.env.EVBENCH_MUTATION_RUN ? describe.skip : describe;
const tmp = mkdtempSync(join(tmpdir(), 'evbench-merge-'));
const a = generateSamples(11, 3);
const b = generateSamples(12, 2);
const shard0 = recordFromSamples(a, { shard: { index: 0, count: 2 } });
const shard1 = recordFromSamples(b, { shard: { index: 1, count: 2 } });
const whole = recordFromSamples(combineSamples(a, b));

describe('merge of two shards', () => {
  const merged = mergeShards([
    { source: 'shard1.json', record: shard1 },
    { source: 'shard0.json', record: shard0 },
  ]);

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
    expect(merged.server).toBeUndefined();
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
