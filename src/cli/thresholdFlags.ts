// `--threshold 'key: expression'` flags, shared by run and report: validated here so a syntax error
// is one line naming the flag, the expression and the column, and a group or phase the scenario lacks
// is refused before anything runs.
import {
  parseThresholdFlag,
  parseThresholdKey,
  parseThresholds,
  ThresholdSyntaxError,
  unknownThresholdName,
} from '../scenario/thresholdGrammar.js';
import { UserError } from '../util/errors.js';

/**
 * Adds `--threshold` flags to a scenario's thresholds (validated: a syntax error, or a group or
 * phase not among `names`, is a UserError).
 */
export function withThresholdFlags(
  thresholds: Record<string, string[]>,
  flags: string[],
  names?: { groups: string[]; phases: string[] },
): Record<string, string[]> {
  const out = structuredClone(thresholds);
  for (const t of flags) {
    try {
      const { key, expression } = parseThresholdFlag(t);
      parseThresholds(key, [expression]);
      const unknown = names && unknownThresholdName(parseThresholdKey(key), names);
      if (unknown) throw new UserError(`--threshold '${t}': ${unknown}`);
      (out[key] ??= []).push(expression);
    } catch (err) {
      if (err instanceof ThresholdSyntaxError) throw new UserError(`--threshold ${err.message}`);
      throw err;
    }
  }
  return out;
}

/**
 * `--threshold latency p(99)<50ms` unquoted: the shell made two arguments of it, and commander would
 * say "too many arguments". Names the flag and shows the quoting; undefined when no such split.
 */
export function unquotedThreshold(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--threshold') continue;
    const key = argv[i + 1];
    const rest = argv[i + 2];
    if (key === undefined || rest === undefined || rest.startsWith('-')) continue;
    const m = /^([A-Za-z]+(?:\{[^}]*\})?)(:?)$/.exec(key);
    if (!m) continue;
    const what = m[2] ? 'the key and the expression are one argument' : "expected ':' between the key and the expression, as one argument";
    return `--threshold "${key}": ${what}: --threshold '${m[1]}: ${rest}'`;
  }
  return undefined;
}
