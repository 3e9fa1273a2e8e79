// Finishes a run record, the one way for a single run and a merged one alike: the verdict, the
// thresholds (measured always, judged only when the run is a result) and the warnings every
// output repeats.
import { analyseHol } from './hol.js';
import { serverDisagreement, serverViewEvidence } from './serverViewEvidence.js';
import { evaluateThresholds } from './thresholds.js';
import { noVerdict, type HolResult, type RunRecord } from '../record/schema.js';
import { recordBaseName } from '../record/loadRecord.js';
import type { Scenario } from '../scenario/types.js';

export const NOT_JUDGED = 'not judged: the run is not a result';

/**
 * A shard's verdict: none. It saw 1/N of the clients and of the load, beside N − 1 siblings it
 * cannot see, so a verdict of its own would judge part of a run (and a rule could fire on a
 * sibling's share); `evbench merge` judges the shards together. What stays is whether the shard
 * itself is a result (a failed worker, a bound generator, a run cut short): that the merge needs.
 */
function shardVerdict(record: RunRecord): HolResult {
  const { index, count } = record.shard!;
  const base = recordBaseName({ ...record, shard: undefined });
  return noVerdict(
    'unknown',
    `shard ${index}/${count}: measured, no verdict — merge the shards: evbench merge ${base}.shard-*-of-${count}.json -o ${base}.json`,
  );
}

/** Whether a record is one shard of several (it gives no verdict of its own). */
const isShard = (record: RunRecord): boolean => record.shard !== undefined && record.shard.count > 1;

export function finalizeRecord(record: RunRecord, spec: Pick<Scenario, 'hol' | 'thresholds'>): RunRecord {
  record.hol = analyseHol(record, spec.hol);
  const shard = isShard(record) && record.hol.verdict !== 'invalid';
  // a shard that is not a result says so, and why, without the rules' working: that is the merge's
  if (isShard(record))
    record.hol = shard ? shardVerdict(record) : { ...shardVerdict(record), verdict: 'invalid', summary: record.hol.summary };
  else record.hol.evidence.push(...serverViewEvidence(record)); // the server's own view: evidence, not rules
  const judged = record.hol.verdict !== 'invalid' && !shard;
  const notJudged = shard
    ? `not judged: shard ${record.shard!.index}/${record.shard!.count} alone; evbench merge judges the whole run`
    : NOT_JUDGED;
  // a threshold on a verdict figure its rule could not judge is not judged either (thresholds.ts)
  record.thresholds = evaluateThresholds(record, spec.thresholds).map((t) =>
    !judged ? { ...t, judged: false, message: `${t.message} (${notJudged})` } : t,
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
  // a shared server's view covers every shard's load: the merge sets it beside all the clients
  const disagreement = isShard(record) ? undefined : serverDisagreement(record);
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
