// The GitHub Action's script, run the way action.yml runs it (inputs as INPUT_* variables, GITHUB_OUTPUT
// and GITHUB_STEP_SUMMARY pointed at temporary files) against real short runs of the embedded server
// on 127.0.0.1: the outputs it sets, the step summary it leaves, the exit code it fails the step with.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { RunRecord } from '../../src/record/schema.js';
import { runStatus } from '../../src/reports/outcomes.js';
import { packageRoot } from '../../src/util/paths.js';
import { readGithubOutput } from '../support/githubOutput.js';
import { tinyStallScenario } from '../support/tinyStallScenario.js';
import { tempDir } from '../support/tempDir.js';

const script = join(packageRoot, 'scripts', 'action.mjs');
const action = parse(readFileSync(join(packageRoot, 'action.yml'), 'utf8')) as { outputs: Record<string, unknown> };
const declaredOutputs = Object.keys(action.outputs);

const groups = new Set<ChildProcess>();
afterAll(() => {
  for (const c of groups) if (c.pid) process.kill(-c.pid, 'SIGKILL');
});

interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Map<string, string>;
  summary: string;
}

/** Runs `node scripts/action.mjs COMMAND` in `cwd` as the composite step does, in its own process group (killed on timeout). */
function step(command: 'install' | 'run', cwd: string, inputs: Record<string, string>, timeoutMs = 120_000): Promise<StepResult> {
  const dir = tempDir('step');
  const output = join(dir, 'output');
  const summary = join(dir, 'summary.md');
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_') && !k.startsWith('GITHUB_')),
  );
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] = value;
  Object.assign(env, {
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    CI: 'true',
    NO_COLOR: '1',
    EVBENCH_BIN: join(packageRoot, 'bin', 'evbench'),
  });
  const child = spawn(process.execPath, [script, command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  groups.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      groups.delete(child);
      resolve({
        code,
        stdout,
        stderr,
        outputs: readGithubOutput(output),
        summary: existsSync(summary) ? readFileSync(summary, 'utf8') : '',
      });
    });
  });
}

const tiny = tinyStallScenario('tiny-action');

const work = tempDir('action');
writeFileSync(join(work, 'tiny.json'), JSON.stringify(tiny));

/** The worst p99 (ms) of a record's groups of one kind in the phases of one role. */
function worstP99Ms(record: RunRecord, kind: string, role: string): string {
  const phases = record.phases.filter((p) => p.role === role).map((p) => p.name);
  const v = record.groups.filter((g) => g.kind === kind).flatMap((g) => phases.map((p) => g.phases[p]?.latencyUs.p99 ?? NaN));
  return String(Math.round(Math.max(...v)) / 1000);
}

describe('the action on a real run', () => {
  let first: RunRecord;

  it('runs the scenario, sets every declared output from the record, leaves the Markdown in the step summary', async () => {
    const r = await step('run', work, {
      scenario: 'tiny.json',
      thresholds: '# comments and blank lines are ignored\n\nmissing{group:fast,phase:stress}: count==0\n',
      'report-formats': 'html,junit',
      'fail-on-hol': 'true',
      args: "--workers 1 --clients 'fast=3'",
      out: 'reports-a',
      baseline: 'no-such-baseline',
      'fail-on-regression': 'true',
      fail: 'true',
    });
    expect(r.code, r.stderr).toBe(0);
    const o = r.outputs;
    // every output action.yml declares, and the step-internal one that fails the step
    expect([...o.keys()].sort()).toEqual([...declaredOutputs, 'fail-with'].sort());

    const reportsDir = o.get('reports-dir')!;
    expect(isAbsolute(reportsDir)).toBe(true);
    expect(reportsDir).toBe(join(work, 'reports-a'));
    expect(o.get('record')).toBe(join(reportsDir, 'tiny-action.isolated.json'));
    first = JSON.parse(readFileSync(o.get('record')!, 'utf8')) as RunRecord;

    const status = runStatus(first, true);
    const expectedCode = status === 'not a result' ? 4 : status === 'failed' ? 1 : status === 'inconclusive' ? 5 : 0;
    expect(o.get('exit-code')).toBe(String(expectedCode));
    expect(o.get('fail-with')).toBe(String(expectedCode));
    expect(o.get('verdict')).toBe(first.hol.verdict);
    expect(o.get('hol-index')).toBe(first.hol.index === null ? '' : String(first.hol.index));
    expect(o.get('fast-p99-baseline-ms')).toBe(worstP99Ms(first, 'fast', 'baseline'));
    expect(o.get('fast-p99-stress-ms')).toBe(worstP99Ms(first, 'fast', 'stress'));
    expect(o.get('slow-p99-stress-ms')).toBe(worstP99Ms(first, 'slow', 'stress'));
    const results = JSON.parse(o.get('results')!);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      name: 'tiny-action',
      record: o.get('record'),
      verdict: first.hol.verdict,
      generatorBound: first.generator.bound,
    });
    // the threshold line went to evbench; the comment did not
    expect(first.thresholds.map((t) => t.threshold)).toContain('missing{group:fast,phase:stress}: count==0');
    // no baseline there: noted, nothing compared, not a failure
    expect(o.get('compare-exit-code')).toBe('');
    expect(o.get('regressions')).toBe('');
    expect(r.summary).toContain('no baseline at `no-such-baseline`');

    // md was added to the formats for the summary; the ones asked for were written too
    for (const ext of ['md', 'html', 'junit.xml']) expect(existsSync(join(reportsDir, `tiny-action.isolated.${ext}`)), ext).toBe(true);
    // evbench appended its Markdown report to the step summary, whole
    expect(r.summary).toContain(readFileSync(join(reportsDir, 'tiny-action.isolated.md'), 'utf8'));
    expect(r.summary).toMatch(/^## evbench: tiny-action — /m);
    // an annotation carries the verdict; the CI log got the ASCII sparkline
    expect(r.stdout).toMatch(new RegExp(`^::(notice|error|warning) title=evbench::tiny-action: verdict ${first.hol.verdict} — `, 'm'));
    expect(r.stderr).toMatch(/^latency over time: p99 per second/m);
  });

  it('with the first record as baseline (a folder, as a cache restores it): compares, reports in the summary, fail: false never fails the step', async () => {
    expect(first, 'the first run must have produced a record').toBeDefined();
    mkdirSync(join(work, 'baseline'), { recursive: true });
    copyFileSync(join(work, 'reports-a', 'tiny-action.isolated.json'), join(work, 'baseline', 'tiny-action.isolated.json'));
    const r = await step('run', work, {
      scenario: 'tiny.json',
      args: '--workers 1',
      out: 'reports-b',
      baseline: 'baseline',
      'fail-on-regression': 'true',
      fail: 'false',
    });
    expect(r.code, r.stderr).toBe(0);
    const o = r.outputs;
    const second = JSON.parse(readFileSync(o.get('record')!, 'utf8')) as RunRecord;
    const compareCode = o.get('compare-exit-code');
    const notAResult = [first, second].some((rec) => rec.hol.verdict === 'invalid' || rec.generator.bound);
    if (notAResult) {
      // compare refuses to rank a record that is not a result, and the summary says so
      expect(compareCode).toBe('4');
      expect(r.summary).toMatch(/⚠️ evbench compare tiny-action \(exit 4\): .*NOT A RESULT/);
    } else {
      expect(['0', '1']).toContain(compareCode);
      expect(r.summary).toMatch(/^## evbench compare — (✅ no regression|❌ \d+ regression)/m);
      expect(Number(o.get('regressions'))).toBe(compareCode === '0' ? 0 : Number(/❌ (\d+) regression/.exec(r.summary)![1]));
    }
    expect(o.get('fail-with')).toBe('0');
  });
});

describe('the action when evbench cannot run', () => {
  it('a scenario that does not exist: exit-code 2, no verdict, the error in the summary, the step fails with 2', async () => {
    const r = await step(
      'run',
      work,
      { scenario: 'no-such-scenario', fail: 'true', 'fail-on-hol': 'false', 'fail-on-regression': 'true' },
      30_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs.get('exit-code')).toBe('2');
    expect(r.outputs.get('verdict')).toBe('');
    expect(r.outputs.get('record')).toBe('');
    expect(r.outputs.get('fail-with')).toBe('2');
    expect(r.summary).toContain('### evbench: no run record');
    expect(r.summary).toContain('scenario "no-such-scenario": no such file, and not a built-in scenario');
    expect(r.stdout).toMatch(/^::error title=evbench::evbench exited 2: /m);
  });

  it('inputs that do not fit together fail the step at once with one clear message', async () => {
    const r = await step('run', work, { scenario: 'demo', target: 'ws://127.0.0.1:9/websocket' }, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('evbench action: scenario demo runs its own embedded servers');
    expect(r.summary).toContain('### evbench: the action could not run');
    const bad = await step('run', work, { scenario: 'tiny.json', 'fail-on-hol': 'yes' }, 30_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('input fail-on-hol: expected true or false, got "yes"');
  });

  it('install with no version: this checkout, already built', async () => {
    const r = await step('install', work, {}, 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs.get('bin')).toBe(join(packageRoot, 'bin', 'evbench'));
  });
});
