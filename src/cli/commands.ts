// The list of subcommands; each lives in its own file and registers itself here.
import type { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerDemo, registerRun } from './run.js';
import { registerReport } from './report.js';
import { registerCompare } from './compare.js';
import { registerMerge } from './merge.js';

export function registerCommands(program: Command): void {
  registerServe(program);
  registerRun(program);
  registerDemo(program);
  registerReport(program);
  registerCompare(program);
  registerMerge(program);
}
