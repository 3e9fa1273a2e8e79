// The action script's small pieces: how inputs become evbench's command line, and how outputs are written.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: a plain ESM script without type declarations (it runs on the CI runner as it is)
import * as script from '../../scripts/action.mjs';
import { readGithubOutput } from '../support/githubOutput.js';
import { tempDir } from '../support/tempDir.js';

const env = (inputs: Record<string, string>): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase().replace(/-/g, '_')}`, v]));

describe('inputs', () => {
  it('are read from INPUT_<NAME>, dashes as underscores, trimmed', () => {
    expect(script.input('fail-on-hol', { INPUT_FAIL_ON_HOL: ' true\n' })).toBe('true');
    expect(script.input('target', {})).toBe('');
  });

  it('booleans as GitHub reads them; anything else is an error naming the input', () => {
    expect(script.booleanInput('fail', { INPUT_FAIL: 'True' })).toBe(true);
    expect(script.booleanInput('fail', { INPUT_FAIL: 'FALSE' })).toBe(false);
    expect(script.booleanInput('fail', {})).toBe(false);
    expect(() => script.booleanInput('fail', { INPUT_FAIL: '1' })).toThrow('input fail: expected true or false, got "1"');
  });
});

describe('extra arguments are split like a shell, with nothing expanded', () => {
  it.each([
    ['--rate 2000  --clients fast=50', ['--rate', '2000', '--clients', 'fast=50']],
    [`--header 'Authorization: Bearer x y'`, ['--header', 'Authorization: Bearer x y']],
    [`--publish-body "{\\"id\\":{{id}}}"`, ['--publish-body', '{"id":{{id}}}']],
    ['--topic $HOME `x` a\\ b', ['--topic', '$HOME', '`x`', 'a b']],
    [`--a ''`, ['--a', '']],
    ['  \n ', []],
  ])('%j', (text, args) => {
    expect(script.splitArgs(text)).toEqual(args);
  });

  it('an unclosed quote is an error', () => {
    expect(() => script.splitArgs(`--header 'oops`)).toThrow("input args: unclosed ' quote");
  });
});

describe('the evbench command line', () => {
  it('run: scenario, target, each threshold line, duration, formats with md, fail-on-hol, out, --json, extra args last; the token only in the environment', () => {
    const inputs = env({
      scenario: 'my.json',
      target: 'ws://10.0.0.5:8080/websocket',
      'publisher-token': 's3cret',
      thresholds: 'hol: index<1.5\n  # not this one\n\nlatency{group:fast}: p(99)<50ms',
      duration: '30s',
      'report-formats': 'html, junit,json',
      'fail-on-hol': 'true',
      args: '--rate 100',
    });
    const args = script.evbenchArgs(inputs, '/out');
    expect(args).toEqual([
      'run',
      'my.json',
      '--target',
      'ws://10.0.0.5:8080/websocket',
      '--threshold',
      'hol: index<1.5',
      '--threshold',
      'latency{group:fast}: p(99)<50ms',
      '--duration',
      '30s',
      '--report',
      'md,html,junit',
      '--fail-on-hol',
      '--out',
      '/out',
      '--json',
      '--rate',
      '100',
    ]);
    expect(args.join(' ')).not.toContain('s3cret');
    expect(script.evbenchEnv(inputs).EVBENCH_PUBLISHER_TOKEN).toBe('s3cret');
    // no token given: the environment as it was (a token the workflow exported itself still reaches evbench)
    const without = env({ scenario: 'my.json' });
    expect(script.evbenchEnv(without)).toBe(without);
  });

  it('defaults: slow-client, md,html,junit, no --fail-on-hol unless asked', () => {
    expect(script.evbenchArgs({}, '/o')).toEqual(['run', 'slow-client', '--report', 'md,html,junit', '--out', '/o', '--json']);
  });

  it('demo runs `evbench demo`, and refuses what only a scenario takes', () => {
    expect(script.evbenchArgs(env({ scenario: 'demo', duration: '20s' }), '/o').slice(0, 3)).toEqual(['demo', '--duration', '20s']);
    expect(() => script.evbenchArgs(env({ scenario: 'demo', thresholds: 'hol: index<2' }), '/o')).toThrow(
      /demo runs its own embedded servers/,
    );
  });
});

describe('records and numbers', () => {
  const record = {
    scenario: { name: 'slow-client/legacy' },
    target: { kind: 'embedded', mode: 'legacy' },
    phases: [
      { name: 'baseline', role: 'baseline' },
      { name: 'stress', role: 'stress' },
      { name: 'stress-2', role: 'stress' },
    ],
    groups: [
      { kind: 'fast', phases: { baseline: { latencyUs: { count: 10, p99: 3120 } }, stress: { latencyUs: { count: 10, p99: 4000 } } } },
      { kind: 'fast', phases: { stress: { latencyUs: { count: 10, p99: 4500 } }, 'stress-2': { latencyUs: { count: 0, p99: 0 } } } },
      { kind: 'slow', phases: { stress: { latencyUs: { count: 3, p99: 11_920_123 } } } },
    ],
  };

  it('the record file is named as evbench names it: variant, mode or adapter, and shard included', () => {
    expect(script.recordFile(record, '/r')).toBe('/r/slow-client.legacy.json');
    expect(script.recordFile({ ...record, scenario: { name: 'slow-client' } }, '/r')).toBe('/r/slow-client.legacy.json');
    expect(script.recordFile({ ...record, scenario: { name: 'slow-client' }, target: { kind: 'embedded', mode: 'isolated' } }, '/r')).toBe(
      '/r/slow-client.isolated.json',
    );
    expect(
      script.recordFile({ scenario: { name: 'x y' }, target: { kind: 'url', adapter: 'generic' }, shard: { index: 2, count: 4 } }, '/r'),
    ).toBe('/r/x-y.generic.shard-2-of-4.json');
  });

  it('p99 in ms: the worst group of the kind over the phases of the role; empty when none', () => {
    expect(script.p99Ms(record, 'fast', 'baseline')).toBe('3.12');
    expect(script.p99Ms(record, 'fast', 'stress')).toBe('4.5');
    expect(script.p99Ms(record, 'slow', 'stress')).toBe('11920.123');
    expect(script.p99Ms(record, 'slow', 'baseline')).toBe('');
  });

  it('--json output: one record, or an object of them by variant', () => {
    const one = { schemaVersion: 1, scenario: { name: 'slow-client' } };
    expect(script.parseRecords(JSON.stringify(one))).toEqual([{ name: 'slow-client', record: one }]);
    expect(script.parseRecords(JSON.stringify({ legacy: one, isolated: one })).map((r: { name: string }) => r.name)).toEqual([
      'legacy',
      'isolated',
    ]);
    expect(script.parseRecords('')).toEqual([]);
  });

  it('an npm spec from evbench-version', () => {
    expect(script.installSpec('0.2.0')).toBe('evbench@0.2.0');
    expect(script.installSpec('v1.2.3-rc.1')).toBe('evbench@1.2.3-rc.1');
    expect(script.installSpec('^0.2.0')).toBe('evbench@^0.2.0');
    expect(script.installSpec('github:someone/evbench#v1')).toBe('github:someone/evbench#v1');
    expect(script.installSpec('evbench@next')).toBe('evbench@next');
  });
});

describe('GITHUB_OUTPUT entries', () => {
  it('survive any value: newlines, equals signs, a delimiter-looking line', () => {
    const file = join(tempDir('out'), 'out');
    const values = { results: '[{"a":"x=y"}]', multi: 'one\ntwo\nEVBENCH_0000\n', empty: '' };
    writeFileSync(
      file,
      Object.entries(values)
        .map(([k, v]) => script.outputEntry(k, v))
        .join(''),
    );
    const read = readGithubOutput(file);
    expect(Object.fromEntries(read)).toEqual(values);
  });
});
