// --quiet and --verbose through the CLI on real short runs against the embedded server: quiet prints
// the verdict lines only and keeps the exit code; verbose unfolds each client and draws the sparkline
// even into a pipe; `report` and `compare` follow the same rules on the record that run wrote.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, runCli } from '../support/cli.js';
import type { RunRecord } from '../../src/record/schema.js';
import { runStatus, verdictLabel } from '../../src/reports/outcomes.js';
import { LEVELS_ASCII, LEVELS_UNICODE } from '../../src/reports/sparkline.js';
import { cliEntry, packageRoot } from '../../src/util/paths.js';
import { tinyStallScenario } from '../support/tinyStallScenario.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('verbosity');

const tiny = tinyStallScenario('tiny');
const scenarioFile = (name: string, body: object): string => {
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(body));
  return file;
};
/** Not a CI log, not a terminal: what a plain pipe gets by default. */
const PIPE_ENV = { CI: undefined, LANG: 'C.UTF-8', LC_ALL: undefined, LC_CTYPE: undefined };

/** The exit code `run` must give for these records (partial runs aside: a short loopback run is not cut). */
function expectedExit(records: RunRecord[], failOnHol = false): number {
  const status = records.map((r) => runStatus(r, failOnHol));
  return status.includes('not a result') ? 4 : status.includes('failed') ? 1 : status.includes('inconclusive') ? 5 : 0;
}

const sparkRows = (stderr: string): string[] => {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('latency over time:'));
  if (at < 0) return [];
  const rows: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ')) break;
    rows.push(l);
  }
  return rows;
};

describe('--quiet', () => {
  it('two variants: one verdict line each (and each failed threshold), nothing else; the exit code is the run’s', async () => {
    const file = scenarioFile('tiny-variants', {
      ...tiny,
      name: 'tiny-variants',
      variants: [
        { name: 'legacy', mode: 'legacy' },
        { name: 'isolated', mode: 'isolated' },
      ],
    });
    // a bound no run meets, so a run that is a result fails it and must say so
    const r = await runCli(
      ['run', file, '--quiet', '--json', '--out', tmp, '--workers', '1', '--threshold', 'latency{group:fast}: p(99)<1us'],
      120_000,
    );
    const out = JSON.parse(r.stdout) as Record<string, RunRecord>;
    expect(Object.keys(out)).toEqual(['legacy', 'isolated']);
    expect(r.code, r.stderr).toBe(expectedExit(Object.values(out)));
    const lines = r.stderr.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^(legacy|isolated): (verdict: | {2}✗ )/);
    for (const [name, rec] of Object.entries(out)) {
      const own = lines.filter((l) => l.startsWith(`${name}: `));
      expect(own[0]).toBe(`${name}: verdict: ${verdictLabel(rec.hol.verdict).text} — ${rec.hol.summary}`);
      // a run that is a result failed the impossible bound, and the line says which
      if (rec.hol.verdict !== 'invalid') expect(own.slice(1).join('\n')).toContain('latency{group:fast}: p(99)<1us');
      else expect(own).toHaveLength(1);
    }
  });

  it('-q with -v is a usage error', async () => {
    const r = await runCli(['run', 'slow-client', '-q', '-v']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '-q, --quiet' cannot be used with option '-v, --verbose'");
  });
});

describe('--verbose, then report and compare on its record', () => {
  let record: RunRecord;
  const recordFile = join(tmp, 'tiny.isolated.json');

  it('run -v: the server’s log, each client, the verdict’s working, and the sparkline even into a pipe', async () => {
    const file = scenarioFile('tiny-scenario', tiny);
    const r = await runCli(['run', file, '--verbose', '--out', tmp, '--workers', '1'], 120_000, PIPE_ENV);
    record = JSON.parse(readFileSync(recordFile, 'utf8')) as RunRecord;
    expect(r.code, r.stderr).toBe(expectedExit([record]));
    // the embedded server's own lines, which the default output leaves out
    expect(r.stderr).toMatch(/^server: evbench serve \(isolated\) listening on ws:\/\/127\.0\.0\.1:\d+\/websocket$/m);
    // every client by id, the stalled one with its missing count beside it
    expect(r.stderr).toContain('per client:');
    for (const g of record.groups)
      for (const c of g.clientResults) expect(r.stderr).toMatch(new RegExp(`^${g.name} +${c.id} +${c.delivered} +${c.missing} `, 'm'));
    expect(r.stderr).toContain('subscribe ack p50 / p99');
    if (record.hol.noise) expect(r.stderr).toMatch(/^ {2}noise floor \d/m);
    // the sparkline: NO_COLOR (set by the test harness) means ASCII; one row per group, a mark per phase boundary
    const rows = sparkRows(r.stderr);
    expect(rows.map((l) => l.trim().split(' ')[0])).toEqual(['fast', 'stalled']);
    for (const row of rows) {
      expect(row.split('|')).toHaveLength(3);
      expect([...row].some((ch) => LEVELS_UNICODE.includes(ch))).toBe(false);
    }
    // fast was owed events every second: no blank column; it drew with the ASCII levels only
    const fastData = rows[0]!.replace(/^ {2}fast +/, '').replace(/ {2}\d.*$/, '');
    expect(fastData.replace(/\|/g, '')).toMatch(new RegExp(`^[${LEVELS_ASCII.replace(/[-\\^\]]/g, '\\$&')}]{7,8}$`));
  });

  it('report: no sparkline into a plain pipe, ASCII in CI, block elements with -v on UTF-8; -q the verdict lines only', async () => {
    const out = join(tmp, 'again');
    const plain = await runCli(['report', recordFile, '--format', 'md', '--out', out], 30_000, PIPE_ENV);
    expect(plain.stderr).toContain('verdict: ');
    expect(plain.stderr).not.toContain('latency over time');
    const ci = await runCli(['report', recordFile, '--format', 'md', '--out', out], 30_000, { ...PIPE_ENV, CI: 'true' });
    expect(sparkRows(ci.stderr)).toHaveLength(2);
    expect([...sparkRows(ci.stderr).join('')].some((ch) => LEVELS_UNICODE.includes(ch))).toBe(false);
    const verbose = await runCli(['report', recordFile, '--format', 'md', '--out', out, '-v'], 30_000, {
      ...PIPE_ENV,
      NO_COLOR: undefined,
    });
    expect([...sparkRows(verbose.stderr)[0]!].some((ch) => LEVELS_UNICODE.includes(ch))).toBe(true);
    expect(verbose.stderr).toContain('per client:');
    const quiet = await runCli(['report', recordFile, '--format', 'md', '--out', out, '-q'], 30_000, PIPE_ENV);
    expect(quiet.code).toBe(plain.code);
    expect(quiet.stderr.split('\n')[0]).toMatch(/^verdict: /);
    expect(quiet.stderr).not.toContain('reports:');
    expect(
      quiet.stderr
        .trimEnd()
        .split('\n')
        .slice(1)
        .every((l) => l.startsWith('  ✗ ')),
    ).toBe(true);
  });

  it('compare -q: one line; -v: both runs’ fast groups on one scale', async () => {
    const quiet = await runCli(['compare', recordFile, recordFile, '-q'], 30_000, PIPE_ENV);
    if (record.hol.verdict === 'invalid' || record.generator.bound) {
      // not a result: refused, not ranked, in one line
      expect(quiet.code).toBe(4);
      expect(quiet.stderr.trim().split('\n')).toHaveLength(1);
      return;
    }
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr.trim()).toBe('compare: no regression beyond noise and tolerance');
    const verbose = await runCli(['compare', recordFile, recordFile, '-v'], 30_000, PIPE_ENV);
    expect(sparkRows(verbose.stderr).map((l) => l.trim().split('  ')[0])).toEqual(['BASE fast', 'NEW fast']);
  });
});

describe('on a real terminal', () => {
  // script(1) (util-linux, in every Debian base system) gives the CLI a pseudo-terminal, as a user's shell does
  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

  it.skipIf(!hasScript)('the summary draws the sparkline in block elements on a UTF-8 tty, and not into a pipe', () => {
    const fixture = join(packageRoot, 'test', 'support', 'fixtures', 'run-record.json');
    const out = join(tmp, 'tty');
    const command = [process.execPath, cliEntry, 'report', fixture, '--format', 'md', '--out', out].map((a) => `'${a}'`).join(' ');
    const env = { ...process.env, LANG: 'C.UTF-8', LC_ALL: '', LC_CTYPE: '', COLUMNS: '120' };
    delete env.CI;
    delete env.NO_COLOR;
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { env, encoding: 'utf8', timeout: 30_000 });
    // eslint-disable-next-line no-control-regex -- ESC starts every ANSI colour sequence (colours are on, on a tty)
    const text = tty.stdout.replace(/\r/g, '').replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).toContain('latency over time: p99 per second, log scale ▁ 1.88ms … █ 188.0ms; | between warmup | baseline | stress');
    expect(text).toMatch(/^ {2}fast {5}▁\|▁▁\|▆▆▆ {2}1\.88ms … 55\.0ms$/m);
    expect(text).toMatch(/^ {2}stalled {3}\| {2}\|▁▁▁ {2}2\.58ms … 2\.97ms$/m);
    const piped = spawnSync(process.execPath, [cliEntry, 'report', fixture, '--format', 'md', '--out', out], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(piped.stderr).toContain('verdict: HOL');
    expect(piped.stderr).not.toContain('latency over time');
  });
});
