// evbench compare for CI, both directions: identical and noisy same-commit-like pairs do not
// regress (exit 0); a real regression (p99 100×, missing events, a new hol verdict) does (exit 1);
// a record that is not a result is refused (exit 4). Records are crafted from seeded samples with
// per-second interval histograms, so the distribution test sees what a real run would give it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRecords, DEFAULT_COMPARE, interquartileRange, notAResult } from '../../src/verdict/compareRuns.js';
import { mannWhitneyGreater } from '../../src/verdict/mannWhitney.js';
import { createHistogram, encodeHistogram, recordUs, summarize, type Histogram } from '../../src/measurement/histogram.js';
import type { IntervalRecord, PhaseResult, RunRecord } from '../../src/record/schema.js';
import { generateSamples, recordFromSamples, rng } from '../support/fixtureRecord.js';
import { killAll, runCli } from '../support/cli.js';

afterAll(killAll);
/** The built CLI (dist/) cannot see a mutant of src/: Stryker's runs skip these cases (vitest.mutate.config.ts). */
const describeCli = process.env.EVBENCH_MUTATION_RUN ? describe.skip : describe;
const tmp = mkdtempSync(join(tmpdir(), 'evbench-compare-'));

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
  const isolated = noisyRun({ seed: 11 });

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
  const baseFile = write('base.json', noisyRun({ seed: 21 }));
  const sameFile = write('same.json', noisyRun({ seed: 22 }));
  const worseFile = write('worse.json', legacyRun(23));
  const bound = noisyRun({ seed: 24 });
  bound.generator = { ...bound.generator, bound: true, reasons: ['event-loop delay p99 31ms > 20ms'] };
  const boundFile = write('bound.json', bound);
  const invalid = noisyRun({ seed: 25 });
  invalid.hol = { ...invalid.hol, verdict: 'invalid', summary: 'NOT A RESULT: the generator was the bottleneck' };
  const invalidFile = write('invalid.json', invalid);

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
