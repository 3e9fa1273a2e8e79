// The list of subcommands; each lives in its own file and registers itself here.
import type { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerDemo, registerRun } from './run.js';

export function registerCommands(program: Command): void {
  registerServe(program);
  registerRun(program);
  registerDemo(program);
}
