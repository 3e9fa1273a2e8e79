// `npm run bench [-- --only fanout,limit,generator,catchup,permissions,connections,parse] [--rounds N] [--quick] [--unpinned] [--out DIR]`:
// runs the benchmarks (each one's contenders side by side, alternating rounds), pinned by default
// (servers on one core, the generator on another: pinning.ts), prints min / median / max of the
// rounds, ratios and issue 15's targets on stderr and writes the figures to DIR/bench-<date>.json
// (default reports/), atomically.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { cpus, totalmem } from 'node:os';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/util/atomicWrite.js';
import { packageRoot } from '../src/util/paths.js';
import { loadAverage } from './procStats.js';
import {
  finiteRounds,
  formatNumber,
  formatTargetValue,
  reachedText,
  renderTable,
  sleep,
  type BenchContext,
  type BenchResult,
  type Target,
} from './rounds.js';
import { applyPinning, describePinning, planPinning, releasePinning, type Pinning } from './pinning.js';
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
  /** The commit measured (`git describe`-like: short hash, "+dirty" when the tree had changes). */
  commit: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; loadBefore: number[]; loadAfter: number[] };
  pinning: Pinning & { description: string };
  rounds: number;
  quick: boolean;
  benchmarks: BenchResult[];
  failed: { name: string; error: string }[];
  /** Every benchmark's targets, in order. */
  targets: (Target & { benchmark: string })[];
}

/** The short hash of HEAD, with "+dirty" when the work tree differs from it; "unknown" outside git. */
export function currentCommit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: packageRoot, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: packageRoot, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+dirty' : ''}`;
}

/**
 * min / median / max of every metric of every contender (one row per contender and metric), then
 * every round they were taken from (so a quoted median can be checked), the ratios and the targets.
 */
export function renderResult(r: BenchResult): string {
  const metrics = [...new Set(r.contenders.flatMap((c) => Object.keys(c.median)))];
  const rows: string[][] = [];
  for (const c of r.contenders) {
    if (c.skipped) {
      rows.push([c.name, '', 'skipped', '', '', '']);
      continue;
    }
    for (const k of metrics) {
      if (!(k in c.median)) continue;
      rows.push([
        c.name,
        k,
        formatNumber(c.min[k] ?? NaN),
        formatNumber(c.median[k] ?? NaN),
        formatNumber(c.max[k] ?? NaN),
        `${finiteRounds(c.samples, k)}/${c.samples.length}`,
      ]);
    }
  }
  // the contender's name on its first row only
  for (let i = rows.length - 1; i > 0; i--) if (rows[i]![0] === rows[i - 1]![0]) rows[i]![0] = '';
  const roundRows = r.contenders.flatMap((c) =>
    c.samples.map((s, i) => [c.name, String(i + 1), ...metrics.map((k) => formatNumber(s[k] ?? NaN))]),
  );
  const ratios = Object.entries(r.ratios).map(([k, v]) => `  ${k}: ${Number.isFinite(v) ? `${v.toFixed(2)}×` : '—'}`);
  return [
    `${r.name}: ${r.what}`,
    renderTable(['contender', 'metric', 'min', 'median', 'max', 'rounds'], rows),
    'rounds:',
    renderTable(['contender', 'round', ...metrics], roundRows),
    ...(ratios.length ? ['ratios of medians:', ...ratios] : []),
    ...(r.targets?.length ? ['targets:', renderTargets(r.targets)] : []),
    ...r.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

/** One row per target: value, bound, reached / NOT reached / not measured, and its detail. */
export function renderTargets(targets: Target[]): string {
  return renderTable(
    ['target', 'value', 'bound', 'reached', 'detail'],
    targets.map((t) => [
      t.name,
      formatTargetValue(t.value, t.unit),
      `${t.op === '>=' ? '≥' : '≤'} ${formatTargetValue(t.bound, t.unit)}`,
      reachedText(t),
      t.detail ?? '',
    ]),
  ).replace(/ +$/gm, '');
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

export interface RunOptions {
  /** Wait (up to this long) for the 1-min load average to drop below 1.5 first. */
  waitForLoadMs?: number;
  /** Leave the scheduler free instead of pinning (for comparison). */
  unpinned?: boolean;
  /** The command line to record (default: this process's). */
  command?: string;
}

export async function runBenchmarks(names: string[], ctx: BenchContext, options: RunOptions = {}): Promise<BenchReport> {
  const loadBefore = (options.waitForLoadMs ?? 0) > 0 ? await waitForQuiet(1.5, options.waitForLoadMs!, ctx.log) : loadAverage();
  const plan = planPinning(options.unpinned ?? false);
  const commit = currentCommit();
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    command: options.command ?? `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    commit,
    pinning: { ...plan, description: describePinning(plan) },
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
    targets: [],
  };
  ctx.log(`evbench bench: ${report.command}`);
  ctx.log(
    `commit ${commit}; load average at start ${loadBefore.join(' ')} (1, 5, 15 min); ${report.machine.cores} CPUs (${report.machine.cpu})`,
  );
  ctx.log(report.pinning.description);
  if (ctx.quick) ctx.log('--quick: short phases, small sizes, few rounds — a smoke run, not a result');
  try {
    applyPinning(plan);
  } catch (err) {
    // pinning was asked for and is possible in principle, but failed: say so and run unpinned
    const reason = `pinning failed (${(err as Error).message}): running unpinned`;
    releasePinning();
    Object.assign(report.pinning, { enabled: false, serverCpu: undefined, generatorCpu: undefined, reason, description: reason });
    ctx.log(reason);
  }
  ctx = { ...ctx, pinned: report.pinning.enabled };
  try {
    await runEach(names, ctx, report);
  } finally {
    releasePinning();
  }
  report.machine.loadAfter = loadAverage();
  report.targets = report.benchmarks.flatMap((b) => (b.targets ?? []).map((t) => ({ ...t, benchmark: b.name })));
  if (report.targets.length) {
    ctx.log(
      `── targets (${report.pinning.enabled ? 'pinned' : 'UNPINNED'}, medians of ${ctx.rounds} alternated round${ctx.rounds > 1 ? 's' : ''}) ──`,
    );
    ctx.log(renderTargets(report.targets));
  }
  return report;
}

async function runEach(names: string[], ctx: BenchContext, report: BenchReport): Promise<void> {
  for (const name of names) {
    ctx.log(`── ${name} ── (load average ${loadAverage().join(' ')})`);
    const t0 = performance.now();
    try {
      const result = await BENCHMARKS[name]!(ctx);
      result.params['elapsedS'] = Math.round((performance.now() - t0) / 100) / 10;
      report.benchmarks.push(result);
      ctx.log(renderResult(result));
      ctx.log(`  (${name}: ${result.params['elapsedS']} s)`);
    } catch (err) {
      // one failed benchmark must not lose the others' figures
      report.failed.push({ name, error: (err as Error).message });
      ctx.log(`${name} failed: ${(err as Error).message}`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      unpinned: { type: 'boolean', default: false },
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
  const rounds = values.rounds === undefined ? (values.quick ? 1 : 5) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
    process.stderr.write(`--rounds: expected an integer 1..50, got ${values.rounds}\n`);
    process.exit(2);
  }
  const waitSeconds = values['wait-for-load'] === undefined ? 0 : Number(values['wait-for-load']);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const report = await runBenchmarks(
    names,
    { rounds, quick: values.quick, log },
    { waitForLoadMs: waitSeconds * 1000, unpinned: values.unpinned },
  );
  const path = join(values.out ?? join(packageRoot, 'reports'), `bench-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`);
  log(`commit ${report.commit}; ${report.pinning.description}`);
  log(`load average at start ${report.machine.loadBefore.join(' ')}, at the end ${report.machine.loadAfter.join(' ')}`);
  log(`figures written to ${path}`);
  if (report.failed.length > 0) process.exitCode = 1;
}

const isEntry = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  // stopped by a signal (a CI timeout, kill): exit through 'exit', whose handler kills every contender and
  // C subscriber this run started; node's default for SIGTERM skips it and leaves them running
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}: stopping the servers it started; no figures written\n`);
      process.exit(code);
    });
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: Error) => {
      process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
