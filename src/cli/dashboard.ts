// `--dashboard [PORT]` on `run` and `demo`: starts the live dashboard on 127.0.0.1, feeds it each
// run's record as it forms and the final one, and after the runs keeps serving for
// `--dashboard-linger` (default 5 minutes, 0 to exit at once) or until Ctrl-C.
import type { Command } from 'commander';
import { startDashboard, type Dashboard } from '../dashboard/server.js';
import type { RunRecord } from '../record/schema.js';
import { redactStrings } from '../util/redact.js';
import type { LiveUpdate, ProgressSnapshot } from '../runner/run.js';
import { UserError } from '../util/errors.js';
import { durationFlagMs, formatUs } from '../util/units.js';

export interface DashboardFlags {
  dashboard?: boolean | string;
  dashboardLinger?: string;
}

export const DEFAULT_LINGER = '5m';

export function addDashboardOptions(cmd: Command): Command {
  return cmd
    .option('--dashboard [port]', 'watch the run live in a browser: a page on 127.0.0.1 (a free port unless given), its URL on stderr')
    .option(
      '--dashboard-linger <time>',
      `with --dashboard: keep serving the final records this long after the runs (0: exit at once; Ctrl-C ends it)`,
      DEFAULT_LINGER,
    );
}

/** What `execute` calls for each run. */
export interface DashboardHooks {
  onProgress(name: string, p: ProgressSnapshot): void;
  onLive(name: string, u: LiveUpdate): void;
  /** Whether a page watches: the runner builds live records only while one does. */
  watched(): boolean;
  onFinal(name: string, record: RunRecord): void;
}

export interface DashboardSession extends DashboardHooks {
  dashboard: Dashboard;
  /** Serves the final records until the linger time is over or Ctrl-C, then stops the server. */
  lingerAndClose(say: (line: string) => void): Promise<void>;
}

function parsePort(value: boolean | string): number {
  if (value === true) return 0;
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    throw new UserError(`--dashboard: expected a port from 0 to 65535, got "${String(value)}"`);
  return Number(text);
}

export async function openDashboard(
  flags: DashboardFlags,
  title: string,
  say: (line: string) => void,
): Promise<DashboardSession | undefined> {
  if (flags.dashboard === undefined || flags.dashboard === false) return undefined;
  const port = parsePort(flags.dashboard);
  const lingerMs = durationFlagMs('--dashboard-linger', flags.dashboardLinger ?? DEFAULT_LINGER);
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({ port, title });
  } catch (err) {
    throw new UserError(`--dashboard: cannot listen on 127.0.0.1:${port}: ${(err as Error).message}`);
  }
  say(`dashboard: ${dashboard.url}`);
  return {
    dashboard,
    onProgress: (name, p) => dashboard.progress(name, { phase: p.phase, elapsedUs: p.elapsedUs, totalUs: p.totalUs }),
    // the live record is provisional: what a target said in it has not been through buildRecord's redaction
    onLive: (name, u) =>
      dashboard.update({ name, record: redactStrings(u.record), clients: redactStrings(u.clients), costUs: u.costUs, final: false }),
    watched: () => dashboard.watched(),
    onFinal: (name, record) => dashboard.update({ name, record, final: true }),
    async lingerAndClose(sayLine) {
      dashboard.finish();
      if (lingerMs > 0) {
        sayLine(`dashboard: serving the final records at ${dashboard.url} for ${formatUs(lingerMs * 1000)} (Ctrl-C to stop now)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, lingerMs);
          function done(): void {
            clearTimeout(timer);
            process.off('SIGINT', done);
            process.off('SIGTERM', done);
            resolve();
          }
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
        });
      }
      await dashboard.close();
    },
  };
}
