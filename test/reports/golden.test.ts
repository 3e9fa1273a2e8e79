// Golden files: the Markdown and JUnit reports of a fixed run record (test/support/fixtures/run-record.json,
// built by test/support/fixtureRecord.ts), compared as text. The goldens render the committed JSON,
// so a change to the HOL rules or the evaluator does not move them; after an intended change to the
// fixture or a renderer, regenerate with: UPDATE_GOLDEN=1 npx vitest run test/reports/golden.test.ts
// Golden files are committed: a missing one fails (a test that writes its own expectation cannot fail).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asRunRecord } from '../../src/record/loadRecord.js';
import { renderJunit } from '../../src/reports/junit.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { fixtureRecord } from '../support/fixtureRecord.js';

const fixtures = new URL('../support/fixtures/', import.meta.url);
const update = process.env.UPDATE_GOLDEN === '1';
const recordFile = new URL('run-record.json', fixtures);

if (update) writeFileSync(recordFile, `${JSON.stringify(fixtureRecord(), null, 2)}\n`);

/** Reads a committed golden file; missing is a failure that says how to create it on purpose. */
function readGolden(file: URL): string {
  if (!existsSync(file)) throw new Error(`golden file ${file.pathname} is missing: golden files are committed; create it on purpose with UPDATE_GOLDEN=1 npx vitest run test/reports/golden.test.ts and review the diff`);
  return readFileSync(file, 'utf8');
}

function golden(name: string, actual: string): void {
  const file = new URL(name, fixtures);
  if (update) writeFileSync(file, actual);
  expect(actual).toBe(readGolden(file));
}

describe('golden reports from a fixed run record', () => {
  const record = asRunRecord(JSON.parse(readGolden(recordFile)), 'test/support/fixtures/run-record.json');

  it('the fixture has real encoded histograms and a mix of passing and failing thresholds', () => {
    expect(record.groups[0]!.phases.stress!.histogram).toMatch(/^HISTF/);
    expect(record.hol.verdict).toBe('hol');
    expect(record.thresholds.map((t) => t.passed)).toEqual([true, false, false, false, true]);
  });

  it('Markdown: verdict first, thresholds with measured values, the table, generator health', () => {
    const md = renderMarkdown(record);
    golden('run-record.md', md);
    const lines = md.split('\n');
    expect(lines[0]).toBe('## evbench: fixture — ❌ failed');
    expect(lines[2]).toMatch(/^🔴 \*\*Verdict: HOL\*\* — HEAD-OF-LINE BLOCKING/);
    expect(md).toContain('| ❌ | `missing{group:fast}: count==0` | 6 | == 0 |');
    // text from the record that needs escaping is escaped (GitHub shows `<` either way): a code span would show it raw
    expect(md).toContain('| ✅ | <code>latency{group:fast,phase:stress}: p(99)&lt;100ms</code> | 55.0ms | &lt; 100ms |');
    expect(md).toContain('### Generator health');
  });

  it('JUnit: one test case per threshold and one for the HOL verdict; failures carry value and bound', () => {
    const xml = renderJunit(record, { failOnHol: true });
    golden('run-record.junit.xml', xml);
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml).toContain('tests="6" failures="4"');
    expect(xml).toContain('<failure type="threshold" message="measured 6, bound == 0">');
    expect(xml).toContain('<failure type="hol"');
    // without --fail-on-hol there is no HOL test case
    expect(renderJunit(record).match(/<testcase /g)).toHaveLength(5);
  });
});
