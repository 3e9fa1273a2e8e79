// `npm run bench [-- --only fanout,generator,catchup,permissions,connections,parse] [--rounds N] [--quick] [--out DIR]`:
// runs the benchmarks (each one's contenders side by side, alternating rounds), prints medians and
// ratios on stderr and writes the figures to DIR/bench-<date>.json (default reports/), atomically.
import { parseArgs } from 'node:util';
import { cpus, totalmem } from 'node:os';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { packageRoot } from '../util/paths.js';
import { loadAverage } from './procStats.js';
import { finiteRounds, formatNumber, renderTable, sleep, type BenchContext, type BenchResult } from './rounds.js';
import { benchFanout } from './fanout.js';
import { benchGenerator } from './generator.js';
import { benchCatchup } from './catchup.js';
import { benchPermissions } from './permissions.js';
import { benchConnections } from './connections.js';
import { benchParse } from './parse.js';

export const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  fanout: benchFanout,
  generator: benchGenerator,
  catchup: benchCatchup,
  permissions: benchPermissions,
  connections: benchConnections,
  parse: benchParse,
};

export interface BenchReport {
  startedAt: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; loadBefore: number[]; loadAfter: number[] };
  rounds: number;
  quick: boolean;
  benchmarks: BenchResult[];
  failed: { name: string; error: string }[];
}

/** The medians, then every round they were taken from (so a quoted median can be checked), then the ratios. */
export function renderResult(r: BenchResult): string {
  const metrics = [...new Set(r.contenders.flatMap((c) => Object.keys(c.median)))];
  const cell = (c: BenchResult['contenders'][number], k: string): string => {
    if (c.skipped) return 'skipped';
    const used = finiteRounds(c.samples, k);
    return `${formatNumber(c.median[k] ?? NaN)}${used < c.samples.length ? ` (${used} of ${c.samples.length} rounds)` : ''}`;
  };
  const rows = r.contenders.map((c) => [c.name, ...metrics.map((k) => cell(c, k))]);
  const roundRows = r.contenders.flatMap((c) =>
    c.samples.map((s, i) => [c.name, String(i + 1), ...metrics.map((k) => formatNumber(s[k] ?? NaN))]),
  );
  const ratios = Object.entries(r.ratios).map(([k, v]) => `  ${k}: ${Number.isFinite(v) ? `${v.toFixed(2)}×` : '—'}`);
  return [
    `${r.name}: ${r.what} (medians)`,
    renderTable(['contender', ...metrics], rows),
    'rounds:',
    renderTable(['contender', 'round', ...metrics], roundRows),
    ...ratios,
    ...r.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

/** Waits (bounded) for the 1-minute load average to drop below `below`; returns the load it saw last. */
async function waitForQuiet(below: number, maxMs: number, log: (line: string) => void): Promise<number[]> {
  const deadline = Date.now() + maxMs;
  let load = loadAverage();
  while (load[0] >= below && Date.now() < deadline) {
    log(`load average ${load[0]} ≥ ${below}: waiting (up to ${Math.round((deadline - Date.now()) / 1000)} s more)`);
    await sleep(15_000);
    load = loadAverage();
  }
  return load;
}

export async function runBenchmarks(names: string[], ctx: BenchContext, waitForLoadMs = 0): Promise<BenchReport> {
  const loadBefore = waitForLoadMs > 0 ? await waitForQuiet(1.5, waitForLoadMs, ctx.log) : loadAverage();
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      loadBefore,
      loadAfter: [],
    },
    rounds: ctx.rounds,
    quick: ctx.quick,
    benchmarks: [],
    failed: [],
  };
  for (const name of names) {
    ctx.log(`── ${name} ──`);
    try {
      const result = await BENCHMARKS[name]!(ctx);
      report.benchmarks.push(result);
      ctx.log(renderResult(result));
    } catch (err) {
      // one failed benchmark must not lose the others' figures
      report.failed.push({ name, error: (err as Error).message });
      ctx.log(`${name} failed: ${(err as Error).message}`);
    }
  }
  report.machine.loadAfter = loadAverage();
  return report;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      'wait-for-load': { type: 'string' },
    },
  });
  const names = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : Object.keys(BENCHMARKS);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length) {
    process.stderr.write(`--only: unknown benchmark ${unknown.join(', ')} (expected ${Object.keys(BENCHMARKS).join(', ')})\n`);
    process.exit(2);
  }
  const rounds = values.rounds === undefined ? (values.quick ? 1 : 3) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
    process.stderr.write(`--rounds: expected an integer 1..50, got ${values.rounds}\n`);
    process.exit(2);
  }
  const waitSeconds = values['wait-for-load'] === undefined ? 0 : Number(values['wait-for-load']);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const report = await runBenchmarks(names, { rounds, quick: values.quick, log }, waitSeconds * 1000);
  const path = join(values.out ?? join(packageRoot, 'reports'), `bench-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`);
  log(`load average before ${report.machine.loadBefore.join(' ')}, after ${report.machine.loadAfter.join(' ')}`);
  log(`figures written to ${path}`);
  if (report.failed.length > 0) process.exitCode = 1;
}

const isEntry = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: Error) => {
      process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
