// What the e2e tests of real servers ask of a run: its record (or the stderr of a run that gave
// none), one group, and the exit code the run must have — loud when a busy machine made it no result.
import { afterEach } from 'vitest';
import type { RunRecord } from '../../src/record/schema.js';
import type { CliResult } from './cli.js';

/** The run record on stdout, or a failure that shows what the run said instead. */
export function record(r: Pick<CliResult, 'stdout' | 'stderr' | 'code'>): RunRecord {
  if (!r.stdout.trim()) throw new Error(`no run record (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as RunRecord;
}

export const group = (rec: RunRecord, name: string): RunRecord['groups'][number] => rec.groups.find((g) => g.name === name)!;

/** The exit code a run must have: `expected`, unless it was not a result (a starved generator on a busy machine: 4, said loudly). */
export function exitFor(rec: RunRecord, expected: number): number {
  // a run that passed everything but could not have seen blocking exits 5: never a pass
  if (rec.hol.verdict === 'inconclusive' && expected === 0) return 5;
  if (rec.hol.verdict !== 'invalid') return expected;
  console.warn(`${rec.scenario.name} run not a result: ${rec.hol.summary}`);
  return 4;
}

/** Servers and publishers a test started, stopped after it in reverse order (push their stop functions). */
export function stoppedAfterEach(): (() => unknown)[] {
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });
  return stops;
}

/**
 * A healthy server at a test's light load: never `hol` or `disconnect`; `none` when the slow clients
 * pushed back within the run, `inconclusive` when a short run could not fill the kernels between them
 * and the server (a stalled reader owed a few MB that the kernels still hold), `invalid` on a starved
 * generator. The tests that need `none` exactly use loads that push back.
 */
export const HEALTHY_VERDICTS = ['none', 'inconclusive', 'invalid'];
