// evbench compare: an identical pair passes; an injected regression is flagged and exits 1.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRecords } from '../../src/records/compare.js';
import { createHistogram, encodeHistogram, recordUs, summarize } from '../../src/measurement/histogram.js';
import type { RunRecord } from '../../src/runner/record.js';
import { generateSamples, recordFromSamples } from '../support/fixtureRecord.js';
import { killAll, runCli } from '../support/cli.js';

afterAll(killAll);
const tmp = mkdtempSync(join(tmpdir(), 'evbench-compare-'));
const base = recordFromSamples(generateSamples(21));

/** The same run, but the fast group's stress p99 three times higher and some events missing. */
function withRegression(record: RunRecord): RunRecord {
  const r = structuredClone(record);
  const p = r.groups.find((g) => g.name === 'fast')!.phases.stress!;
  const h = createHistogram();
  for (let i = 0; i < p.latencyUs.count; i++) recordUs(h, i < p.latencyUs.count * 0.95 ? p.latencyUs.p50 : p.latencyUs.p99 * 3);
  p.latencyUs = summarize(h);
  p.histogram = encodeHistogram(h);
  p.missing += 40;
  return r;
}

describe('compareRecords', () => {
  const opts = { tolerance: 0.1, minDeltaUs: 1000 };

  it('an identical pair has no regression', () => {
    const c = compareRecords(base, structuredClone(base), opts);
    expect(c.regressions).toEqual([]);
    expect(c.rows.filter((r) => r.group === 'fast' && r.phase === 'stress').map((r) => r.metric)).toEqual(['p50', 'p90', 'p99', 'p99.9', 'max', 'missing', 'delivered/s']);
  });

  it('flags the injected regression: p99 and missing in fast/stress', () => {
    const c = compareRecords(base, withRegression(base), opts);
    const flagged = c.regressions.map((r) => `${r.group}/${r.phase} ${r.metric}`);
    expect(flagged).toContain('fast/stress p99');
    expect(flagged).toContain('fast/stress missing');
    expect(flagged.every((f) => f.startsWith('fast/stress'))).toBe(true);
  });

  it('a rise under the noise floor is not a regression, whatever its ratio', () => {
    const r = structuredClone(base);
    const p = r.groups[0]!.phases.baseline!;
    p.latencyUs = { ...p.latencyUs, p50: p.latencyUs.p50 + 500 };
    expect(compareRecords(base, r, opts).regressions).toEqual([]);
    expect(compareRecords(base, r, { ...opts, minDeltaUs: 0 }).regressions.map((x) => x.metric)).toEqual(['p50']);
  });
});

describe('evbench compare (CLI)', () => {
  const baseFile = join(tmp, 'base.json');
  const sameFile = join(tmp, 'same.json');
  const worseFile = join(tmp, 'worse.json');
  writeFileSync(baseFile, JSON.stringify(base));
  writeFileSync(sameFile, JSON.stringify(base));
  writeFileSync(worseFile, JSON.stringify(withRegression(base)));

  it('identical pair: exit 0, table on stderr, nothing on stdout without --md', async () => {
    const r = await runCli(['compare', baseFile, sameFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no regression beyond tolerance');
  });

  it('injected regression: exit 1, REGRESSION in the table, Markdown on stdout with --md', async () => {
    const r = await runCli(['compare', baseFile, worseFile, '--tolerance', '20%', '--md']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fast\s+stress\s+p99\s+.*REGRESSION/);
    expect(r.stdout).toMatch(/^## evbench compare — ❌ \d+ regression\(s\)/);
    expect(r.stdout).toContain('| fast | stress | p99 |');
  });

  it('bad input: exit 2 with one line', async () => {
    const bad = await runCli(['compare', baseFile, sameFile, '--tolerance', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('evbench: --tolerance: expected a percentage such as 10%, got "lots"');
    const missing = await runCli(['compare', baseFile, join(tmp, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`evbench: ${join(tmp, 'nope.json')}: cannot read: no such file`);
  });
});
