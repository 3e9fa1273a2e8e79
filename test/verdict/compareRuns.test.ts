// evbench compare for CI, both directions: identical and noisy same-commit-like pairs do not
// regress (exit 0); a real regression (p99 100×, missing events, a new hol verdict) does (exit 1);
// a record that is not a result is refused (exit 4). Records are crafted from seeded samples with
// per-second interval histograms, so the distribution test sees what a real run would give it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRecords, DEFAULT_COMPARE, interquartileRange, notAResult } from '../../src/verdict/compareRuns.js';
import { mannWhitneyGreater } from '../../src/verdict/mannWhitney.js';
import { createHistogram, encodeHistogram, recordUs, summarize, type Histogram } from '../../src/measurement/histogram.js';
import type { IntervalRecord, PhaseResult, RunRecord } from '../../src/record/schema.js';
import { generateSamples, recordFromSamples, rng } from '../support/fixtureRecord.js';
import { killAll, runCli } from '../support/cli.js';
import { second, steady, verdictRecord } from '../support/verdictRecord.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
/** The built CLI (dist/) cannot see a mutant of src/: Stryker's runs skip these cases (vitest.mutate.config.ts). */
const describeCli = process.env.EVBENCH_MUTATION_RUN ? describe.skip : describe;
const tmp = tempDir('compare');

const PHASES = [
  { name: 'warmup', role: 'warmup', startUs: 0, durationUs: 2_000_000 },
  { name: 'baseline', role: 'baseline', startUs: 2_000_000, durationUs: 8_000_000 },
  { name: 'stress', role: 'stress', startUs: 10_000_000, durationUs: 12_000_000 },
];

interface Shape {
  seed: number;
  /** Multiplies the fast group's stress latency (a regression: 100). */
  stressScale?: number;
  /** Fast events missing in stress. */
  stressMissing?: number;
  /** Events per second per fast client delivered in stress. */
  stressRate?: number;
}

/**
 * A run of the slow-client shape on a noisy machine: 10 fast clients at 500 events/s, each second's
 * latency scaled by its own noise (a tail that swings 3–27 ms from second to second, like a quiet
 * isolated run on 2 shared cores); a stalled group in stress that delivers almost nothing.
 */
function noisyRun({ seed, stressScale = 1, stressMissing = 0, stressRate = 500 }: Shape): RunRecord {
  const r = rng(seed);
  const record = structuredClone(recordFromSamples(generateSamples(seed)));
  record.phases = PHASES.map((p) => ({ ...p }));
  record.durationUs = 22_000_000;
  const intervals: IntervalRecord[] = [];
  const fast = record.groups.find((g) => g.name === 'fast')!;
  for (const ph of PHASES) {
    const whole = createHistogram();
    const seconds = ph.durationUs / 1e6;
    const scale = ph.role === 'stress' ? stressScale : 1;
    const perSecond = ph.role === 'stress' ? stressRate * 2 : 1000; // a sample of the 10 clients' events: enough for a per-second p99
    for (let s = 0; s < seconds; s++) {
      const h = createHistogram();
      // the machine's noise: most seconds quiet, some with a long tail
      const tail = 3000 + (r() < 0.3 ? 24_000 * r() : 3000 * r());
      for (let i = 0; i < perSecond; i++) {
        const v = (600 + 900 * r() ** 2 + (r() < 0.02 ? tail * r() : 0)) * scale;
        recordUs(h, v);
        recordUs(whole, v);
      }
      intervals.push(interval('fast', ph.startUs + s * 1_000_000, h));
    }
    const missing = ph.role === 'stress' ? stressMissing : 0;
    for (let i = 0; i < missing; i++) recordUs(whole, ph.durationUs * (0.2 + 0.8 * r()));
    fast.phases[ph.name] = phaseResult(fast.phases[ph.name]!, whole, perSecond * seconds, missing, 10, seconds);
  }
  const stalled = record.groups.find((g) => g.name === 'stalled')!;
  // 0.1 or 0 events/s: whether the stalled client read its first frame is luck, not the server
  stalled.phases.stress!.deliveredPerClientPerSec = r() < 0.5 ? 0.1 : 0;
  record.intervals = intervals;
  record.generator.eventLoopDelayP99Us = 2000 + Math.floor(8000 * r());
  record.hol = { ...record.hol, verdict: 'none', summary: 'no head-of-line blocking' };
  return record;
}

function interval(group: string, startUs: number, h: Histogram): IntervalRecord {
  const s = summarize(h);
  return { group, startUs, delivered: s.count, missing: 0, p50Us: s.p50, p99Us: s.p99, maxUs: s.max, histogram: encodeHistogram(h) };
}

function phaseResult(p: PhaseResult, h: Histogram, delivered: number, missing: number, clients: number, seconds: number): PhaseResult {
  return {
    ...p,
    clients,
    delivered,
    arrived: delivered,
    missing,
    latencyUs: summarize(h),
    histogram: encodeHistogram(h),
    deliveredPerClientPerSec: Math.round((delivered / clients / seconds) * 10) / 10,
  };
}

/** The legacy server's shape: fast clients starved in stress, thousands missing, verdict hol. */
const legacyRun = (seed: number): RunRecord => {
  const rec = noisyRun({ seed, stressScale: 100, stressMissing: 11_000, stressRate: 40 });
  rec.hol = { ...rec.hol, verdict: 'hol', summary: 'HEAD-OF-LINE BLOCKING' };
  return rec;
};

const judged = (c: ReturnType<typeof compareRecords>): string[] => c.regressions.map((r) => `${r.group}/${r.phase} ${r.metric}`);

describe('mannWhitneyGreater', () => {
  it('exact for short phases: every NEW second above every BASE second gives 1/C(m+n, n)', () => {
    const t = mannWhitneyGreater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(t.p).toBeCloseTo(1 / 252, 10);
    expect(t.minP).toBeCloseTo(1 / 252, 10);
    expect(mannWhitneyGreater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).p).toBe(1);
  });

  it('interleaved seconds are not significant; ties count one half, on the cautious side', () => {
    expect(mannWhitneyGreater([1, 3, 5, 7], [2, 4, 6, 8]).p!).toBeGreaterThan(0.2);
    expect(mannWhitneyGreater([5, 5, 5], [5, 5, 5]).p).toBe(13 / 20); // U = 4.5 counts as 4: P(U ≥ 4)
  });

  it('too few seconds: the smallest reachable p says the test cannot decide', () => {
    expect(mannWhitneyGreater([1, 2], [3, 4, 5]).minP).toBeCloseTo(0.1, 10);
    expect(mannWhitneyGreater([], [1]).p).toBeNull();
  });

  it('normal approximation beyond 20 seconds a side agrees with the exact test in direction and size', () => {
    const base = Array.from({ length: 30 }, (_, i) => i);
    const next = base.map((v) => v + 12);
    const t = mannWhitneyGreater(base, next);
    expect(t.p!).toBeLessThan(0.01);
    expect(t.p!).toBeGreaterThan(1e-6);
    expect(mannWhitneyGreater(base, base).p!).toBeGreaterThan(0.4);
  });
});

it('interquartileRange: one bad second does not move it; under 4 seconds it is 0', () => {
  expect(interquartileRange([1, 2, 3, 4, 100_000])).toBe(2);
  expect(interquartileRange([4, 1, 3, 2])).toBe(2); // q25 1.75, q75 3.25 → 1.5, rounded
  expect(interquartileRange([1, 2, 90])).toBe(0);
});

describe('compareRecords: noise is not a regression', () => {
  it('an identical pair: no regression; fast groups in baseline and stress only, each row with its rule', () => {
    const a = noisyRun({ seed: 1 });
    const c = compareRecords(a, structuredClone(a));
    expect(c.regressions).toEqual([]);
    expect(new Set(c.rows.filter((r) => r.group).map((r) => `${r.group}/${r.phase}`))).toEqual(new Set(['fast/baseline', 'fast/stress']));
    expect(c.rows.filter((r) => r.group === 'fast' && r.phase === 'stress').map((r) => r.metric)).toEqual([
      'p50',
      'p90',
      'p99',
      'p99.9',
      'max',
      'missing',
      'delivered/s',
    ]);
    expect(c.rows.every((r) => r.rule.length > 0)).toBe(true);
    expect(c.rows.find((r) => r.phase === 'stress' && r.metric === 'p99')!.rule).toMatch(
      /^rise >25% & >[\d.]+m?s \(.+\) & U-test p<0\.01 \(p=[\d.e-]+, 12\/12 s\)$/,
    );
    expect(c.notes).toContain('not compared (use --all): group stalled, phase warmup');
  });

  it('ten noisy pairs of the same server: no regression in any, though p99 and max move by tens of percent', () => {
    const moved: number[] = [];
    for (let i = 0; i < 10; i++) {
      const c = compareRecords(noisyRun({ seed: 100 + 2 * i }), noisyRun({ seed: 101 + 2 * i }));
      expect(judged(c), `pair ${i}`).toEqual([]);
      moved.push(Math.abs(c.rows.find((r) => r.phase === 'stress' && r.metric === 'p99')!.change!));
    }
    // the wobble a naive ±10% rule would have flagged
    expect(Math.max(...moved)).toBeGreaterThan(0.1);
  });

  it('a stalled group 0.1 → 0 events/s and warmup rows are not regressions, even with --all', () => {
    const a = noisyRun({ seed: 5 });
    const b = structuredClone(a);
    a.groups.find((g) => g.name === 'stalled')!.phases.stress!.deliveredPerClientPerSec = 0.1;
    b.groups.find((g) => g.name === 'stalled')!.phases.stress!.deliveredPerClientPerSec = 0;
    const w = b.groups.find((g) => g.name === 'fast')!.phases.warmup!;
    w.latencyUs = { ...w.latencyUs, p99: w.latencyUs.p99 * 3 };
    expect(compareRecords(a, b).regressions).toEqual([]);
    const all = compareRecords(a, b, { all: true });
    const row = all.rows.find((r) => r.group === 'stalled' && r.metric === 'delivered/s')!;
    expect(row).toMatchObject({ base: 0.1, next: 0, judged: false, regression: false });
    expect(all.scope).toBe('every group and phase (--all)');
    expect(all.rows.some((r) => r.phase === 'warmup')).toBe(true);
  });

  it('a rise under the absolute floor is not a regression, whatever its ratio', () => {
    const a = noisyRun({ seed: 7 });
    const b = structuredClone(a);
    const p = b.groups[0]!.phases.baseline!;
    p.latencyUs = { ...p.latencyUs, p50: p.latencyUs.p50 * 2 };
    expect(compareRecords(a, b).regressions).toEqual([]);
  });
});

describe('compareRecords: a real regression is flagged', () => {
  // built before the tests, not while the file loads: a mutant it reaches is then covered per test
  let isolated: RunRecord;
  beforeAll(() => {
    isolated = noisyRun({ seed: 11 });
  });

  it('p99 100× with events missing: fast/stress latency, missing, delivery rate and the verdict', () => {
    const c = compareRecords(isolated, legacyRun(12));
    const flagged = judged(c);
    for (const m of ['p50', 'p90', 'p99', 'missing', 'delivered/s']) expect(flagged).toContain(`fast/stress ${m}`);
    expect(flagged).toContain('/ hol verdict');
    expect(flagged.some((f) => f.startsWith('fast/baseline'))).toBe(false);
    // and the other way round it is an improvement, not a regression
    const back = compareRecords(legacyRun(12), isolated);
    expect(back.regressions).toEqual([]);
    expect(back.rows.filter((r) => r.improved).map((r) => r.metric)).toEqual(expect.arrayContaining(['p99', 'missing', 'hol verdict']));
  });

  it('sustained but within the tolerance is not flagged; beyond tolerance, floor and test it is', () => {
    const slower = noisyRun({ seed: 13, stressScale: 4 });
    const c = compareRecords(isolated, slower);
    expect(judged(c)).toContain('fast/stress p99');
    const row = c.rows.find((r) => r.phase === 'stress' && r.metric === 'p99')!;
    expect(row.test!.p!).toBeLessThan(0.01);
    expect(compareRecords(isolated, slower, { tolerance: 10 }).regressions).toEqual([]);
  });

  it('a new hol or disconnect verdict where BASE had none is a regression; hol → hol is not', () => {
    for (const verdict of ['hol', 'disconnect'] as const) {
      const b = structuredClone(isolated);
      b.hol = { ...b.hol, verdict };
      expect(judged(compareRecords(isolated, b))).toEqual(['/ hol verdict']);
    }
    const h = legacyRun(14);
    expect(compareRecords(h, structuredClone(h)).regressions).toEqual([]);
  });

  it('a fast group absent from NEW is a regression', () => {
    const b = structuredClone(isolated);
    b.groups[0]!.phases.stress!.clients = 0;
    expect(judged(compareRecords(isolated, b))).toEqual(['fast/stress present']);
  });
});

describe('notAResult', () => {
  it('names what makes a record not a result', () => {
    const ok = noisyRun({ seed: 1 });
    expect(notAResult(ok)).toBeNull();
    expect(notAResult({ ...ok, hol: { ...ok.hol, verdict: 'invalid', summary: 'NOT A RESULT' } })).toBe('verdict invalid (NOT A RESULT)');
    expect(notAResult({ ...ok, invalid: true, invalidReason: 'worker 1 failed' })).toBe('invalid run (worker 1 failed)');
    expect(notAResult({ ...ok, generator: { ...ok.generator, bound: true, reasons: ['event-loop delay p99 31ms > 20ms'] } })).toBe(
      'generator-bound (event-loop delay p99 31ms > 20ms)',
    );
  });
});

describeCli('evbench compare (CLI)', () => {
  const write = (name: string, r: RunRecord): string => {
    const f = join(tmp, name);
    writeFileSync(f, JSON.stringify(r));
    return f;
  };
  let baseFile: string, sameFile: string, worseFile: string, boundFile: string, invalidFile: string;
  beforeAll(() => {
    baseFile = write('base.json', noisyRun({ seed: 21 }));
    sameFile = write('same.json', noisyRun({ seed: 22 }));
    worseFile = write('worse.json', legacyRun(23));
    const bound = noisyRun({ seed: 24 });
    bound.generator = { ...bound.generator, bound: true, reasons: ['event-loop delay p99 31ms > 20ms'] };
    boundFile = write('bound.json', bound);
    const invalid = noisyRun({ seed: 25 });
    invalid.hol = { ...invalid.hol, verdict: 'invalid', summary: 'NOT A RESULT: the generator was the bottleneck' };
    invalidFile = write('invalid.json', invalid);
  });

  it('a noisy same-server pair: exit 0, the rule on stderr beside each row, nothing on stdout without --md', async () => {
    const r = await runCli(['compare', baseFile, sameFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('fast groups in the measured phases (baseline, stress)');
    expect(r.stderr).toMatch(/fast\s+stress\s+p99\s+.*rise >25% & >.* & U-test p<0\.01/);
    expect(r.stderr).toContain('no regression beyond noise and tolerance');
  });

  it('legacy-like NEW: exit 1, REGRESSION in the table, Markdown with the rule on stdout with --md', async () => {
    const r = await runCli(['compare', baseFile, worseFile, '--md']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fast\s+stress\s+p99\s+.*REGRESSION/);
    expect(r.stdout).toMatch(/^## evbench compare — ❌ \d+ regression\(s\)/);
    expect(r.stdout).toContain('| fast | stress | p99 |');
    expect(r.stdout).toContain('Rule: latency p50/p90/p99 regress when');
  });

  it.each([
    [
      'generator-bound NEW',
      () => [baseFile, boundFile],
      /^evbench: compare: NOT A RESULT, not ranked: NEW .*bound\.json: generator-bound \(event-loop delay p99 31ms > 20ms\)$/,
    ],
    [
      'invalid BASE',
      () => [invalidFile, baseFile],
      /^evbench: compare: NOT A RESULT, not ranked: BASE .*invalid\.json: verdict invalid \(NOT A RESULT: the generator was the bottleneck\)$/,
    ],
  ])('%s: refused with one line, exit 4', async (_name, files, message) => {
    const r = await runCli(['compare', ...files()]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('bad input: exit 2 with one line', async () => {
    const bad = await runCli(['compare', baseFile, sameFile, '--tolerance', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('evbench: --tolerance: expected a percentage such as 10%, got "lots"');
    const alpha = await runCli(['compare', baseFile, sameFile, '--alpha', '5']);
    expect(alpha.code).toBe(2);
    expect(alpha.stderr.trim()).toBe('evbench: --alpha: expected a probability between 0 and 1 such as 0.01, got "5"');
    const missing = await runCli(['compare', baseFile, join(tmp, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`evbench: ${join(tmp, 'nope.json')}: cannot read: no such file`);
  });
});

it('defaults are what the docs say', () => {
  expect(DEFAULT_COMPARE).toEqual({ tolerance: 0.25, minDeltaUs: 5000, alpha: 0.01, all: false });
});

// --- the rules at their bounds, on records made to order (every second alike) ----------------------

describe('compareRecords: each rule at its bound, on records made to order', () => {
  /** Fast clients at ~5 ms in baseline and `stressUs` in stress, every second alike (IQR 0). */
  const run = (stressUs: number, seconds = 8): RunRecord =>
    verdictRecord({ baseline: steady(5_000, seconds), stress: steady(stressUs, seconds) });
  const row = (c: ReturnType<typeof compareRecords>, metric: string, phase = 'stress') =>
    c.rows.find((r) => r.group === 'fast' && r.phase === phase && r.metric === metric)!;
  const setP99 = (r: RunRecord, us: number): RunRecord => {
    const p = r.groups[0]!.phases.stress!;
    p.latencyUs = { ...p.latencyUs, p99: us };
    return r;
  };

  it('a latency row prints its rule: tolerance, floor and what set it, the U-test with its p and seconds', () => {
    const c = compareRecords(run(5_000), run(50_000));
    expect(row(c, 'p99')).toMatchObject({
      rule: 'rise >25% & >5.00ms (min-delta) & U-test p<0.01 (p=8e-5, 8/8 s)',
      unit: 'µs',
      judged: true,
      regression: true,
      improved: false,
    });
    expect(row(c, 'p99').test).toEqual({ p: 1 / 12_870, minP: 1 / 12_870, nBase: 8, nNext: 8 });
    // p99.9 and max rest on a handful of events: shown, never judged, however far they move
    for (const metric of ['p99.9', 'max'])
      expect(row(c, metric)).toMatchObject({ judged: false, regression: false, rule: 'shown, not judged: rests on a handful of events' });
    expect(row(c, 'missing')).toMatchObject({ rule: 'rise >25% & >1 (0.1% of 1600 owed)', unit: '', judged: true });
    expect(row(c, 'delivered/s')).toMatchObject({
      rule: 'drop >25% & >1/s per client',
      unit: '/s',
      change: null,
      judged: true,
      regression: false,
    });
  });

  it("the floor is the largest of --min-delta, either run's generator loop delay, and BASE's per-second spread", () => {
    const loop = (us: number) => {
      const next = run(50_000);
      next.generator.eventLoopDelayP99Us = us;
      return row(compareRecords(run(5_000), next), 'p99').rule;
    };
    expect(loop(6_000)).toMatch(/^rise >25% & >6\.00ms \(generator loop delay p99\) & /);
    expect(loop(5_000)).toMatch(/^rise >25% & >5\.00ms \(min-delta\) & /);
    const swinging = verdictRecord({
      baseline: steady(5_000),
      stress: Array.from({ length: 8 }, (_, i) => second(i % 2 ? 30_000 : 5_000)),
    });
    expect(row(compareRecords(swinging, run(300_000)), 'p99').rule).toMatch(/^rise >25% & >2\d\.\dms \(base per-second IQR\) & /);
  });

  it('the relative rise must exceed the tolerance: 25% is not a regression, just over is', () => {
    const at = (next: number) => row(compareRecords(setP99(run(5_000), 8_000), setP99(run(50_000), next), { minDeltaUs: 1_000 }), 'p99');
    expect(at(10_000)).toMatchObject({ regression: false, change: 0.25 });
    expect(at(10_001).regression).toBe(true);
  });

  it('the rise must exceed the absolute floor: 5 ms over is not a regression, just over is', () => {
    const at = (next: number) => row(compareRecords(setP99(run(5_000), 8_000), setP99(run(50_000), next)), 'p99').regression;
    expect(at(13_000)).toBe(false);
    expect(at(13_001)).toBe(true);
  });

  it('a rise that the per-second test does not find sustained is not a regression; nor a fall an improvement', () => {
    const same = (us: number) => row(compareRecords(run(5_000), setP99(run(5_000), us)), 'p99');
    expect(same(50_000)).toMatchObject({ regression: false, improved: false });
    expect(same(50_000).rule).toMatch(/U-test p<0\.01 \(p=0\.\d+, 8\/8 s\)$/);
    expect(row(compareRecords(setP99(run(5_000), 50_000), run(5_000)), 'p99')).toMatchObject({ regression: false, improved: false });
    // really lower every second: an improvement
    expect(row(compareRecords(run(50_000), run(5_000)), 'p99')).toMatchObject({ regression: false, improved: true });
  });

  it('too few seconds to reach α: no U-test, the rise and the floor judge alone, both ways', () => {
    const up = row(compareRecords(run(5_000, 2), run(50_000, 2)), 'p99');
    expect(up.rule).toBe('rise >25% & >5.00ms (min-delta) & no U-test (2/2 s: too few)');
    expect(up.regression).toBe(true);
    expect(row(compareRecords(run(50_000, 2), run(5_000, 2)), 'p99')).toMatchObject({ regression: false, improved: true });
  });

  it('latency where BASE had none: any rise beyond the floor is a regression, and no change can be stated', () => {
    const silent = verdictRecord({ baseline: steady(5_000), stress: steady(0).map(() => []) });
    const up = row(compareRecords(silent, run(50_000)), 'p50');
    expect(up).toMatchObject({ base: 0, change: null, regression: true });
    expect(up.rule).toMatch(/no U-test \(0\/8 s: too few\)$/);
    expect(row(compareRecords(run(50_000), silent), 'p50')).toMatchObject({ regression: false, improved: true });
  });

  it('missing events: a rise must beat 0.1% of the events owed and, when BASE missed some, the tolerance', () => {
    const missing = (base: number, next: number) =>
      row(
        compareRecords(
          verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { delivered: 10_000, missing: base } }),
          verdictRecord({ baseline: steady(5_000), stress: steady(5_000), stressCounters: { delivered: 10_000, missing: next } }),
        ),
        'missing',
      );
    expect(missing(0, 10)).toMatchObject({ regression: false, change: null });
    expect(missing(0, 11)).toMatchObject({ regression: true, rule: 'rise >25% & >10 (0.1% of 10011 owed)' });
    expect(missing(100, 125)).toMatchObject({ regression: false, change: 0.25 });
    expect(missing(100, 126)).toMatchObject({ regression: true, change: 0.26 });
    expect(missing(100, 0)).toMatchObject({ regression: false, improved: true });
    expect(missing(100, 80).improved).toBe(false);
  });

  it('the delivery rate: a drop must beat 1 event/s per client and the tolerance; from nothing, no change is judged', () => {
    const rate = (base: number, next: number) => {
      const [a, b] = [run(5_000), run(5_000)];
      a.groups[0]!.phases.stress!.deliveredPerClientPerSec = base;
      b.groups[0]!.phases.stress!.deliveredPerClientPerSec = next;
      return row(compareRecords(a, b), 'delivered/s');
    };
    expect(rate(10, 7.5)).toMatchObject({ regression: false, change: -0.25 });
    expect(rate(10, 7.4).regression).toBe(true);
    expect(rate(2, 1).regression).toBe(false);
    expect(rate(2, 0.9).regression).toBe(true);
    expect(rate(10, 12.6)).toMatchObject({ regression: false, improved: true });
    expect(rate(10, 12.5).improved).toBe(false);
    expect(rate(0, 5)).toMatchObject({ regression: false, improved: false, change: null });
  });

  it('the verdict: only none → hol or disconnect regresses, only hol or disconnect → none improves', () => {
    const verdicts = (b: RunRecord['hol']['verdict'], n: RunRecord['hol']['verdict']) => {
      const [x, y] = [run(5_000), run(5_000)];
      x.hol.verdict = b;
      y.hol.verdict = n;
      return compareRecords(x, y).rows.find((r) => r.metric === 'hol verdict')!;
    };
    expect(verdicts('inconclusive', 'hol')).toMatchObject({ regression: false, improved: false, rule: 'none → hol or disconnect' });
    expect(verdicts('none', 'inconclusive').regression).toBe(false);
    expect(verdicts('disconnect', 'none')).toMatchObject({ regression: false, improved: true });
    expect(verdicts('hol', 'inconclusive').improved).toBe(false);
  });

  it('what a reader needs to know: different scenarios, partial runs, groups new in NEW, what was in scope', () => {
    const [a, b] = [run(5_000), run(5_000)];
    b.scenario = { ...b.scenario, name: 'other' };
    a.partial = true;
    a.partialReason = 'interrupted';
    b.partial = true;
    b.groups.push({ ...b.groups[1]!, name: 'extra' });
    const c = compareRecords(a, b);
    expect(c.notes).toEqual([
      'different scenarios: "verdict" vs "other"',
      'BASE is a partial run (interrupted)',
      'NEW is a partial run (stopped early)',
      'group "extra" is new in NEW (not compared)',
      'not compared (use --all): group stalled, phase warmup',
    ]);
    expect(c.scope).toBe('fast groups in the measured phases (baseline, stress)');
    const none = run(5_000);
    none.phases = none.phases.map((p) => ({ ...p, role: 'warmup' as const }));
    expect(compareRecords(none, run(5_000)).scope).toBe('fast groups in the measured phases (none)');
    expect(compareRecords(run(5_000), run(5_000)).notes).toEqual(['not compared (use --all): group stalled, phase warmup']);
  });

  it('a fast group missing from NEW altogether is a regression in every phase it had', () => {
    const b = run(5_000);
    b.groups = b.groups.filter((g) => g.name !== 'fast');
    const c = compareRecords(run(5_000), b);
    expect(judged(c)).toEqual(['fast/baseline present', 'fast/stress present']);
    expect(c.regressions[0]).toMatchObject({
      base: 'yes',
      next: 'absent',
      unit: '',
      change: null,
      judged: true,
      rule: 'present in BASE',
      improved: false,
    });
  });

  it('--all compares every group in every phase it had clients in; a churn group has no delivery rate to judge', () => {
    const [a, b] = [run(5_000), run(5_000)];
    for (const r of [a, b]) r.groups[1]!.kind = 'churn';
    const c = compareRecords(a, b, { all: true });
    expect(c.regressions).toEqual([]);
    expect(c.notes).toEqual([]);
    expect(c.rows.filter((r) => r.group === 'stalled').map((r) => `${r.phase} ${r.metric}`)).toEqual([
      'stress p50',
      'stress p90',
      'stress p99',
      'stress p99.9',
      'stress max',
      'stress missing',
    ]);
  });
});
