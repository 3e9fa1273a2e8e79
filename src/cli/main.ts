// evbench's command line: a thin shell over the programmatic API (server, runner, reports).
import { Command, CommanderError } from 'commander';
import { UserError, EXIT_USAGE } from '../util/errors.js';
import { registerCommands } from './commands.js';
import { terminalSafe } from '../util/untrusted.js';
import { redactStream } from '../util/redact.js';
import { rememberGivenSecrets } from './secretArgs.js';
import { unquotedThreshold } from './thresholdFlags.js';
import { missingOptionValue, nameEnvSource, packageVersion } from './conventions.js';

// every secret given is masked in whatever reaches the terminal, whichever code path prints it
rememberGivenSecrets(process.argv.slice(2));
redactStream(process.stderr);

const program = new Command('evbench')
  .description('Find head-of-line blocking in websocket event servers.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .option('--debug', 'print stack traces for unexpected errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCommands(program);

program.addHelpText(
  'after',
  `
Examples:
  evbench demo                                   # legacy vs isolated server, side by side (about a minute)
  evbench run slow-client                        # a built-in scenario against the embedded server
  evbench run slow-client --mode legacy --fail-on-hol
  evbench run ./my-scenario.json --rate 2000 --clients fast=50 --duration 30s
  EVBENCH_PUBLISHER_TOKEN=pub evbench run slow-client --target ws://127.0.0.1:8080/websocket
  evbench serve --port 8080 --publisher-token-file ./pub.token
  evbench report reports/slow-client.json --format md,html
  evbench compare base.json new.json
  evbench schema > scenario.schema.json

Every option of run and serve can also be set as EVBENCH_<NAME> (--rate → EVBENCH_RATE); a flag wins over it.
Run 'evbench <command> --help' for a command's options.`,
);

/** The subcommand whose action is running: errors about its flags may come from its environment variables. */
let acting: Command | undefined;
program.hook('preAction', (_program, action) => {
  acting = action;
});

function fail(err: unknown): never {
  if (err instanceof CommanderError) {
    // commander already printed its one-line message; help and version are not failures
    process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : EXIT_USAGE);
  }
  if (err instanceof UserError) {
    // a message may quote what a target said (a refusal body, a close reason): never raw on a terminal
    process.stderr.write(`evbench: ${terminalSafe(nameEnvSource(acting, err.message), { multiline: true })}\n`);
    process.exit(err.exitCode);
  }
  const debug = process.argv.includes('--debug');
  const e = err as Error;
  process.stderr.write(`evbench: internal error: ${terminalSafe(e?.message ?? String(err), { multiline: true })}\n`);
  if (debug && e?.stack) process.stderr.write(`${terminalSafe(e.stack, { multiline: true, max: 20_000 })}\n`);
  process.exit(70);
}

const missing = missingOptionValue(program, process.argv.slice(2)) ?? unquotedThreshold(process.argv.slice(2));
if (missing !== undefined) fail(new UserError(missing));
program.parseAsync(process.argv).catch(fail);
