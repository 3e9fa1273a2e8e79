// `--threshold 'key: expression'` flags, shared by run and report: validated here so a syntax error
// is one line naming the flag, the expression and the column.
import { parseThresholdFlag, parseThresholds, ThresholdSyntaxError } from '../scenario/thresholdGrammar.js';
import { UserError } from '../util/errors.js';

/** Adds `--threshold` flags to a scenario's thresholds (validated: a syntax error is a UserError). */
export function withThresholdFlags(thresholds: Record<string, string[]>, flags: string[]): Record<string, string[]> {
  const out = structuredClone(thresholds);
  for (const t of flags) {
    try {
      const { key, expression } = parseThresholdFlag(t);
      parseThresholds(key, [expression]);
      (out[key] ??= []).push(expression);
    } catch (err) {
      if (err instanceof ThresholdSyntaxError) throw new UserError(`--threshold ${err.message}`);
      throw err;
    }
  }
  return out;
}
