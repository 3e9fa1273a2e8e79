// The list of subcommands; each lives in its own file and registers itself here.
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  void program;
}
