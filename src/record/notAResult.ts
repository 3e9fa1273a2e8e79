// Whether a run record is a result at all: an invalid verdict, an invalid run (a worker failed) or a
// generator-bound run measured the load generator, not the server. compare refuses to rank one;
// merge keeps the meaning (a merged record with such a shard is itself not a result).
import type { RunRecord } from './schema.js';

/** Why a record is not a result, or null when it is one. */
export function notAResult(record: RunRecord): string | null {
  const reasons: string[] = [];
  if (record.hol.verdict === 'invalid') reasons.push(`verdict invalid${record.hol.summary ? ` (${record.hol.summary})` : ''}`);
  if (record.invalid) reasons.push(`invalid run (${record.invalidReason ?? 'a worker failed'})`);
  if (record.generator.bound)
    reasons.push(`generator-bound${record.generator.reasons.length ? ` (${record.generator.reasons.join('; ')})` : ''}`);
  return reasons.length ? reasons.join('; ') : null;
}
