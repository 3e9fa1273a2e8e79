// What `run` and `demo` share: run a scenario (or each of its variants), write the run records
// atomically, print summaries on stderr, and decide the exit code.
import { runScenario, type RunOptions } from '../runner/run.js';
import type { RunRecord } from '../record/schema.js';
import type { Scenario } from '../scenario/types.js';
import { scenarioForVariant } from '../scenario/load.js';
import type { ReportFormat } from '../reports/formats.js';
import { writeReports } from './writeReports.js';
import type { SparklineOptions } from '../reports/sparkline.js';
import { printRunEnd, printRunsEnd, runLog } from './runOutput.js';
import type { Verbosity } from './verbosity.js';
import { createProgress } from './progress.js';
import type { DashboardHooks } from './dashboard.js';
import type { StreamHooks } from './streamOut.js';
import { EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_INVALID, EXIT_OK, EXIT_UNREACHABLE, UserError, exitCodeForSignal } from '../util/errors.js';
import { runStatus } from '../reports/outcomes.js';
import { refuseInputOverwrite, refuseOutsideDir, writeFileAtomic } from '../util/atomicWrite.js';
import { recordBaseName } from '../record/loadRecord.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonText } from '../util/untrusted.js';

export interface ExecuteOptions {
  workers?: number;
  json: boolean;
  failOnHol: boolean;
  color: boolean;
  /** quiet: only the verdict line (and failed thresholds); verbose: each client's fate and the server's log too. */
  verbosity?: Verbosity;
  /** The latency-over-time sparkline at the end (false: none). */
  sparkline?: SparklineOptions | false;
  /** Reports besides the JSON record (always written), e.g. md, html, junit. */
  reports?: ReportFormat[];
  /** Run one shard of a distributed run. */
  shard?: { index: number; count: number };
  /** Start the run's clock at this instant (epoch µs, `--start-at`). */
  startAtUs?: number;
  /** A live dashboard to feed (`--dashboard`). */
  dashboard?: DashboardHooks;
  /** Streams of results while each run goes (`--out prometheus-rw=URL`, `--out ndjson=FILE`). */
  streams?: StreamHooks;
  /** Files the command read (the scenario, a tokens file): never replaced by an output. */
  inputs?: string[];
  /** Start the target's server from this command for each run (`--server-cmd`); its output goes to NAME.server.log beside the record. */
  serverCommand?: { command: string; waitMs: number };
}

/** Where a run's `--server-cmd` output goes: beside its record, under the record's name. */
function serverLogFile(s: Scenario, inputs: readonly string[]): string {
  const how =
    s.target.kind === 'url'
      ? { kind: 'url' as const, adapter: s.target.adapter }
      : { kind: 'embedded' as const, mode: s.target.mode, adapter: 'evbench' };
  const path = join(s.outputs.dir, `${recordBaseName({ scenario: { name: s.name }, target: how })}.server.log`);
  refuseOutsideDir(path, s.outputs.dir);
  refuseInputOverwrite(path, inputs);
  return path;
}

export interface NamedRun {
  name: string;
  record: RunRecord;
  path: string;
}

const say = (text: string): void => void process.stderr.write(`${text}\n`);

/**
 * Writes a run's outputs; if the output folder is unusable, the measurements are not lost: the
 * record goes to the system's temporary folder and the error says where.
 */
function writeOrRescue<T>(record: RunRecord, write: () => T): T {
  try {
    return write();
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const rescue = join(tmpdir(), `evbench-${record.scenario.name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${Date.now()}.json`);
    try {
      writeFileAtomic(rescue, `${jsonText(record, 2)}\n`);
    } catch {
      throw err;
    }
    throw new UserError(`${err.message}; the run record was saved to ${rescue} instead`, err.exitCode);
  }
}

/** Runs every variant (or the scenario once); stops early, keeping what it has, when interrupted. */
export async function execute(scenario: Scenario, opts: ExecuteOptions): Promise<{ runs: NamedRun[]; exitCode: number }> {
  const controller = new AbortController();
  /** The first SIGINT/SIGTERM ends the run within seconds, keeping what was measured; a second one exits at once. */
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stoppedBy !== undefined) process.exit(exitCodeForSignal(sig));
    stoppedBy = sig;
    say(`\n${sig}: stopping the run; writing what was measured (again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const variants = scenario.variants.length > 0 ? scenario.variants.map((v) => scenarioForVariant(scenario, v.name)) : [scenario];
  const runs: NamedRun[] = [];
  const verbosity = opts.verbosity ?? 'normal';
  const output = { verbosity, color: opts.color, failOnHol: opts.failOnHol, sparkline: opts.sparkline ?? false };
  try {
    for (const s of variants) {
      if (controller.signal.aborted) break;
      const progress = verbosity === 'quiet' ? { update: () => {}, stop: () => {} } : createProgress(s.name);
      const name = s.name.split('/').pop()!;
      const dashboard = opts.dashboard;
      const streams = opts.streams;
      const runOpts: RunOptions = {
        workers: opts.workers,
        shard: opts.shard,
        startAtUs: opts.startAtUs,
        signal: controller.signal,
        onProgress: (p) => {
          progress.update(p);
          dashboard?.onProgress(name, p);
        },
        onLive:
          dashboard || streams
            ? (u) => {
                dashboard?.onLive(name, u);
                streams?.onLive(name, u);
              }
            : undefined,
        // a stream is always watching; a dashboard only while a page is open
        liveWatched: dashboard && !streams ? () => dashboard.watched() : undefined,
        say: runLog(verbosity),
        serverCommand: opts.serverCommand && { ...opts.serverCommand, logFile: serverLogFile(s, opts.inputs ?? []) },
      };
      let record: RunRecord;
      try {
        record = await runScenario(s, runOpts);
      } catch (err) {
        // stopped before anything was measured: the exit code still says which signal did it
        if (err instanceof UserError && stoppedBy !== undefined) throw new UserError(err.message, exitCodeForSignal(stoppedBy));
        throw err;
      } finally {
        progress.stop();
      }
      const files = writeOrRescue(record, () =>
        writeReports(
          record,
          ['json', ...(opts.reports ?? []).filter((f) => f !== 'json')],
          s.outputs.dir,
          { failOnHol: opts.failOnHol },
          opts.inputs,
        ),
      );
      const path = files[0]!.path;
      dashboard?.onFinal(name, record);
      printRunEnd(record, files, output, variants.length > 1 ? name : undefined);
      await streams?.onFinal(name, record);
      runs.push({ name, record, path });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  printRunsEnd(runs, output);
  const status = runs.map((r) => runStatus(r.record, opts.failOnHol));
  let exitCode = EXIT_OK;
  if (status.includes('failed')) exitCode = EXIT_FAILED;
  // could not have seen blocking (the slow clients never pushed back, too short): never a pass
  else if (status.includes('inconclusive')) exitCode = EXIT_INCONCLUSIVE;
  // not a result (generator-bound, a worker failed, cut short): never a pass
  if (status.includes('not a result')) exitCode = EXIT_INVALID;
  // a run cut short by its target (server died, connection dropped): its partial record is written
  if (runs.some((r) => r.record.partial && r.record.partialReason !== 'interrupted' && !r.record.invalid)) exitCode = EXIT_UNREACHABLE;
  if (stoppedBy !== undefined) exitCode = exitCodeForSignal(stoppedBy);
  return { runs, exitCode };
}
