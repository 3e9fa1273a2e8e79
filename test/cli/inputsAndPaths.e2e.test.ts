// evbench never writes over a file it was given, never outside its output folder, and refuses a
// crafted record with one line and exit 2 — through the CLI, as users run it.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tinyStallScenario } from '../support/tinyStallScenario.js';
import { tempDir } from '../support/tempDir.js';

const tmp = tempDir('inputs');
const fixtureText = readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8');
const fixture = (): Record<string, any> => JSON.parse(fixtureText);

/** Every file under `dir`, recursively, as paths relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('a crafted record given to report', () => {
  it.each([
    ['a shard count that is a path', (r: any) => (r.shard = { index: 0, count: '1/../../victim-dir/package' }), 'shard.count'],
    ['a name that is a number', (r: any) => (r.scenario.name = 123), 'scenario.name'],
    ['evidence null', (r: any) => (r.hol.evidence = null), 'hol.evidence'],
    ['a huge array', (r: any) => (r.groups[0].clientResults = new Array(1_000_001).fill(0)), 'groups[0].clientResults'],
    ['a wrong type deep inside', (r: any) => (r.intervals[0].histogram = 7), 'intervals[0].histogram'],
  ])('%s: exit 2, one line naming the field, nothing written anywhere', async (name, spoil, field) => {
    const root = join(tmp, name.replaceAll(' ', '-'));
    const victim = join(root, 'victim-dir');
    const work = join(root, 'a', 'b');
    mkdirSync(victim, { recursive: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(join(victim, 'package.json'), '{"name":"victim"}');
    const r = fixture();
    spoil(r);
    const file = join(work, 'crafted.json');
    writeFileSync(file, JSON.stringify(r));
    const before = tree(root);
    const res = await runCli(['report', file, '--format', 'json,html,md,junit,hgrm,hlog']);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(`${file}: corrupt run record: ${field}: `);
    expect(tree(root)).toEqual(before);
    expect(readFileSync(join(victim, 'package.json'), 'utf8')).toBe('{"name":"victim"}');
  });

  it('a valid record still renders, beside itself, with 0600 files', async () => {
    const dir = join(tmp, 'valid');
    mkdirSync(dir);
    const file = join(dir, 'rec.json');
    writeFileSync(file, fixtureText);
    const res = await runCli(['report', file, '--format', 'md,html', '--quiet']);
    expect([0, 1, 5], res.stderr).toContain(res.code);
    expect(tree(dir)).toEqual(['fixture.legacy.html', 'fixture.legacy.md', 'rec.json']);
    expect(statSync(join(dir, 'fixture.legacy.md')).mode & 0o777).toBe(0o600);
  });
});

describe('outputs never replace inputs', () => {
  it('report --format json over the record it reads: exit 2, the record untouched', async () => {
    const dir = join(tmp, 'self');
    mkdirSync(dir);
    const file = join(dir, 'fixture.legacy.json');
    writeFileSync(file, fixtureText);
    const res = await runCli(['report', file, '--format', 'json', '--threshold', 'latency{group:fast}: p(99)<1us']);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr.trim()).toBe(`evbench: refusing to write ${file}: it is ${file}, an input of this command (choose another --out)`);
    expect(readFileSync(file, 'utf8')).toBe(fixtureText);
    // through a symlink to it too
    const link = join(tmp, 'self-link');
    mkdirSync(link);
    symlinkSync(file, join(link, 'fixture.legacy.json'));
    const viaLink = await runCli(['report', file, '--format', 'json', '--out', link]);
    expect(viaLink.code, viaLink.stderr).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(fixtureText);
    // another folder is fine
    const other = join(tmp, 'self-other');
    const ok = await runCli(['report', file, '--format', 'json', '--out', other, '--quiet']);
    expect([0, 1, 5], ok.stderr).toContain(ok.code);
    expect(existsSync(join(other, 'fixture.legacy.json'))).toBe(true);
  });

  it('merge -o onto one of its shards: exit 2, the shard untouched', async () => {
    const dir = join(tmp, 'merge');
    mkdirSync(dir);
    const shard = (index: number): string => {
      const r = fixture();
      r.shard = { index, count: 2 };
      const f = join(dir, `s${index}.json`);
      writeFileSync(f, JSON.stringify(r));
      return f;
    };
    const [s0, s1] = [shard(0), shard(1)];
    const before = readFileSync(s0, 'utf8');
    const res = await runCli(['merge', s0, s1, '-o', s0]);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain(`refusing to write ${s0}: it is ${s0}, an input of this command`);
    expect(readFileSync(s0, 'utf8')).toBe(before);
  });

  it('run my.json --out the folder holding it: the scenario is kept, the record written beside it', async () => {
    const dir = join(tmp, 'run-here');
    mkdirSync(dir);
    const scenario = join(dir, 'my.json');
    const text = JSON.stringify({ ...tinyStallScenario('my'), target: { embedded: { mode: 'legacy' } } });
    writeFileSync(scenario, text);
    // the child's temporary folder is this test's, so the rescued record goes when the test's folder does
    const res = await runCli(['run', scenario, '--out', dir, '--duration', '3s', '--workers', '1', '--quiet'], 120_000, { TMPDIR: tmp });
    expect([0, 1, 4, 5], res.stderr).toContain(res.code);
    expect(readFileSync(scenario, 'utf8')).toBe(text);
    expect(existsSync(join(dir, 'my.legacy.json'))).toBe(true);
  }, 150_000);

  it('a scenario named so its record would land on the scenario file: refused, the measurement rescued', async () => {
    const dir = join(tmp, 'run-clash');
    mkdirSync(dir);
    // the record of scenario "my" against an embedded isolated server is my.isolated.json
    const scenario = join(dir, 'my.isolated.json');
    const text = JSON.stringify(tinyStallScenario('my'));
    writeFileSync(scenario, text);
    // the child's temporary folder is this test's, so the rescued record goes when the test's folder does
    const res = await runCli(['run', scenario, '--out', dir, '--duration', '3s', '--workers', '1', '--quiet'], 120_000, { TMPDIR: tmp });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(
      /refusing to write .*my\.isolated\.json: it is .*an input of this command .*; the run record was saved to \S+ instead/,
    );
    expect(readFileSync(scenario, 'utf8')).toBe(text);
    const rescued = /saved to (\S+) instead/.exec(res.stderr)![1]!;
    expect(dirname(rescued)).toBe(tmp);
    expect(statSync(rescued).mode & 0o777).toBe(0o600);
  }, 150_000);
});
