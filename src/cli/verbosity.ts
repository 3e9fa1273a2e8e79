// `--quiet` and `--verbose`, and what the end of a run looks like on this terminal: whether the
// latency sparkline is drawn, in block elements or plain ASCII, and how wide.
import { Option, type Command } from 'commander';
import type { SparklineOptions } from '../reports/sparkline.js';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface VerbosityFlags {
  quiet?: boolean;
  verbose?: boolean;
}

export const quietOption = (description: string): Option => new Option('-q, --quiet', description).conflicts('verbose');
export const verboseOption = (description: string): Option => new Option('-v, --verbose', description).conflicts('quiet');

export function addVerbosityOptions(cmd: Command, what: { quiet: string; verbose: string }): Command {
  return cmd.addOption(quietOption(what.quiet)).addOption(verboseOption(what.verbose));
}

export function verbosityOf(flags: VerbosityFlags): Verbosity {
  return flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
}

const set = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

/** The first locale variable that is set decides, as in C: LC_ALL, then LC_CTYPE, then LANG. */
export function utf8Locale(env: NodeJS.ProcessEnv): boolean {
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '');
  return locale !== undefined && /utf-?8/i.test(locale);
}

/**
 * The sparkline at the end of a run: on a terminal, in a CI log (where no browser is), or when
 * asked with --verbose; never with --quiet. Block elements need a UTF-8 terminal; CI logs and
 * NO_COLOR get plain ASCII. One column per second up to the terminal's width.
 */
export function sparklineView(
  verbosity: Verbosity,
  stream: { isTTY?: boolean; columns?: number } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): SparklineOptions | false {
  if (verbosity === 'quiet') return false;
  const ci = set(env.CI);
  if (!stream.isTTY && !ci && verbosity !== 'verbose') return false;
  // NO_COLOR counts when set to anything but the empty string (no-color.org)
  const ascii = ci || (env.NO_COLOR ?? '') !== '' || !utf8Locale(env);
  // label, range and phase marks take about 40 characters beside the data
  const columns = Math.max(20, Math.min(120, (stream.isTTY && stream.columns ? stream.columns : 100) - 40));
  return { ascii, columns };
}

/** What `run` and `demo` hand to `execute` for their terminal output. */
export function terminalOutput(flags: VerbosityFlags): { verbosity: Verbosity; sparkline: SparklineOptions | false } {
  const verbosity = verbosityOf(flags);
  return { verbosity, sparkline: sparklineView(verbosity) };
}
