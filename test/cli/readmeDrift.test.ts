// The README's lists of what ships (built-in scenarios, example servers) against what ships: they had
// drifted to four of five and four of six.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenarios } from '../../src/scenario/load.js';
import { packageRoot } from '../../src/util/paths.js';

const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

describe('README lists what ships', () => {
  it('every built-in scenario', () => {
    const line = readme.split('\n').find((l) => l.includes('# built-in:'));
    expect(line).toBeDefined();
    const listed = line!
      .split('# built-in:')[1]!
      .split(',')
      .map((s) => s.trim());
    expect([...listed].sort()).toEqual(builtInScenarios());
  });

  it('every server of examples/foreign-servers.mjs, and their number', () => {
    const source = readFileSync(join(packageRoot, 'examples', 'foreign-servers.mjs'), 'utf8');
    const names = /usage: node examples\/foreign-servers\.mjs ([a-z|]+)/.exec(source)![1]!.split('|');
    const sentence = /`examples\/foreign-servers\.mjs` has (\w+) toy servers[^]*?\n\n/.exec(readme)?.[0] ?? '';
    expect(sentence).toContain(`has ${NUMBERS[names.length]} toy servers`);
    for (const n of names) expect(sentence).toContain(`\`${n}\``);
  });
});
