// Finishes a run record, the one way for a single run and a merged one alike: the verdict, the
// thresholds (measured always, judged only when the run is a result) and the warnings every
// output repeats.
import { analyseHol } from './hol.js';
import { serverDisagreement, serverViewEvidence } from './serverViewEvidence.js';
import { evaluateThresholds } from './thresholds.js';
import type { RunRecord } from '../record/schema.js';
import type { Scenario } from '../scenario/types.js';

export const NOT_JUDGED = 'not judged: the run is not a result';

export function finalizeRecord(record: RunRecord, spec: Pick<Scenario, 'hol' | 'thresholds'>): RunRecord {
  record.hol = analyseHol(record, spec.hol);
  record.hol.evidence.push(...serverViewEvidence(record)); // the server's own view: evidence, not rules
  const judged = record.hol.verdict !== 'invalid';
  // a threshold on a verdict figure its rule could not judge is not judged either (thresholds.ts)
  record.thresholds = evaluateThresholds(record, spec.thresholds).map((t) =>
    !judged ? { ...t, judged: false, message: `${t.message} (${NOT_JUDGED})` } : t,
  );
  const warnings: string[] = [];
  if (record.generator.bound)
    warnings.push(`generator-bound: ${record.generator.reasons.join('; ')} — these numbers measure the load generator, not the server`);
  if (record.generator.replayBound)
    warnings.push(
      "the catch-up clients' thread was saturated: replay rates are a lower bound of what the server can replay (fast clients ran on other threads)",
    );
  if (record.partial) warnings.push(`partial run: ${record.partialReason}`);
  if (record.invalid) warnings.push(`invalid run: ${record.invalidReason}`);
  const disagreement = serverDisagreement(record);
  if (disagreement) warnings.push(disagreement);
  record.warnings = [...warnings, ...record.warnings.filter((w) => !warnings.includes(w))];
  return record;
}

/** Makes a judged record not a result after the fact (a merged record with a shard that was not one). */
export function markNotAResult(record: RunRecord, why: string): void {
  if (record.hol.verdict !== 'invalid') record.hol = { ...record.hol, verdict: 'invalid', summary: `NOT A RESULT: ${why}` };
  record.thresholds = record.thresholds.map((t) =>
    t.judged === false ? t : { ...t, judged: false, message: `${t.message} (${NOT_JUDGED})` },
  );
  record.warnings.push(`NOT A RESULT: ${why}`);
}
