// JUnit XML for CI test tabs: one test case per threshold (and one for the HOL verdict when the run
// fails on it); a failure carries the measured value and the bound.
import type { RunRecord } from '../record/schema.js';
import { checkRows, shardLine } from './outcomes.js';
import { escapeXml } from '../util/untrusted.js';

export interface JunitOptions {
  failOnHol?: boolean;
}

export function renderJunit(record: RunRecord, opts: JunitOptions = {}): string {
  const checks = checkRows(record, !!opts.failOnHol);
  // a shard's checks wait for the merge of the shards: skipped, not errors (unless it is not a result)
  const shard = record.hol.verdict === 'invalid' ? undefined : shardLine(record);
  const failures = checks.filter((c) => c.judged && !c.passed).length;
  // a check not judged in a run that is not a result is an error (never a pass); in a run that is a
  // result it is skipped, with its own reason (too few events) or, on a shard, the merge it waits for
  const notAResult = record.hol.verdict === 'invalid';
  const errors = notAResult ? checks.filter((c) => !c.judged).length : 0;
  const skipped = notAResult ? 0 : checks.filter((c) => !c.judged).length;
  const suite = `evbench.${record.scenario.name}`;
  const time = (record.durationUs / 1e6).toFixed(3);
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<testsuites name="evbench" tests="${checks.length}" failures="${failures}" errors="${errors}" time="${time}">`);
  out.push(`  <testsuite name="${escapeXml(suite)}" tests="${checks.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}" timestamp="${escapeXml(String(record.startedAt).replace(/Z$/, ''))}">`);
  out.push('    <properties>');
  const props: [string, string][] = [
    ['scenario', record.scenario.name],
    ['target', record.target.kind === 'embedded' ? `embedded (${record.target.mode ?? '?'})` : record.target.url],
    ['hol.verdict', record.hol.verdict],
    ['hol.index', record.hol.index === null ? 'n/a' : String(record.hol.index)],
    ['generator.bound', String(record.generator.bound)],
    ['partial', String(record.partial)],
  ];
  if (record.shard) props.push(['shard', `${record.shard.index}/${record.shard.count}`]);
  if (record.mergedFrom) props.push(['mergedFrom', String(record.mergedFrom.shards)]);
  for (const [k, v] of props) out.push(`      <property name="${escapeXml(k)}" value="${escapeXml(v)}"/>`);
  out.push('    </properties>');
  for (const c of checks) {
    const classname = c.name.startsWith('hol verdict') ? `${suite}.hol` : `${suite}.thresholds`;
    const open = `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(c.name)}" time="0"`;
    if (!c.judged && !notAResult) {
      out.push(`${open}>`);
      out.push(`      <skipped message="${escapeXml(shard ?? c.message)}"/>`);
      out.push('    </testcase>');
    } else if (!c.judged) {
      out.push(`${open}>`);
      out.push(`      <error type="invalid" message="${escapeXml(`not judged: ${record.hol.summary}`)}">${escapeXml(c.message)}</error>`);
      out.push('    </testcase>');
    } else if (c.passed) {
      out.push(`${open}/>`);
    } else {
      out.push(`${open}>`);
      out.push(`      <failure type="${c.name.startsWith('hol verdict') ? 'hol' : 'threshold'}" message="${escapeXml(`measured ${c.measured}, bound ${c.bound}`)}">${escapeXml(c.message)}</failure>`);
      out.push('    </testcase>');
    }
  }
  const notes = [record.hol.summary, ...record.warnings.map((w) => `warning: ${w}`)];
  out.push(`    <system-out>${notes.map((n) => escapeXml(n)).join('\n')}</system-out>`);
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
