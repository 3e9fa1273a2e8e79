// `--out ndjson=FILE` and `--out prometheus-rw=URL` during a real run against the embedded server:
// lines appear while the run goes, one per group per second, and the final verdict; Debian's
// Prometheus (started here, with its remote-write receiver) holds series that match the record.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, runCli, startCli } from '../support/cli.js';
import { record } from '../support/runOutcome.js';
import { findBinary, freePort } from '../../examples/brokers.mjs';
import type { RunRecord } from '../../src/record/schema.js';
import { tinyStallScenario } from '../support/tinyStallScenario.js';
import { tempDir } from '../support/tempDir.js';

const tmp = tempDir('streams');
/** The Prometheus a test started: stopped after it, and here too should the test time out. */
let prom: ChildProcess | undefined;
afterAll(() => {
  killAll();
  prom?.kill('SIGKILL');
});

const prometheus = findBinary('prometheus');
if (!prometheus)
  console.warn(
    '!!! prometheus is not installed: the remote-write e2e test is SKIPPED (apt-get install prometheus; .ci/run installs it) !!!',
  );

/** Five seconds: fast readers throughout, a stalled reader in stress. */
function scenarioFile(name: string, stress = '2s'): string {
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(tinyStallScenario(name, { baseline: '2s', stress })));
  return file;
}

interface Line {
  type: string;
  group: string;
  phase: string;
  second: number;
  final: boolean;
  verdict: string;
  delivered_events_total: number;
  phases: { group: string; phase: string; delivered_events_total: number; missing_events: number }[];
}

const lines = (file: string): Line[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line);

describe('--out ndjson=FILE', () => {
  it('writes a line per group per second while the run goes, then the final verdict', async () => {
    const file = join(tmp, 'run.ndjson');
    const run = startCli(['run', scenarioFile('ndjson-run'), '--out', tmp, '--out', `ndjson=${file}`, '--json', '--workers', '1']);
    // the first live batch lands about 2.4 s after t0, long before the run (5 s and a grace second) ends
    let sawLiveLine = false;
    for (let i = 0; i < 200 && run.child.exitCode === null && !sawLiveLine; i++) {
      await new Promise((r) => setTimeout(r, 100));
      sawLiveLine = existsSync(file) && readFileSync(file, 'utf8').includes('"type":"second"') && run.child.exitCode === null;
    }
    const r = await run.done;
    const rec: RunRecord = record(r);
    expect(sawLiveLine, 'a line before the run ended').toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(r.stderr).toMatch(/streams: the live record of ndjson-run cost the runner [\d.]+ ms of CPU/);

    const all = lines(file);
    const seconds = all.filter((l) => l.type === 'second');
    expect(
      seconds.some((l) => !l.final),
      'some lines from the live record',
    ).toBe(true);
    expect(seconds.filter((l) => l.group === 'fast').map((l) => l.second)).toEqual([0, 1, 2, 3, 4]);
    expect(seconds.filter((l) => l.group === 'stalled').map((l) => l.second)).toEqual([3, 4]);
    expect(seconds.filter((l) => l.group === 'fast').map((l) => l.phase)).toEqual(['warmup', 'baseline', 'baseline', 'stress', 'stress']);

    const last = all.at(-1)!;
    expect(last.type).toBe('verdict');
    expect(last.final).toBe(true);
    expect(last.verdict).toBe(rec.hol.verdict);
    for (const p of last.phases) {
      const counted = rec.groups.find((g) => g.name === p.group)!.phases[p.phase]!;
      expect([p.delivered_events_total, p.missing_events]).toEqual([counted.delivered, counted.missing]);
    }
    expect(last.phases.find((p) => p.group === 'fast' && p.phase === 'baseline')!.delivered_events_total).toBeGreaterThan(0);
  });

  it('Ctrl-C: the run stops within seconds and the file ends with the final verdict of the partial record', async () => {
    const file = join(tmp, 'interrupted.ndjson');
    const run = startCli([
      'run',
      scenarioFile('ndjson-sigint', '60s'),
      '--out',
      tmp,
      '--out',
      `ndjson=${file}`,
      '--json',
      '--workers',
      '1',
    ]);
    for (let i = 0; i < 300 && run.child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (existsSync(file) && readFileSync(file, 'utf8').includes('"type":"second"')) break;
    }
    expect(readFileSync(file, 'utf8')).toContain('"type":"second"');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    const rec = record(r);
    expect(rec.partial).toBe(true);
    const last = lines(file).at(-1)!;
    expect(last).toMatchObject({ type: 'verdict', final: true, verdict: rec.hol.verdict });
    const fastSeconds = lines(file)
      .filter((l) => l.type === 'second' && l.group === 'fast')
      .map((l) => l.second);
    expect(fastSeconds).toEqual(fastSeconds.map((_, i) => i)); // every second once, in order, up to the interruption
    expect(fastSeconds.length).toBeLessThan(20);
  });

  it('refuses a file that exists, before the run, and leaves it as it was', async () => {
    const file = join(tmp, 'theirs.ndjson');
    writeFileSync(file, 'not ours\n');
    const r = await runCli(['run', scenarioFile('ndjson-refused'), '--out', tmp, '--out', `ndjson=${file}`], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing to write ${file}: the file exists`);
    expect(readFileSync(file, 'utf8')).toBe('not ours\n');
    expect(r.stderr).not.toContain('run started');
  });
});

describe('--out given in EVBENCH_OUT', () => {
  it('holds one value, read like one --out; a bad one is named by its variable', async () => {
    const r = await runCli(['run', scenarioFile('env-out')], 30_000, { EVBENCH_OUT: 'ndjson=' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('EVBENCH_OUT=ndjson=FILE (--out): the file name is missing');
  });
});

describe('--out prometheus-rw=URL against Prometheus', () => {
  it.skipIf(!prometheus)(
    'streams series that Prometheus answers PromQL with, matching the record; no credential anywhere',
    async () => {
      const port = (await freePort()) as number;
      const dir = mkdtempSync(join(tmp, 'prom-'));
      const config = join(dir, 'prometheus.yml');
      writeFileSync(config, 'global:\n  scrape_interval: 1m\n');
      prom = spawn(
        prometheus!,
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--web.enable-remote-write-receiver',
        ],
        { stdio: 'ignore' },
      );
      const server = prom;
      const base = `http://127.0.0.1:${port}`;
      try {
        let ready = false;
        for (let i = 0; i < 150 && !ready && server.exitCode === null; i++) {
          ready = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
            (res) => res.ok,
            () => false,
          );
          if (!ready) await new Promise((r) => setTimeout(r, 200));
        }
        expect(ready, 'prometheus ready').toBe(true);

        const outDir = mkdtempSync(join(tmp, 'records-'));
        const ndjson = join(outDir, 'also.ndjson');
        const r = await runCli(
          [
            'run',
            scenarioFile('prom-run'),
            '--out',
            outDir,
            '--out',
            `prometheus-rw=http://evbench:url-pass-31337@127.0.0.1:${port}/api/v1/write`,
            '--out',
            `ndjson=${ndjson}`,
            '--json',
            '--workers',
            '1',
          ],
          120_000,
          { EVBENCH_PROMETHEUS_TOKEN: 'bearer-token-27182' },
        );
        const rec = record(r);
        expect(r.stderr).toMatch(/prometheus-rw http:\/\/evbench:\*\*\*@127\.0\.0\.1:\d+\/api\/v1\/write: \d+ request\(s\) accepted/);
        expect(r.stderr).not.toContain('failed (last');
        for (const text of [r.stdout, r.stderr, ...readdirSync(outDir).map((f) => readFileSync(join(outDir, f), 'utf8'))]) {
          expect(text).not.toContain('url-pass-31337');
          expect(text).not.toContain('bearer-token-27182');
        }

        const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
          const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(5000) });
          const body = (await res.json()) as {
            status: string;
            data: { result: { metric: Record<string, string>; value: [number, string] }[] };
          };
          expect(body.status).toBe('success');
          return body.data.result;
        };
        const fast = rec.groups.find((g) => g.name === 'fast')!;
        for (const phase of ['warmup', 'baseline', 'stress']) {
          const [got] = await query(`evbench_delivered_events_total{scenario="prom-run",group="fast",phase="${phase}"}`);
          expect(Number(got!.value[1]), `fast ${phase} delivered`).toBe(fast.phases[phase]!.delivered);
          const [missing] = await query(`evbench_missing_events{group="fast",phase="${phase}"}`);
          expect(Number(missing!.value[1])).toBe(fast.phases[phase]!.missing);
        }
        expect(fast.phases.baseline!.delivered).toBeGreaterThan(0);
        // one sample per second of the run for the fast group (5 s), one per second of stress for the stalled one
        const [perSecond] = await query('sum(count_over_time(evbench_second_delivered_events{group="fast"}[10m]))');
        expect(Number(perSecond!.value[1])).toBe(5);
        const [stalledSeconds] = await query('sum(count_over_time(evbench_max_stall_seconds{group="stalled"}[10m]))');
        expect(Number(stalledSeconds!.value[1])).toBe(2);
        const verdict = await query('evbench_verdict == 1');
        expect(verdict.map((v) => v.metric.verdict)).toEqual([rec.hol.verdict]);
        const [final] = await query('evbench_run_final');
        expect(final!.value[1]).toBe('1');
        // the same numbers as the NDJSON stream of the same run
        const last = lines(ndjson).at(-1)!;
        expect(last.phases.find((p) => p.group === 'fast' && p.phase === 'stress')!.delivered_events_total).toBe(
          fast.phases.stress!.delivered,
        );
      } finally {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
        if (server.exitCode === null && server.signalCode === null) await exited;
        clearTimeout(timer);
      }
    },
    120_000,
  );
});
