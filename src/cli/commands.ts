// The list of subcommands; each lives in its own file and registers itself here.
import type { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerDemo, registerRun } from './run.js';
import { registerReport } from './report.js';
import { registerCompare } from './compare.js';
import { registerMerge } from './merge.js';
import { registerSchema, registerVersion } from './schema.js';
import { withEnvironment } from './conventions.js';
import { groupOptions } from './optionGroups.js';

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
  groupOptions(program);
}
