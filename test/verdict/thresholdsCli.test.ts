// Thresholds: syntax errors name the column; pass and fail are judged once by the evaluator and shown
// with value vs bound in every output; the exit code is 1 on failure, 2 on bad input.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../src/record/schema.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parseThresholdFlag, parseThresholds } from '../../src/scenario/thresholdGrammar.js';
import { evaluateThresholds } from '../../src/verdict/thresholds.js';
import { parseShard } from '../../src/cli/run.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { renderHtml } from '../../src/reports/html.js';
import { renderJunit } from '../../src/reports/junit.js';
import { fixtureRecord } from '../support/fixtureRecord.js';
import { killAll, runCli } from '../support/cli.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('thresholds');
const fixtureFile = new URL('../support/fixtures/run-record.json', import.meta.url).pathname;

describe('threshold syntax errors name the position', () => {
  it.each([
    ['latency{group:fast}', 'p(99)<50', '"p(99)<50": at column 9: latency p(99) is a duration: give a unit (µs, ms, s)'],
    ['latency{group:fast}', 'p(99)=50ms', '"p(99)=50ms": at column 6: expected an operator (<, <=, >, >=, ==, !=)'],
    ['latency{group:fast}', 'p(101)<5ms', '"p(101)<5ms": at column 1: percentile 101 is outside 0..100'],
    ['latency{group:fast}', 'p(99)<fast', '"p(99)<fast": at column 7: expected a number with an optional unit'],
    ['missing{group:fast}', 'count<5ms', '"count<5ms": at column 8: unit "ms" on missing count, which is not a duration'],
    ['hol', 'median<2', '"median<2": at column 1: "median" is not an aggregation of hol'],
    ['latncy{group:fast}', 'p(99)<5ms', '"latncy{group:fast}": at column 1: unknown metric "latncy"'],
    ['latency{grp:fast}', 'p(99)<5ms', '"latency{grp:fast}": at column 9: unknown tag "grp" (expected group, phase)'],
    ['latency{group:fast,oops}', 'p(99)<5ms', '"latency{group:fast,oops}": at column 20: bad tag "oops" (expected tag:value)'],
  ])('%s: %s', (key, expr, message) => {
    expect(() => parseThresholds(key, [expr])).toThrow(message);
  });

  it('units: µs, ms, s; booleans only for generator bound', () => {
    expect(parseThresholds('latency', ['p(99)<250us', 'p(99)<250µs', 'max<=2ms', 'p(50)<1.5s']).map((t) => t.bound)).toEqual([
      250, 250, 2000, 1_500_000,
    ]);
    expect(parseThresholds('generator', ['bound==false'])[0]!.bound).toBe(0);
    expect(() => parseThresholds('hol', ['index==true'])).toThrow('true/false only compares with generator bound');
    expect(parseThresholdFlag('latency{group:fast,phase:stress}: p(99)<50ms')).toEqual({
      key: 'latency{group:fast,phase:stress}',
      expression: 'p(99)<50ms',
    });
  });
});

describe('pass and fail, with value vs bound in every output', () => {
  const record = fixtureRecord();
  const outcomes = evaluateThresholds(record, {
    'latency{group:fast,phase:baseline}': ['p(99)<10ms', 'p(99)<1ms'],
    'missing{group:fast,phase:baseline}': ['count==0'],
    'missing{group:fast,phase:stress}': ['count==0'],
    'latency{group:nobody}': ['p(99)<1s'],
    generator: ['bound==false'],
  });

  it('the evaluator judges each one and writes measured beside bound', () => {
    expect(outcomes.map((o) => o.passed)).toEqual([true, false, true, false, false, true]);
    expect(outcomes[1]!.message).toMatch(/^latency\{group:fast,phase:baseline\}: p\(99\)<1ms: measured 1\.\d+ms against bound < 1\.00ms$/);
    expect(outcomes[4]!.message).toBe('latency{group:nobody}: p(99)<1s: no data (nothing matched latency{group:nobody})');
  });

  it('Markdown, HTML and JUnit list every failure with its measured value and bound', () => {
    const r = { ...record, thresholds: outcomes };
    const md = renderMarkdown(r);
    const html = renderHtml(r);
    const xml = renderJunit(r);
    expect(md).toMatch(/\| ❌ \| <code>latency\{group:fast,phase:baseline\}: p\(99\)&lt;1ms<\/code> \| 1\.\d+ms \| &lt; 1ms \|/);
    expect(md).toContain('| ❌ | <code>latency{group:nobody}: p(99)&lt;1s</code> | no data | &lt; 1s |');
    expect(html).toMatch(
      /✗ FAIL<\/b><\/td><td><code>latency\{group:fast,phase:baseline\}: p\(99\)&lt;1ms<\/code><\/td><td>1\.\d+ms<\/td><td>&lt; 1ms<\/td>/,
    );
    expect(xml).toMatch(/<failure type="threshold" message="measured 1\.\d+ms, bound &lt; 1ms">/);
    expect(xml).toContain('tests="6" failures="3"');
  });
});

describe('--shard', () => {
  it('parses i/N and auto/N (JOB_COMPLETION_INDEX)', () => {
    expect(parseShard(undefined)).toBeUndefined();
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('auto/3', { JOB_COMPLETION_INDEX: '1' })).toEqual({ index: 1, count: 3 });
  });
  it.each([
    ['4/4', {}, '--shard 4/4: shard index 4 is out of range (0 ≤ i < 4)'],
    ['1/0', {}, '--shard 1/0: N must be at least 1'],
    ['one/2', {}, '--shard: expected i/N (e.g. 0/4) or auto/N, got "one/2"'],
    ['auto/2', {}, '--shard auto/2: JOB_COMPLETION_INDEX is not set (give the shard as i/2)'],
    ['auto/2', { JOB_COMPLETION_INDEX: 'x' }, '--shard auto/2: JOB_COMPLETION_INDEX is "x", not a whole number'],
    ['auto/2', { JOB_COMPLETION_INDEX: '2' }, '--shard auto/2: shard index 2 is out of range (0 ≤ i < 2)'],
  ])('%s with %j is refused', (value, env, message) => {
    expect(() => parseShard(value, env)).toThrow(message);
  });
});

describe('exit codes through the CLI', () => {
  it('a threshold syntax error: exit 2, one line with the column', async () => {
    const r = await runCli(['report', fixtureFile, '--out', tmp, '--threshold', 'latency{group:fast}: p(99)<fast']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'evbench: --threshold "p(99)<fast": at column 7: expected a number with an optional unit (µs, ms, s, m, h) or true/false',
    );
  });

  it('--shard out of range on run: exit 2 before anything starts', async () => {
    const r = await runCli(['run', 'slow-client', '--shard', '2/2']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('evbench: --shard 2/2: shard index 2 is out of range (0 ≤ i < 2)');
  });

  it('--report with an unknown format: exit 2', async () => {
    const r = await runCli(['run', 'slow-client', '--report', 'md,pdf']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('evbench: --report: unknown report format "pdf" (expected json, md, html, hgrm, hlog, junit)');
  });

  it('report on a record whose thresholds fail: exit 1; --fail-on-hol adds the HOL test case', async () => {
    const r = await runCli(['report', fixtureFile, '--format', 'junit', '--out', tmp, '--fail-on-hol', '--quiet']);
    expect(r.code).toBe(1);
    expect(readFileSync(join(tmp, 'fixture.legacy.junit.xml'), 'utf8')).toContain('name="hol verdict (--fail-on-hol)"');
  });

  it('a bad record file: exit 2, one line naming the file', async () => {
    const r = await runCli(['report', join(tmp, 'fixture.legacy.junit.xml')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^evbench: ${join(tmp, 'fixture.legacy.junit.xml')}: not valid JSON: `));
  });

  it('a real run: passing thresholds exit 0 (5 when the run could not have seen blocking), a failing one exits 1 with a JUnit failure carrying value and bound', async () => {
    // slow-client without its own thresholds, so only the flags decide (a busy CI machine may miss events)
    const scenario = JSON.parse(readFileSync(new URL('../../scenarios/slow-client.json', import.meta.url), 'utf8'));
    delete scenario.thresholds;
    // a light load, so a busy machine does not starve the generator (that run would exit 4: not a result)
    scenario.publisher = { rate: 100, payloadBytes: 200 };
    const file = join(tmp, 'slow-client.json');
    writeFileSync(file, JSON.stringify(scenario));
    const out = join(tmp, 'run');
    const pass = await runCli(
      ['run', file, '--duration', '3s', '--out', out, '--report', 'md,junit', '--threshold', 'latency{group:fast}: p(99)<60s'],
      120_000,
      { GITHUB_STEP_SUMMARY: join(tmp, 'step-summary.md') },
    );
    const passRecord = JSON.parse(readFileSync(join(out, 'slow-client.isolated.json'), 'utf8')) as RunRecord;
    if (passRecord.hol.verdict === 'invalid') {
      // a starved generator (a busy machine): not a result, so neither pass nor fail
      expect(pass.code, pass.stderr).toBe(4);
      expect(readFileSync(join(out, 'slow-client.isolated.junit.xml'), 'utf8')).toMatch(
        /<error type="invalid" message="not judged: NOT A RESULT: /,
      );
      expect(readFileSync(join(out, 'slow-client.isolated.md'), 'utf8')).toContain(
        '| ➖ | <code>latency{group:fast}: p(99)&lt;60s</code> |',
      );
      return;
    }
    // this light load never fills the stalled reader's kernel buffers: inconclusive, which is never a pass
    expect(pass.code, pass.stderr).toBe(passRecord.hol.verdict === 'inconclusive' ? 5 : 0);
    expect(readFileSync(join(tmp, 'step-summary.md'), 'utf8')).toBe(`${readFileSync(join(out, 'slow-client.isolated.md'), 'utf8')}\n`);
    expect(readFileSync(join(out, 'slow-client.isolated.md'), 'utf8')).toContain('| ✅ | <code>latency{group:fast}: p(99)&lt;60s</code> |');
    const fail = await runCli(
      ['run', file, '--duration', '3s', '--out', out, '--report', 'junit', '--threshold', 'latency{group:fast}: p(99)<1us'],
      120_000,
      { GITHUB_STEP_SUMMARY: join(tmp, 'summary.md') },
    );
    if (JSON.parse(readFileSync(join(out, 'slow-client.isolated.json'), 'utf8')).hol.verdict === 'invalid') return;
    expect(fail.code, fail.stderr).toBe(1);
    expect(fail.stderr).toMatch(/✗ latency\{group:fast\}: p\(99\)<1us: measured [\d.]+(µs|ms|s) against bound < 1µs/);
    expect(readFileSync(join(out, 'slow-client.isolated.junit.xml'), 'utf8')).toMatch(
      /<failure type="threshold" message="measured [\d.]+(µs|ms|s), bound &lt; 1us">/,
    );
    // md was not asked for in the failing run: nothing appended to the step summary
    expect(existsSync(join(tmp, 'summary.md'))).toBe(false);
  }, 90_000);
});
