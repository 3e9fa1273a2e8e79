// evbench's command line: a thin shell over the programmatic API (server, runner, reports).
import { Command, CommanderError } from 'commander';
import { UserError, EXIT_USAGE } from '../util/errors.js';
import { registerCommands } from './commands.js';
import { terminalSafe } from '../util/untrusted.js';
import { redactStream } from '../util/redact.js';
import { rememberGivenSecrets } from './secretArgs.js';

// every secret given is masked in whatever reaches the terminal, whichever code path prints it
rememberGivenSecrets(process.argv.slice(2));
redactStream(process.stderr);

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
    // a message may quote what a target said (a refusal body, a close reason): never raw on a terminal
    process.stderr.write(`evbench: ${terminalSafe(err.message, { multiline: true })}\n`);
    process.exit(err.exitCode);
  }
  const debug = process.argv.includes('--debug');
  const e = err as Error;
  process.stderr.write(`evbench: internal error: ${terminalSafe(e?.message ?? String(err), { multiline: true })}\n`);
  if (debug && e?.stack) process.stderr.write(`${terminalSafe(e.stack, { multiline: true, max: 20_000 })}\n`);
  process.exit(70);
}

program.parseAsync(process.argv).catch(fail);
