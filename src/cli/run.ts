// `evbench run SCENARIO` and `evbench demo`: thin shells over the runner.
import { Command, Option } from 'commander';
import { loadScenario, parseOverrideFlags, scenarioForVariant } from '../scenario/load.js';
import type { Scenario } from '../scenario/types.js';
import { parseThresholdFlag, parseThresholds, ThresholdSyntaxError } from '../thresholds/parse.js';
import { UserError } from '../util/errors.js';
import { execute, type NamedRun } from './execute.js';

interface RunFlags {
  rate?: string;
  payload?: string;
  clients: string[];
  mode?: string;
  duration?: string;
  workers?: string;
  out?: string;
  json?: boolean;
  target?: string;
  token?: string;
  publisherToken?: string;
  threshold: string[];
  failOnHol?: boolean;
  variant?: string;
  color?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

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

function applyRunFlags(scenario: Scenario, flags: RunFlags): Scenario {
  const s = structuredClone(scenario);
  if (flags.target !== undefined) {
    if (!/^wss?:\/\/[^\s/]+/.test(flags.target)) throw new UserError(`--target: expected a ws:// or wss:// URL, got "${flags.target}"`);
    let url: URL;
    try {
      url = new URL(flags.target);
    } catch {
      throw new UserError(`--target: not a valid URL: "${flags.target}"`);
    }
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/websocket';
    s.target = { kind: 'url', url: url.toString(), adapter: 'evbench', token: flags.token, publisherToken: flags.publisherToken, users: 0 };
    s.variants = [];
  } else if (flags.token !== undefined || flags.publisherToken !== undefined) {
    throw new UserError('--token/--publisher-token: only with --target (the embedded server gets its own tokens)');
  }
  for (const t of flags.threshold) {
    try {
      const { key, expression } = parseThresholdFlag(t);
      parseThresholds(key, [expression]);
      (s.thresholds[key] ??= []).push(expression);
    } catch (err) {
      if (err instanceof ThresholdSyntaxError) throw new UserError(`--threshold ${err.message}`);
      throw err;
    }
  }
  if (flags.variant !== undefined) return scenarioForVariant(s, flags.variant);
  return s;
}

export function jsonOutput(runs: NamedRun[]): string {
  if (runs.length === 1) return JSON.stringify(runs[0]!.record);
  return JSON.stringify(Object.fromEntries(runs.map((r) => [r.name, r.record])));
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--duration <time>', 'total duration; phases are rescaled (e.g. 30s)')
    .option('--workers <n>', 'client worker threads (default: cores − 1)')
    .option('--out <dir>', 'folder for the run records (default: reports)')
    .option('--json', 'print the run record(s) as JSON on stdout')
    .option('--fail-on-hol', 'exit 1 when the verdict is hol')
    .option('--no-color', 'no colors on stderr (also NO_COLOR)');
}

export function registerRun(program: Command): void {
  addRunOptions(
    program
      .command('run')
      .description('run a scenario (a file, or a built-in name from scenarios/) and judge head-of-line blocking')
      .argument('<scenario>', 'scenario file or built-in name: slow-client, catch-up, seed, permissions')
      .option('--rate <n>', 'publisher events per second')
      .option('--payload <bytes>', 'event payload size (e.g. 200, 8KiB)')
      .option('--clients <group=N>', 'clients in a group (repeatable)', collect, [])
      .addOption(new Option('--mode <mode>', 'embedded server mode').choices(['isolated', 'legacy']))
      .option('--target <url>', 'run against an evbench-protocol server at this ws:// URL instead of the embedded one')
      .option('--token <token>', 'subscriber token for --target')
      .option('--publisher-token <token>', 'publisher token for --target')
      .option('--threshold <spec>', "extra threshold, e.g. 'latency{group:fast,phase:stress}: p(99)<50ms' (repeatable)", collect, [])
      .option('--variant <name>', 'run only this variant of the scenario'),
  )
    .addHelpText(
      'after',
      `
Examples:
  evbench run slow-client                       # embedded server, isolated mode
  evbench run slow-client --mode legacy         # reproduce head-of-line blocking
  evbench run catch-up --duration 20s --json > run.json
  evbench run slow-client --target ws://127.0.0.1:8080/websocket --publisher-token secret
  evbench run slow-client --threshold 'latency{group:fast,phase:stress}: p(99)<50ms'

Exit codes: 0 ok, 1 thresholds failed (or hol with --fail-on-hol), 2 bad input, 3 target unreachable, 130 interrupted.`,
    )
    .action(async (name: string, flags: RunFlags) => {
      const overrides = parseOverrideFlags(flags);
      const workers = parseWorkers(flags.workers);
      const scenario = applyRunFlags(loadScenario(name, overrides), flags);
      const { runs, exitCode } = await execute(scenario, { workers, json: !!flags.json, failOnHol: !!flags.failOnHol, color: useColor(flags.color) });
      if (flags.json) process.stdout.write(`${jsonOutput(runs)}\n`);
      process.exitCode = exitCode;
    });
}

export function registerDemo(program: Command): void {
  addRunOptions(
    program
      .command('demo')
      .description('the slow-client scenario against the legacy and the isolated server, side by side (about a minute)'),
  )
    .addHelpText('after', '\nExample:\n  evbench demo --duration 20s --json > demo.json\n')
    .action(async (flags: RunFlags) => {
      const overrides = parseOverrideFlags({ duration: flags.duration, out: flags.out });
      const workers = parseWorkers(flags.workers);
      const scenario = loadScenario('slow-client', overrides);
      scenario.variants = [
        { name: 'legacy', overrides: { mode: 'legacy' } },
        { name: 'isolated', overrides: { mode: 'isolated' } },
      ];
      const { runs, exitCode } = await execute(scenario, { workers, json: !!flags.json, failOnHol: !!flags.failOnHol, color: useColor(flags.color) });
      // the demo exists to show a hol verdict on legacy: that is not a failure unless asked
      if (flags.json) process.stdout.write(`${jsonOutput(runs)}\n`);
      process.exitCode = exitCode === 1 && !flags.failOnHol && runs.every((r) => r.record.thresholds.every((t) => t.passed) || r.name === 'legacy') ? 0 : exitCode;
    });
}
