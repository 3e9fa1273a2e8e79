// Ids no client received (server-emitted streams) are shown beside the missing count, labelled
// unknown, in the terminal and the reports; a record without any shows nothing of the kind.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/record/schema.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { renderHtml } from '../../src/reports/html.js';
import { phaseRows } from '../../src/reports/phaseRows.js';
import { renderSummary } from '../../src/reports/summary.js';
import { fixtureRecord } from '../support/fixtureRecord.js';

const FACT = "fast, stress: 3 ids no client received (unknown: not known to be this stream's, so not counted missing)";

function withUnseen(n: number | undefined): RunRecord {
  const r = structuredClone(fixtureRecord());
  const stress = r.groups.find((g) => g.name === 'fast')!.phases.stress!;
  if (n === undefined) delete stress.unseenIds;
  else stress.unseenIds = n;
  return r;
}

describe('ids no client received', () => {
  it('are on the missing row, labelled unknown, and said in a sentence (terminal, Markdown, HTML)', () => {
    const r = withUnseen(3);
    const row = phaseRows(r).find((x) => x.group === 'fast' && x.phase === 'stress')!;
    expect(row.cells[4]).toBe(`${row.missing} (+3 unknown)`);
    expect(renderSummary(r)).toContain(FACT);
    expect(renderSummary(r)).toContain(`${row.missing} (+3 unknown)`);
    expect(renderMarkdown(r)).toContain(FACT.replace(/'/g, "'"));
    expect(renderHtml(r)).toContain('3 ids no client received');
  });

  it('none (0, or a record from before they were counted): the row is the missing count alone, no sentence', () => {
    for (const r of [withUnseen(0), withUnseen(undefined)]) {
      const row = phaseRows(r).find((x) => x.group === 'fast' && x.phase === 'stress')!;
      expect(row.cells[4]).toBe(String(row.missing));
      expect(renderSummary(r)).not.toContain('no client received');
      expect(renderMarkdown(r)).not.toContain('no client received');
    }
  });
});
