// A threshold the run could not judge (a delivery ratio of too few events) is never shown as passed:
// Markdown counts it apart ("N passed, K not judged"), JUnit skips it with its own reason when the run
// is a result and keeps it an error when the run is not one.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/record/schema.js';
import { renderJunit } from '../../src/reports/junit.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { fixtureRecord } from '../support/fixtureRecord.js';

const FEW_EVENTS = 'hol deliveryRatio 0.95 >= 0.9 (not judged: too few events for a ratio to mean anything)';

/** The fixture with every threshold passed, and the first `unjudged` of them not judged for too few events. */
function withChecks(unjudged: number, verdict: RunRecord['hol']['verdict'] = 'none', failed = 0): RunRecord {
  const r = structuredClone(fixtureRecord());
  r.hol = { ...r.hol, verdict, summary: verdict === 'invalid' ? 'NOT A RESULT: generator-bound' : 'no head-of-line blocking' };
  r.thresholds = r.thresholds.map((t, i) =>
    i < unjudged
      ? { ...t, passed: false, judged: false, message: FEW_EVENTS }
      : { ...t, passed: i >= r.thresholds.length - failed ? false : true, judged: true },
  );
  return r;
}

describe('Markdown: "All N passed" only when every check was judged', () => {
  const line = (r: RunRecord): string => renderMarkdown(r).split('\n').find((l) => /passed|failed|Not judged/.test(l) && !l.startsWith('#') && !l.startsWith('|'))!;

  it('every check judged and passed: All N passed', () => {
    expect(line(withChecks(0))).toBe('All 5 passed.');
  });

  it('one check not judged: N passed, K not judged (never All passed)', () => {
    expect(line(withChecks(1))).toBe('4 passed, 1 not judged.');
    expect(renderMarkdown(withChecks(1))).not.toContain('All 5 passed');
  });

  it('a failure beside a check not judged says both', () => {
    expect(line(withChecks(1, 'none', 1))).toBe('**1 of 5 failed**, 1 not judged.');
    expect(line(withChecks(0, 'none', 2))).toBe('**2 of 5 failed.**');
  });
});

describe('JUnit: a check not judged is skipped with its own reason in a run that is a result', () => {
  it('a valid run: <skipped> with the threshold\'s message, no error', () => {
    const xml = renderJunit(withChecks(1));
    expect(xml).toContain(`<skipped message="${FEW_EVENTS.replace(/>/g, '&gt;')}"/>`);
    expect(xml).not.toContain('<error');
    expect(xml).toContain('errors="0" skipped="1"');
  });

  it('every check judged: nothing skipped', () => {
    const xml = renderJunit(withChecks(0));
    expect(xml).not.toContain('<skipped');
    expect(xml).toContain('errors="0" skipped="0"');
  });

  it('a run that is not a result: still an error (never a pass), not a skip', () => {
    const xml = renderJunit(withChecks(5, 'invalid'));
    expect(xml).not.toContain('<skipped');
    expect(xml.match(/<error type="invalid" message="not judged: NOT A RESULT: generator-bound"/g)).toHaveLength(5);
    expect(xml).toContain('errors="5" skipped="0"');
  });
});
