// action.yml and the workflows that use it, parsed: every input the script reads is declared and
// handed to it, every declared input is used, every output is set by the script, every step output
// referenced exists, third-party actions are pinned, and this repository's workflow calls the action
// with inputs it has and reads outputs it sets.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packageRoot } from '../../src/util/paths.js';

interface Step {
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  'working-directory'?: string;
}
interface ActionYml {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const actionText = readFileSync(join(packageRoot, 'action.yml'), 'utf8');
const action = parse(actionText) as ActionYml;
const scriptText = readFileSync(join(packageRoot, 'scripts', 'action.mjs'), 'utf8');
const steps = action.runs.steps;

const matches = (text: string, re: RegExp): string[] => [...text.matchAll(re)].map((m) => m[1]!);
/** Inputs the script reads: input('name') and booleanInput('name'), with or without an env argument. */
const scriptInputs = new Set(matches(scriptText, /\b(?:input|booleanInput)\(\s*'([a-z0-9-]+)'/g));
/** Outputs the script sets. */
const scriptOutputs = new Set(matches(scriptText, /\bsetOutput\(\s*'([a-z0-9-]+)'/g));
const envName = (input: string): string => `INPUT_${input.toUpperCase().replace(/-/g, '_')}`;
const scriptStep = (command: string): Step => steps.find((s) => s.run?.includes(`scripts/action.mjs" ${command}`))!;

describe('action.yml', () => {
  it('is a composite action with a name, a description and described inputs and outputs', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.name).toBe('evbench');
    expect(action.description.length).toBeGreaterThan(20);
    for (const [name, i] of [...Object.entries(action.inputs), ...Object.entries(action.outputs)]) expect(i.description, name).toBeTruthy();
    // the list, and what a user expects besides
    for (const name of [
      'scenario',
      'target',
      'thresholds',
      'report-formats',
      'fail-on-hol',
      'evbench-version',
      'args',
      'working-directory',
      'baseline',
    ])
      expect(action.inputs, name).toHaveProperty(name);
    for (const name of ['verdict', 'fast-p99-baseline-ms', 'fast-p99-stress-ms', 'slow-p99-stress-ms', 'record', 'exit-code'])
      expect(action.outputs, name).toHaveProperty(name);
  });

  it('the script reads inputs (the regex finds them)', () => {
    expect(scriptInputs.size).toBeGreaterThanOrEqual(10);
    expect(scriptOutputs.size).toBeGreaterThanOrEqual(10);
  });

  it('every input the script reads is declared, and handed to the step that runs it as INPUT_<NAME>: ${{ inputs.<name> }}', () => {
    const install = scriptStep('install');
    const run = scriptStep('run');
    expect(install, 'a step runs action.mjs install').toBeDefined();
    expect(run, 'a step runs action.mjs run').toBeDefined();
    for (const name of scriptInputs) {
      expect(action.inputs, `input ${name} read by the script`).toHaveProperty(name);
      const step = name === 'evbench-version' ? install : run;
      expect(step.env?.[envName(name)], `${envName(name)} on the ${step.id} step`).toBe(`\${{ inputs.${name} }}`);
    }
    // and nothing else passes as an input
    for (const step of [install, run])
      for (const [k, v] of Object.entries(step.env ?? {}))
        if (k.startsWith('INPUT_')) {
          const name = /^\$\{\{ inputs\.([a-z0-9-]+) \}\}$/.exec(v)?.[1];
          expect(name, `${k} maps an input`).toBeDefined();
          expect(envName(name!)).toBe(k);
          expect(scriptInputs.has(name!), `${name} is read by the script`).toBe(true);
        }
  });

  it('every declared input is used: by the script or in the action’s own expressions', () => {
    const expressions = new Set(matches(actionText.slice(actionText.indexOf('\nruns:')), /inputs\.([a-z0-9-]+)/g));
    for (const name of Object.keys(action.inputs))
      expect(scriptInputs.has(name) || expressions.has(name), `input ${name} is used`).toBe(true);
    for (const name of expressions) expect(action.inputs, `inputs.${name} in an expression`).toHaveProperty(name);
  });

  it('every output is the run step’s output of the same name, and the script sets it', () => {
    for (const [name, o] of Object.entries(action.outputs)) {
      expect(o.value, name).toBe(`\${{ steps.run.outputs.${name} }}`);
      expect(scriptOutputs.has(name), `the script sets ${name}`).toBe(true);
    }
  });

  it('every step output used inside the action is set by the script, on a step with that id', () => {
    const ids = new Set(steps.map((s) => s.id).filter(Boolean));
    for (const [, id, name] of actionText.matchAll(/steps\.([a-z0-9-]+)\.outputs\.([a-z0-9-]+)/g)) {
      expect(ids.has(id!), `step ${id}`).toBe(true);
      expect(scriptOutputs.has(name!), `the script sets ${name}`).toBe(true);
    }
    // outputs the script sets but nobody reads would be dead weight
    const used = new Set(matches(actionText, /steps\.[a-z0-9-]+\.outputs\.([a-z0-9-]+)/g));
    for (const name of scriptOutputs) expect(used.has(name), `${name} is read by the action`).toBe(true);
  });

  it('run steps declare their shell; third-party actions are pinned to a major version or a commit', () => {
    for (const s of steps) {
      if (s.run !== undefined) expect(s.shell, s.run).toBe('bash');
      if (s.uses !== undefined) expect(s.uses).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+|[0-9a-f]{40})$/);
    }
    expect(steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
  });

  it('the reports are uploaded and the step fails even when the run step failed (always())', () => {
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toMatch(/^always\(\) && /);
    expect(upload.with?.path).toBe('${{ steps.run.outputs.reports-dir }}');
    const fail = steps.at(-1)!;
    expect(fail.if).toMatch(/^always\(\) && .*steps\.run\.outputs\.fail-with/);
    expect(fail.run).toContain('exit "$FAIL_WITH"');
    expect(steps.indexOf(upload)).toBeLessThan(steps.indexOf(fail));
  });

  it('no input is pasted into a shell line (script injection): inputs reach run steps only through env', () => {
    for (const s of steps) if (s.run) expect(s.run, s.run).not.toMatch(/\$\{\{/);
  });
});

describe('the workflows in .github/workflows', () => {
  const dir = join(packageRoot, '.github', 'workflows');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  interface Workflow {
    on: Record<string, unknown> | string[] | string;
    jobs: Record<string, { steps: Step[] }>;
  }
  const workflows = files.map((f) => ({
    file: f,
    wf: parse(readFileSync(join(dir, f), 'utf8')) as Workflow,
    text: readFileSync(join(dir, f), 'utf8'),
  }));

  it('one of them uses this repository’s action on pull requests, after checking the repository out', () => {
    const using = workflows.filter(({ wf }) => Object.values(wf.jobs).some((j) => j.steps.some((s) => s.uses === './')));
    expect(using.length).toBeGreaterThan(0);
    for (const { file, wf } of using) {
      const triggers = Array.isArray(wf.on) ? wf.on : typeof wf.on === 'string' ? [wf.on] : Object.keys(wf.on);
      expect(triggers, file).toContain('pull_request');
      for (const [name, job] of Object.entries(wf.jobs)) {
        const at = job.steps.findIndex((s) => s.uses === './');
        if (at < 0) continue;
        const checkout = job.steps.findIndex((s) => s.uses?.startsWith('actions/checkout@'));
        expect(checkout, `${file} ${name}: checkout before uses: ./`).toBeGreaterThanOrEqual(0);
        expect(checkout).toBeLessThan(at);
      }
    }
  });

  it('calls the action with inputs it declares, and reads outputs it sets', () => {
    for (const { file, wf, text } of workflows) {
      for (const [name, job] of Object.entries(wf.jobs)) {
        const ids = new Set<string>();
        for (const s of job.steps) {
          if (s.uses?.includes('@')) expect(s.uses, `${file} ${name}`).toMatch(/@(v\d+|[0-9a-f]{40})$/);
          if (s.uses !== './') continue;
          for (const key of Object.keys(s.with ?? {})) expect(action.inputs, `${file} ${name}: with.${key}`).toHaveProperty(key);
          for (const [input, spec] of Object.entries(action.inputs))
            if (spec.required) expect(s.with, `${file} ${name}: ${input} is required`).toHaveProperty(input);
          if (s.id) ids.add(s.id);
        }
        for (const [, id, output] of text.matchAll(/steps\.([a-z0-9-]+)\.outputs\.([a-z0-9-]+)/g))
          if (ids.has(id!)) expect(action.outputs, `${file}: steps.${id}.outputs.${output}`).toHaveProperty(output!);
      }
    }
  });
});

describe('docs/ci.md', () => {
  const doc = readFileSync(join(packageRoot, 'docs', 'ci.md'), 'utf8');

  it('has a row for every input and output, with the input’s default', () => {
    for (const [name, spec] of Object.entries(action.inputs)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      expect(row, `input ${name}`).toBeDefined();
      const cell = row!.split('|')[2]!.trim();
      expect(cell, `default of ${name}`).toBe(spec.default ? `\`${spec.default}\`` : '');
    }
    for (const name of Object.keys(action.outputs)) expect(doc, `output ${name}`).toContain(`| \`${name}\` |`);
  });
});
