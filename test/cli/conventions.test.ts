// The conventions module on its own: which option lacks its value, how an error names the variable a
// value came from, token files against flags and variables, and the "did you mean" distance.
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envName, missingOptionValue, nameEnvSource, withEnvironment } from '../../src/cli/conventions.js';
import { withTokenFiles } from '../../src/cli/targetFlags.js';
import { closest, editDistance } from '../../src/scenario/closest.js';
import { tempDir } from '../support/tempDir.js';

function program(): Command {
  const p = new Command('evbench').option('--debug').exitOverride();
  p.command('run').argument('<scenario>').option('--target <url>').option('--rate <n>').option('--dashboard [port]').option('--json');
  return p;
}

describe('missingOptionValue', () => {
  it.each([
    [['run', 's', '--target'], '--target needs a value (--target <url>): see evbench run --help'],
    [
      ['run', '--target', '--rate', '5', 's'],
      '--target needs a value (--target <url>), got the option --rate instead: see evbench run --help',
    ],
    [['run', 's', '--rate', '--json'], '--rate needs a value (--rate <n>), got the option --json instead: see evbench run --help'],
    [['run', 's', '--rate', '--debug'], '--rate needs a value (--rate <n>), got the option --debug instead: see evbench run --help'],
  ])('%j is named', (argv, message) => {
    expect(missingOptionValue(program(), argv)).toBe(message);
  });

  it.each([
    [['run', 's', '--target', 'ws://x']],
    [['run', 's', '--rate', '-5']], // not an option: a (bad) value, for the validator
    [['run', 's', '--rate=', '--json']], // given, empty
    [['run', 's', '--dashboard', '--json']], // its value is optional
    [['run', 's', '--', '--target']], // after --, arguments
    [['run', 's', '--rate', '--no-such-flag']], // not one of the command's options: the value
  ])('%j is left to commander and the validators', (argv) => {
    expect(missingOptionValue(program(), argv)).toBeUndefined();
  });
});

describe('nameEnvSource and withEnvironment', () => {
  function parsed(env: Record<string, string>, argv: string[]): Command {
    const p = program();
    const run = p.commands[0]!;
    withEnvironment(run);
    run.action(() => {});
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      p.parse(['node', 'evbench', ...argv]);
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    }
    return run;
  }

  it('a value from the variable is named by it; a flag keeps its own name', () => {
    const fromEnv = parsed({ EVBENCH_RATE: '0.01' }, ['run', 's']);
    expect(fromEnv.opts().rate).toBe('0.01');
    expect(nameEnvSource(fromEnv, '--rate 0.01: must be ≥ 0.1, got 0.01')).toBe('EVBENCH_RATE=0.01 (--rate): must be ≥ 0.1, got 0.01');
    expect(nameEnvSource(fromEnv, '--rate: expected events per second, got "x"')).toBe(
      'EVBENCH_RATE (--rate): expected events per second, got "x"',
    );
    const fromFlag = parsed({ EVBENCH_RATE: '7' }, ['run', 's', '--rate', '0.01']);
    expect(fromFlag.opts().rate).toBe('0.01');
    expect(nameEnvSource(fromFlag, '--rate 0.01: must be ≥ 0.1, got 0.01')).toBe('--rate 0.01: must be ≥ 0.1, got 0.01');
    // another flag's message is left alone
    expect(nameEnvSource(fromEnv, '--target: expected a ws:// URL')).toBe('--target: expected a ws:// URL');
  });

  it('a switch reads 1/true/yes/on and 0/false/no/off', () => {
    expect(parsed({ EVBENCH_JSON: 'true' }, ['run', 's']).opts().json).toBe(true);
    expect(parsed({ EVBENCH_JSON: '0' }, ['run', 's']).opts().json).toBeUndefined();
    expect(() => parsed({ EVBENCH_JSON: 'maybe' }, ['run', 's'])).toThrow('EVBENCH_JSON: expected 1, true, yes, on or 0, false, no, off');
  });

  it('names: --publisher-token → EVBENCH_PUBLISHER_TOKEN, --no-color → EVBENCH_NO_COLOR', () => {
    const c = new Command().option('--publisher-token <t>').option('--no-color');
    expect(c.options.map(envName)).toEqual(['EVBENCH_PUBLISHER_TOKEN', 'EVBENCH_NO_COLOR']);
  });
});

describe('withTokenFiles', () => {
  const dir = tempDir('tokens');
  const file = join(dir, 'pub');
  writeFileSync(file, '# the publisher\nsecret\n');

  it('a file beats the variable; a flag and a file together are refused', () => {
    expect(withTokenFiles({ publisherTokenFile: file }, () => undefined).publisherToken).toBe('secret');
    expect(withTokenFiles({ publisherToken: 'env', publisherTokenFile: file }, () => 'env').publisherToken).toBe('secret');
    expect(() => withTokenFiles({ publisherToken: 'flag', publisherTokenFile: file }, () => 'cli')).toThrow(
      '--publisher-token and --publisher-token-file: give one of them, not both',
    );
    expect(withTokenFiles({ token: 'flag' }, () => 'cli').token).toBe('flag');
  });

  it('a file with two tokens is refused', () => {
    const two = join(dir, 'two');
    writeFileSync(two, 'a\nb\n');
    expect(() => withTokenFiles({ metricsTokenFile: two }, () => undefined)).toThrow('--metrics-token-file: ');
  });
});

describe('closest', () => {
  it('suggests within a third of the length, and nothing farther', () => {
    expect(editDistance('rtae', 'rate')).toBe(1);
    expect(closest('rtae', ['rate', 'payloadBytes'])).toBe('rate');
    expect(closest('fsat', ['fast', 'stalled'])).toBe('fast');
    expect(closest('speed', ['rate', 'payloadBytes', 'mix', 'prefill'])).toBeUndefined();
    expect(closest('stres', ['warmup', 'baseline', 'stress'])).toBe('stress');
    expect(closest('overload', ['warmup', 'baseline', 'stress'])).toBeUndefined();
  });
});
