// evbench merge: two shards merged equal, count for count, a record built from both shards' samples;
// mismatched inputs are refused with one line and exit 2.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeShards } from '../../src/records/merge.js';
import { combineSamples, generateSamples, recordFromSamples } from '../support/fixtureRecord.js';
import { countsOf } from '../support/histogramCounts.js';
import { killAll, runCli } from '../support/cli.js';

afterAll(killAll);
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

  it('equals, count for count, the record built from both shards\' histograms', () => {
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

describe('evbench merge (CLI)', () => {
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
    expect(readFileSync(join(tmp, 'out', 'fixture.junit.xml'), 'utf8')).toContain('<failure');
  });

  it.each([
    ['a scenario that differs', () => [s0, write('other.json', { ...shard1, scenario: { ...shard1.scenario, name: 'other' } })], /other\.json: scenario "other" differs from "fixture" in .*s0\.json: records from different scenarios do not merge/],
    ['a shard given twice', () => [s0, s0], /shard 0\/2 given twice/],
    ['a missing shard', () => [s0, write('s0of3.json', { ...shard0, shard: { index: 0, count: 3 } })], /shard 0\/3 does not belong with/],
    ['shards missing from the set', () => [write('a3.json', { ...shard0, shard: { index: 0, count: 3 } }), write('b3.json', { ...shard1, shard: { index: 1, count: 3 } })], /merge: shard 2\/3 missing/],
    ['a record that is not a shard', () => [s0, write('whole.json', whole)], /whole\.json: not a shard/],
    ['a corrupt file', () => [s0, write('corrupt.json', { tool: { name: 'evbench' }, schemaVersion: 1 })], /corrupt\.json: corrupt run record: field "scenario" is missing/],
  ])('refuses %s (exit 2, one line)', async (_name, files, message) => {
    const r = await runCli(['merge', ...files(), '-o', join(tmp, 'never.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
