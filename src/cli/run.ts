// `evbench run SCENARIO` and `evbench demo`: thin shells over the runner.
import { Command, Option } from 'commander';
import { loadScenario, parseOverrideFlags, resolveScenarioPath, scenarioForVariant } from '../scenario/load.js';
import type { Scenario } from '../scenario/types.js';
import { EXIT_FAILED, EXIT_OK, UserError } from '../util/errors.js';
import { runStatus } from '../reports/outcomes.js';
import { quietOption, terminalOutput, verboseOption } from './verbosity.js';
import { execute, type ExecuteOptions, type NamedRun } from './execute.js';
import { addTargetOptions, applyTargetFlags, serverCommandFlags, withTokenFiles, type TargetFlags } from './targetFlags.js';
import { withThresholdFlags } from './thresholdFlags.js';
import { parseReportFormats, type ReportFormat } from '../reports/formats.js';
import { addDashboardOptions, openDashboard, type DashboardFlags } from './dashboard.js';
import { jsonText } from '../util/untrusted.js';
import { rememberSecrets } from '../util/redact.js';
import { scenarioSecrets } from '../scenario/secrets.js';
import { checkStartAt, parseStartAt } from '../runner/startAt.js';
import { nowUs } from '../clock.js';
import { parseOutTargets, type StreamTarget } from './outTargets.js';
import { openStreams, PROMETHEUS_TOKEN_ENV, type StreamHooks } from './streamOut.js';

interface RunFlags extends TargetFlags, DashboardFlags {
  rate?: string;
  payload?: string;
  clients: string[];
  mode?: string;
  duration?: string;
  workers?: string;
  out: string[];
  json?: boolean;
  threshold: string[];
  failOnHol?: boolean;
  variant?: string;
  color?: boolean;
  report?: string;
  shard?: string;
  startAt?: string;
  quiet?: boolean;
  verbose?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const say = (line: string): void => void process.stderr.write(`${line}\n`);

export function useColor(flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR !== undefined) return false;
  return process.stderr.isTTY === true;
}

function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UserError(`--workers: expected a whole number from 1 to 64, got "${value}"`);
  return n;
}

function parseReports(value: string | undefined): ReportFormat[] {
  return value === undefined ? [] : parseReportFormats(value, '--report');
}

/**
 * `--shard i/N` (0 ≤ i < N), or `--shard auto/N` taking i from JOB_COMPLETION_INDEX (set by a
 * Kubernetes Indexed Job).
 */
export function parseShard(value: string | undefined, env: NodeJS.ProcessEnv = process.env): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+|auto)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UserError(`--shard: expected i/N (e.g. 0/4) or auto/N, got "${value}"`);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1) throw new UserError(`--shard ${value}: N must be at least 1`);
  let index: number;
  if (m[1] === 'auto') {
    const fromEnv = env.JOB_COMPLETION_INDEX;
    if (fromEnv === undefined || fromEnv.trim() === '')
      throw new UserError(`--shard ${value}: JOB_COMPLETION_INDEX is not set (give the shard as i/${count})`);
    if (!/^\d+$/.test(fromEnv.trim())) throw new UserError(`--shard ${value}: JOB_COMPLETION_INDEX is "${fromEnv}", not a whole number`);
    index = Number(fromEnv.trim());
  } else index = Number(m[1]);
  if (index >= count) throw new UserError(`--shard ${value}: shard index ${index} is out of range (0 ≤ i < ${count})`);
  return { index, count };
}

/**
 * Token and metrics settings taken from the environment are dropped for an embedded target: the
 * same EVBENCH_PUBLISHER_TOKEN may be exported for `evbench serve` in this shell, and is no reason to
 * refuse a run that never uses it. Given as flags, they still need --target.
 */
function withoutAmbientSecrets(flags: RunFlags, scenario: Scenario, sourceOf: (key: string) => string | undefined): RunFlags {
  if (flags.target !== undefined || scenario.target.kind === 'url') return flags;
  const out = { ...flags };
  for (const key of ['token', 'publisherToken', 'metricsToken', 'metricsUrl'] as const) {
    const file = `${key}File`;
    if (sourceOf(key) === 'env' && sourceOf(file) === undefined) delete out[key];
  }
  return out;
}

function applyRunFlags(scenario: Scenario, flags: RunFlags): Scenario {
  const s = applyTargetFlags(scenario, flags);
  s.thresholds = withThresholdFlags(s.thresholds, flags.threshold, {
    groups: s.groups.map((g) => g.name),
    phases: s.phases.map((p) => p.name),
  });
  if (flags.variant !== undefined) return scenarioForVariant(s, flags.variant);
  return s;
}

/** Runs `body` with the command's streams open (`--out prometheus-rw=`, `ndjson=`); they are flushed and closed however it ends. */
/**
 * Runs a scenario with what every run command shares: its streams, its dashboard (titled `title`),
 * and the output flags; `own` holds what only this command sets.
 */
async function executeWatched(
  scenario: Scenario,
  flags: RunFlags,
  streamTargets: readonly StreamTarget[],
  title: string,
  own: Omit<ExecuteOptions, 'json' | 'failOnHol' | 'color' | 'dashboard' | 'streams' | keyof ReturnType<typeof terminalOutput>>,
): Promise<{ runs: NamedRun[]; exitCode: number; dashboard: Awaited<ReturnType<typeof openDashboard>> }> {
  return withStreams(streamTargets, async (streams) => {
    const dashboard = await openDashboard(flags, title, say);
    const result = await execute(scenario, {
      ...own,
      json: !!flags.json,
      ...terminalOutput(flags),
      failOnHol: !!flags.failOnHol,
      color: useColor(flags.color),
      dashboard,
      streams,
    });
    return { ...result, dashboard };
  });
}

async function withStreams<T>(targets: readonly StreamTarget[], body: (streams: StreamHooks | undefined) => Promise<T>): Promise<T> {
  const streams = openStreams(targets);
  try {
    return await body(streams);
  } finally {
    await streams?.close(say);
  }
}

export function jsonOutput(runs: NamedRun[]): string {
  if (runs.length === 1) return jsonText(runs[0]!.record);
  return jsonText(Object.fromEntries(runs.map((r) => [r.name, r.record])));
}

function addRunOptions(cmd: Command): Command {
  return addDashboardOptions(cmd)
    .option('--duration <time>', 'total duration; phases are rescaled (e.g. 30s)')
    .option('--workers <n>', 'client worker threads (default: cores − 1)')
    .option(
      '--out <target>',
      `folder for the run records (default: reports); also, repeatable, a stream of results while the run goes: prometheus-rw=URL (remote write; a bearer token in ${PROMETHEUS_TOKEN_ENV}) or ndjson=FILE (see docs/metrics.md)`,
      collect,
      [],
    )
    .option('--json', 'print the run record(s) as JSON on stdout')
    .option('--report <formats>', 'reports besides the JSON record: md, html, hgrm, hlog, junit (comma-separated)')
    .option('--fail-on-hol', 'exit 1 when the verdict is hol or disconnect (and a failed check in the JUnit report)')
    .option('--no-color', 'no colors on stderr (also NO_COLOR)')
    .addOption(quietOption('print only the verdict line (and failed thresholds) and errors; exit codes unchanged'))
    .addOption(
      verboseOption("also each client's fate (closes, stalls, missing), connect and ack times, the noise floor and the server's log"),
    );
}

export function registerRun(program: Command): void {
  addRunOptions(
    addTargetOptions(program.command('run'))
      .description('run a scenario (a file, or a built-in name from scenarios/) and judge head-of-line blocking')
      .argument('<scenario>', 'scenario file or built-in name: slow-client, slow-drain, catch-up, seed, permissions')
      .option('--rate <n>', 'publisher events per second')
      .option('--payload <bytes>', 'event payload size (e.g. 200, 8KiB)')
      .option('--clients <group=N>', 'clients in a group (repeatable)', collect, [])
      .addOption(new Option('--mode <mode>', 'embedded server mode').choices(['isolated', 'legacy']))
      .option('--threshold <spec>', "extra threshold, e.g. 'latency{group:fast,phase:stress}: p(99)<50ms' (repeatable)", collect, [])
      .option('--variant <name>', 'run only this variant of the scenario')
      .option('--shard <i/N>', 'run shard i of N (0-based) of a distributed run; auto/N takes i from JOB_COMPLETION_INDEX')
      .option(
        '--start-at <time>',
        "connect, then start the run's clock at this instant (ISO-8601 such as 2026-12-05T10:00:00Z, or epoch s/ms): shards given one instant share their phases",
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  evbench run slow-client                       # embedded server, isolated mode
  evbench run slow-client --mode legacy         # reproduce head-of-line blocking
  evbench run catch-up --duration 20s --json > run.json
  evbench run slow-client --target ws://127.0.0.1:8080/websocket --publisher-token secret
  evbench run slow-client --target ws://127.0.0.1:9001/ --adapter generic --publish server \\
      --server-cmd 'node examples/foreign-servers.mjs bounded 9001'   # starts it, measures its CPU and memory, stops it
  evbench run slow-client --threshold 'latency{group:fast,phase:stress}: p(99)<50ms'
  evbench run slow-client --report md,html,junit --out reports
  evbench run slow-client --shard auto/4        # one of 4 shards; then: evbench merge reports/*.shard-*.json -o merged.json
  evbench run slow-client --target ws://10.0.0.5:8080/websocket --shard 0/2 --start-at 2026-12-05T10:00:00Z
                                                # each shard the same instant: one t0, merge accepts them

Exit codes: 0 ok, 1 thresholds failed (or a hol/disconnect verdict with --fail-on-hol), 2 bad input, 3 target unreachable,
4 not a result (verdict invalid: generator-bound, a worker failed, or the run was cut short), 130 interrupted (SIGINT),
143 stopped (SIGTERM). The first SIGINT/SIGTERM ends the run within seconds and writes the partial record; a second exits at once.`,
    )
    .action(async (name: string, given: RunFlags, cmd: Command) => {
      const flags: RunFlags = { ...given, ...withTokenFiles(given, (key) => cmd.getOptionValueSource(key)) };
      const outs = parseOutTargets(flags.out);
      const overrides = parseOverrideFlags({ ...flags, out: outs.dir });
      const workers = parseWorkers(flags.workers);
      const reports = parseReports(flags.report);
      const shard = parseShard(flags.shard);
      const startAtUs = flags.startAt === undefined ? undefined : parseStartAt(flags.startAt);
      // before anything connects: an instant already past (or a day away) is a usage error
      if (startAtUs !== undefined) checkStartAt(startAtUs, nowUs());
      const serverCommand = serverCommandFlags(flags, (key) => cmd.getOptionValueSource(key));
      const loaded = loadScenario(name, overrides);
      const scenario = applyRunFlags(
        loaded,
        withoutAmbientSecrets(flags, loaded, (key) => cmd.getOptionValueSource(key)),
      );
      rememberSecrets(scenarioSecrets(scenario));
      if (startAtUs !== undefined && scenario.variants.length > 1)
        throw new UserError(
          `--start-at: scenario "${scenario.name}" has ${scenario.variants.length} variants, run one after another: one instant fits one run (choose one with --variant)`,
        );
      const { runs, exitCode, dashboard } = await executeWatched(scenario, flags, outs.streams, scenario.name, {
        workers,
        reports,
        shard,
        startAtUs,
        serverCommand,
        inputs: [resolveScenarioPath(name).path, ...(flags.tokensFile === undefined ? [] : [flags.tokensFile])],
      });
      if (flags.json) process.stdout.write(`${jsonOutput(runs)}\n`);
      process.exitCode = exitCode;
      await dashboard?.lingerAndClose(say);
    });
}

export function registerDemo(program: Command): void {
  addRunOptions(
    program
      .command('demo')
      .description('the slow-client scenario against the legacy and the isolated server, side by side (about a minute)'),
  )
    .addHelpText('after', '\nExamples:\n  evbench demo --duration 20s --json > demo.json\n  evbench demo --report md,html --out reports\n')
    .action(async (flags: RunFlags) => {
      const outs = parseOutTargets(flags.out);
      const overrides = parseOverrideFlags({ duration: flags.duration, out: outs.dir });
      const workers = parseWorkers(flags.workers);
      const reports = parseReports(flags.report);
      const scenario = loadScenario('slow-client', overrides);
      scenario.variants = [
        { name: 'legacy', overrides: { mode: 'legacy' } },
        { name: 'isolated', overrides: { mode: 'isolated' } },
      ];
      const { runs, exitCode, dashboard } = await executeWatched(scenario, flags, outs.streams, 'demo: slow-client, legacy then isolated', {
        workers,
        reports,
      });
      if (flags.json) process.stdout.write(`${jsonOutput(runs)}\n`);
      // the demo exists to show legacy failing: only the isolated run (the fix) can fail it
      const fix = runs.find((r) => r.name === 'isolated')?.record;
      const fixStatus = fix ? runStatus(fix, !!flags.failOnHol) : 'not a result';
      process.exitCode = exitCode === EXIT_FAILED && fixStatus === 'passed' ? EXIT_OK : exitCode;
      await dashboard?.lingerAndClose(say);
    });
}
