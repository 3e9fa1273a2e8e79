// The terminal's view of a record is made once: a renderer given a view (or a part of one) uses it as
// it is instead of copying it again; encoded series are kept as they are, everything else made safe.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/record/schema.js';
import { terminalView } from '../../src/reports/terminalView.js';
import { fixtureRecord } from '../support/fixtureRecord.js';

const ESC = '\u001b[31m';

function hostile(): RunRecord {
  const r = structuredClone(fixtureRecord());
  const fast = r.groups.find((g) => g.name === 'fast')!;
  fast.clientResults[0]!.closeReason = `bye${ESC}`;
  fast.ages = { tickUs: 10_000, together: `QUJD${ESC}`, any: 'QUJD' };
  r.generator.lagTicks = 'QUJD';
  return r;
}

describe('terminalView', () => {
  it('copies a record once: a view, or any part of one, comes back as it is', () => {
    const r = hostile();
    const view = terminalView(r);
    expect(view).not.toBe(r);
    expect(terminalView(view)).toBe(view);
    const client = view.groups.find((g) => g.name === 'fast')!.clientResults[0]!;
    expect(terminalView(client)).toBe(client);
    expect(terminalView(view.groups)).toBe(view.groups);
  });

  it('escapes what it prints, and keeps encoded series (histograms, ages, lag) as they are', () => {
    const view = terminalView(hostile());
    const fast = view.groups.find((g) => g.name === 'fast')!;
    expect(fast.clientResults[0]!.closeReason).not.toContain('\u001b');
    expect(fast.ages!.together).toBe(`QUJD${ESC}`); // decoded, never printed: not walked
    expect(view.generator.lagTicks).toBe('QUJD');
    expect(fast.phases.stress!.histogram).toMatch(/^HISTF/);
  });

  it('a key of that name whose value is not a string is walked like any other', () => {
    const view = terminalView({ together: { reason: `x${ESC}` }, any: [`y${ESC}`] });
    expect(view.together.reason).not.toContain('\u001b');
    expect(view.any[0]).not.toContain('\u001b');
  });
});
