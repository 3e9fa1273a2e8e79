// evbench's command line: a thin shell over the programmatic API (server, runner, reports).
import { Command, CommanderError } from 'commander';
import { UserError, EXIT_USAGE } from '../util/errors.js';
import { registerCommands } from './commands.js';

const program = new Command('evbench')
  .description('Find head-of-line blocking in websocket event servers.')
  .option('--debug', 'print stack traces for unexpected errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCommands(program);

function fail(err: unknown): never {
  if (err instanceof CommanderError) {
    // commander already printed its one-line message; help and version are not failures
    process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : EXIT_USAGE);
  }
  if (err instanceof UserError) {
    process.stderr.write(`evbench: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  const debug = process.argv.includes('--debug');
  const e = err as Error;
  process.stderr.write(`evbench: internal error: ${e?.message ?? String(err)}\n`);
  if (debug && e?.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(70);
}

program.parseAsync(process.argv).catch(fail);
