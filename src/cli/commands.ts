// The list of subcommands; each lives in its own file and registers itself here.
import type { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerDemo, registerRun } from './run.js';
import { registerReport } from './report.js';
import { registerCompare } from './compare.js';
import { registerMerge } from './merge.js';
import { registerSchema, registerVersion } from './schema.js';
import { forgetOptionVariables, withEnvironment } from './conventions.js';
import { TOKEN_ENV } from '../protocol/serverSettings.js';
import { groupOptions } from './optionGroups.js';
import { takePrometheusToken } from './streamOut.js';

/** Serve's token flags read EVBENCH_TOKENS, EVBENCH_PUBLISHER_TOKEN and EVBENCH_METRICS_TOKEN themselves (serveSecrets.ts), after their files. */
const SERVE_OWN_ENV = ['--tokens', '--publisher-token', '--metrics-token'];

export function registerCommands(program: Command): void {
  registerServe(program);
  registerRun(program);
  registerDemo(program);
  registerReport(program);
  registerCompare(program);
  registerMerge(program);
  registerSchema(program);
  registerVersion(program);
  const command = (name: string): Command => program.commands.find((c) => c.name() === name)!;
  withEnvironment(command('run'));
  withEnvironment(command('demo'));
  withEnvironment(command('serve'), SERVE_OWN_ENV);
  // a run's children start clean: what the variables said is in the run's flags now
  for (const name of ['run', 'demo'])
    command(name).hook('preAction', () => {
      takePrometheusToken();
      forgetOptionVariables([command('run'), command('serve')], Object.values(TOKEN_ENV));
    });
  groupOptions(program);
}
