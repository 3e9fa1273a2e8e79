// The pass/fail lines every report shares: each threshold with its measured value beside its bound,
// and the HOL verdict as a check of its own when the run was asked to fail on it.
import type { RunRecord, ThresholdOutcome, Verdict } from '../record/schema.js';
import { formatMeasure } from '../verdict/thresholds.js';

export interface CheckRow {
  /** What was checked, e.g. `latency{group:fast,phase:stress}: p(99)<50ms` or `hol verdict`. */
  name: string;
  passed: boolean;
  /**
   * false when the check could not be judged: the run is not a result, or the figure it reads could
   * not be (a delivery ratio of too few events). Measured, but neither passed nor failed; never shown as passed.
   */
  judged: boolean;
  measured: string;
  bound: string;
  /** One sentence with both, as the evaluator wrote it. */
  message: string;
}

const OPERATOR = /(<=|>=|==|!=|<|>)/;

export function thresholdRow(t: ThresholdOutcome): CheckRow {
  // the bound as the user wrote it (`< 50ms`, `== false`): the unit they chose, even with no data
  const expression = t.threshold.slice(t.threshold.lastIndexOf(': ') + 2);
  const m = OPERATOR.exec(expression);
  return {
    name: t.threshold,
    passed: t.passed,
    judged: t.judged !== false,
    measured: t.measured === null ? 'no data' : formatMeasure(t.measured, t.unit),
    bound: m ? `${m[1]} ${expression.slice(m.index + m[1]!.length).trim()}` : formatMeasure(t.bound, t.unit),
    message: t.message,
  };
}

/** The verdict's label and tone, the same in every report. */
export const VERDICT_LABEL: Record<Verdict, { text: string; tone: 'ok' | 'bad' | 'warn' }> = {
  none: { text: 'none', tone: 'ok' },
  hol: { text: 'HOL', tone: 'bad' },
  disconnect: { text: 'DISCONNECT', tone: 'bad' },
  invalid: { text: 'INVALID (not a result)', tone: 'warn' },
  inconclusive: { text: 'INCONCLUSIVE (not tested)', tone: 'warn' },
  unknown: { text: 'unknown', tone: 'warn' },
};

/** How an evidence row reads: fired (✗), held (✓), could not judge (–), or context beside the rules (·). */
export type EvidenceMark = 'fired' | 'held' | 'not judged' | 'info';

export function evidenceMark(e: { triggered: boolean; informational?: boolean; judged?: boolean }): EvidenceMark {
  if (e.triggered) return 'fired';
  if (e.informational) return 'info';
  return e.judged === false ? 'not judged' : 'held';
}

/** The mark's symbol: a rule that could not judge is never shown as passed. */
export const EVIDENCE_SYMBOL: Record<EvidenceMark, string> = { fired: '✗', held: '✓', 'not judged': '–', info: '·' };

/** A verdict's label; a verdict this version does not know (a crafted or newer record) reads as unknown, shown as it was written. */
export function verdictLabel(v: Verdict): { text: string; tone: 'ok' | 'bad' | 'warn' } {
  return Object.hasOwn(VERDICT_LABEL, v) ? VERDICT_LABEL[v] : { text: `unknown (${String(v)})`, tone: 'warn' };
}

/**
 * What a shard says instead of a verdict (`evbench merge` judges the shards together): that it
 * measured and how to merge, or that it is not a result; undefined for any other record (and for a
 * shard record written when shards still judged themselves).
 */
export function shardLine(record: RunRecord): string | undefined {
  if (!record.shard || record.shard.count <= 1) return undefined;
  if (record.hol.verdict === 'unknown') return record.hol.summary;
  if (record.hol.verdict === 'invalid') return `shard ${record.shard.index}/${record.shard.count}: ${record.hol.summary}`;
  return undefined;
}

/** Verdicts that fail a run asked to fail on its verdict (`--fail-on-hol`). */
export const failingVerdict = (v: Verdict): boolean => v === 'hol' || v === 'disconnect';

export function holRow(record: RunRecord): CheckRow {
  const fired = record.hol.evidence.filter((e) => e.triggered);
  return {
    name: 'hol verdict (--fail-on-hol)',
    passed: !failingVerdict(record.hol.verdict),
    // a shard has no verdict to fail on: the merge has
    judged: record.hol.verdict !== 'invalid' && !(record.shard && record.shard.count > 1),
    measured: record.hol.verdict,
    bound: 'none',
    message: fired.length === 0 ? record.hol.summary : `${record.hol.summary}: ${fired.map((e) => `${e.rule}: measured ${e.measured}, bound ${e.bound}`).join('; ')}`,
  };
}

export function checkRows(record: RunRecord, failOnHol: boolean): CheckRow[] {
  const rows = record.thresholds.map(thresholdRow);
  if (failOnHol) rows.push(holRow(record));
  return rows;
}

export type RunStatus = 'passed' | 'failed' | 'not a result' | 'inconclusive';

/**
 * A run that is not a result never passes; a failed check fails it; a run that could not have seen
 * blocking (verdict `inconclusive`) does not pass either; otherwise every threshold, and the verdict
 * when asked to fail on it.
 */
export function runStatus(record: RunRecord, failOnHol: boolean): RunStatus {
  if (record.hol.verdict === 'invalid') return 'not a result';
  if (!checkRows(record, failOnHol).every((r) => r.passed || !r.judged)) return 'failed';
  return record.hol.verdict === 'inconclusive' ? 'inconclusive' : 'passed';
}
