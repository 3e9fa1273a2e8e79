// The terminal's latency-over-time line: values map to levels on a log scale, phase boundaries land
// in the right columns, long runs fold seconds into columns by their worst second, and the summary
// carries it only when asked.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asRunRecord } from '../../src/record/loadRecord.js';
import type { IntervalRecord, RunRecord } from '../../src/record/schema.js';
import {
  BOUNDARY,
  LEVELS_ASCII,
  LEVELS_UNICODE,
  columnValues,
  levelOf,
  phaseBoundaryColumns,
  renderFastSparklines,
  renderSparklines,
  scaleFor,
  secondsPerColumn,
  sparkline,
} from '../../src/reports/sparkline.js';
import { renderSummary } from '../../src/reports/summary.js';

const fixture = (): RunRecord =>
  asRunRecord(JSON.parse(readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8')), 'test/support/fixtures/run-record.json');

/**
 * The data characters of a rendered line: after the two-space indent, the label padded to the
 * widest label of the block, and two spaces; before the two spaces and the range.
 */
function lineOf(text: string, label: string): string {
  const rows = text.split('\n').slice(1);
  const width = Math.max(...rows.map((l) => l.slice(2).split('  ')[0]!.trimEnd().length));
  const line = rows.find((l) => l.slice(2, 2 + width).trimEnd() === label);
  if (!line) throw new Error(`no line for ${label} in:\n${text}`);
  return line.slice(2 + width + 2).replace(/ {2}(\d.*|no events)$/, '');
}

describe('levels on a log scale', () => {
  const scale = { lo: 1000, hi: 100_000 };

  it('the lowest value is level 0, the highest level 7, and the middle of the decades level 4', () => {
    expect(levelOf(1000, scale)).toBe(0);
    expect(levelOf(100_000, scale)).toBe(7);
    expect(levelOf(10_000, scale)).toBe(4); // half-way in log terms: floor(0.5 × 8)
    expect(levelOf(9_999, scale)).toBe(3);
  });

  it('values outside the scale clamp to its ends; zero and negative values are the bottom', () => {
    expect(levelOf(10, scale)).toBe(0);
    expect(levelOf(0, scale)).toBe(0);
    expect(levelOf(-5, scale)).toBe(0);
    expect(levelOf(1e9, scale)).toBe(7);
  });

  it('every level is reachable, in order, and each step is the same ratio', () => {
    const ratio = (100_000 / 1000) ** (1 / 8);
    const levels = Array.from({ length: 8 }, (_, i) => levelOf(1000 * ratio ** (i + 0.5), scale));
    expect(levels).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('the scale spans at least two decades, so noise stays low and a rise climbs', () => {
    expect(scaleFor([{ label: 'a', values: [3000, 6000, null], boundaries: [] }])).toEqual({ lo: 3000, hi: 300_000 });
    expect(scaleFor([{ label: 'a', values: [3000, 9_000_000], boundaries: [] }])).toEqual({ lo: 3000, hi: 9_000_000 });
    expect(scaleFor([{ label: 'a', values: [null, null], boundaries: [] }])).toBeNull();
    // 3 ms noise doubling is one level; a tenfold HOL rise is four
    const s = scaleFor([{ label: 'a', values: [3000], boundaries: [] }])!;
    expect(levelOf(6000, s)).toBe(1);
    expect(levelOf(30_000, s)).toBe(4);
  });
});

describe('sparkline characters', () => {
  const scale = { lo: 1000, hi: 100_000 };

  it('maps values to block elements, blanks where nothing was intended, and marks boundaries before their column', () => {
    expect(sparkline([null, 1000, 10_000, 100_000], [1, 3], scale)).toBe(' |▁▅|█');
    expect(sparkline([1000, 100_000], [2], scale)).toBe('▁█|');
    expect(sparkline([1000, 100_000], [1, 1], scale)).toBe('▁||█');
  });

  it('the ASCII fallback has eight distinct plain characters and no block elements', () => {
    expect(new Set(LEVELS_ASCII).size).toBe(8);
    expect(/^[\x20-\x7e]+$/.test(LEVELS_ASCII)).toBe(true);
    expect(LEVELS_ASCII).not.toContain(BOUNDARY);
    const line = sparkline([1000, 10_000, 100_000], [1], scale, true);
    expect(line).toBe(`${LEVELS_ASCII[0]}|${LEVELS_ASCII[4]}${LEVELS_ASCII[7]}`);
    expect([...LEVELS_UNICODE]).toHaveLength(8);
  });
});

describe('from a record fixture (warmup 0–1 s, baseline 1–3 s, stress 3–6 s)', () => {
  const record = fixture();

  it('one column per second, phase marks before seconds 1 and 3', () => {
    expect(secondsPerColumn(record)).toBe(1);
    expect(phaseBoundaryColumns(record, 1)).toEqual([1, 3]);
    // the fast group's p99 per second, straight from the intervals
    const fastP99 = record.intervals.filter((iv) => iv.group === 'fast').map((iv) => iv.p99Us);
    expect(columnValues(record, ['fast'], 1)).toEqual(fastP99);
  });

  it('the fast line climbs in stress, the stalled group is blank before it joins; both on one scale', () => {
    const text = renderSparklines(record);
    // fast: ~1.9 ms in warmup and baseline (bottom), ~50 ms in stress: 29× on a 100× scale, level 5
    expect(lineOf(text, 'fast')).toBe('▁|▁▁|▆▆▆');
    // stalled: nothing intended before stress (its intervals are empty), ~2.6–3 ms after
    expect(lineOf(text, 'stalled')).toBe(' |  |▁▁▁');
    const heading = text.split('\n')[0]!;
    expect(heading).toContain('p99 per second');
    expect(heading).toContain('▁ 1.88ms … █ 188.0ms');
    expect(heading).toContain('| between warmup | baseline | stress');
    expect(text).toMatch(/fast +▁\|▁▁\|▆▆▆ {2}1\.88ms … 55\.0ms/);
  });

  it('the data columns line up under one another whatever the labels', () => {
    const lines = renderSparklines(record).split('\n').slice(1);
    const starts = lines.map((l) => l.search(/[▁▂▃▄▅▆▇█|]/));
    // the stalled line starts with a blank column, then its first mark: one column later than fast's first data
    expect(starts[1]).toBe(starts[0]! + 1);
  });

  it('ASCII: the same columns in plain characters', () => {
    const text = renderSparklines(record, { ascii: true });
    expect(lineOf(text, 'fast')).toBe(`${LEVELS_ASCII[0]}|${LEVELS_ASCII[0]}${LEVELS_ASCII[0]}|${LEVELS_ASCII[5]!.repeat(3)}`);
    expect(/^[\x20-\x7e\n]*$/.test(text.replace(/µ|…/g, ''))).toBe(true);
  });

  it('a run longer than the columns folds seconds together by their worst second; boundaries go to the nearest column edge', () => {
    expect(secondsPerColumn(record, 3)).toBe(2);
    expect(phaseBoundaryColumns(record, 2)).toEqual([1, 2]); // 1 s → 0.5 → column 1; 3 s → 1.5 → column 2
    const ivs = record.intervals.filter((iv) => iv.group === 'fast');
    expect(columnValues(record, ['fast'], 2)).toEqual([
      Math.max(ivs[0]!.p99Us, ivs[1]!.p99Us),
      Math.max(ivs[2]!.p99Us, ivs[3]!.p99Us),
      Math.max(ivs[4]!.p99Us, ivs[5]!.p99Us),
    ]);
    const text = renderSparklines(record, { columns: 3 });
    expect(text.split('\n')[0]).toContain('p99 per 2 s (worst second)');
    expect(lineOf(text, 'fast')).toBe('▁|▆|▆');
  });

  it('phase starts off whole seconds are marked at the nearest column edge', () => {
    const r = structuredClone(record);
    r.phases = [
      { name: 'warmup', role: 'warmup', startUs: 0, durationUs: 1_400_000 },
      { name: 'baseline', role: 'baseline', startUs: 1_400_000, durationUs: 1_200_000 },
      { name: 'stress', role: 'stress', startUs: 2_600_000, durationUs: 3_400_000 },
    ];
    expect(phaseBoundaryColumns(r, 1)).toEqual([1, 3]);
  });

  it('churn groups (connects, not deliveries) and seconds with no intended event are not drawn as latency', () => {
    const r = structuredClone(record);
    r.groups.push({ ...structuredClone(r.groups[0]!), name: 'churners', kind: 'churn' });
    const quiet: IntervalRecord = { ...r.intervals[0]!, group: 'fast', startUs: 6_000_000, delivered: 0, missing: 0, p99Us: 0 };
    r.intervals.push(quiet);
    r.durationUs = 7_000_000;
    const text = renderSparklines(r);
    expect(text).not.toContain('churners');
    expect(lineOf(text, 'fast')).toBe('▁|▁▁|▆▆▆ ');
  });

  it('a record without intervals draws nothing', () => {
    expect(renderSparklines({ ...record, intervals: [] })).toBe('');
  });
});

describe('several runs on one scale (the demo)', () => {
  it('a flat run stays at the bottom beside one that climbs', () => {
    const climbing = fixture();
    const flat = structuredClone(climbing);
    for (const iv of flat.intervals) if (iv.group === 'fast') iv.p99Us = 1900;
    const text = renderFastSparklines([
      { name: 'legacy', record: climbing },
      { name: 'isolated', record: flat },
    ]);
    expect(lineOf(text, 'legacy fast')).toBe('▁|▁▁|▆▆▆');
    expect(lineOf(text, 'isolated fast')).toBe('▁|▁▁|▁▁▁');
  });
});

describe('in the terminal summary', () => {
  const record = fixture();

  it('only when the caller asks for it, between the table and the verdict', () => {
    expect(renderSummary(record)).not.toContain('latency over time');
    expect(renderSummary(record, false, { sparkline: false })).not.toContain('latency over time');
    const text = renderSummary(record, false, { sparkline: { ascii: true } });
    const at = text.indexOf('latency over time');
    expect(at).toBeGreaterThan(text.indexOf('Latency is receive time'));
    expect(at).toBeLessThan(text.indexOf('verdict: HOL'));
  });
});

describe('a rescaled timeline', () => {
  it('a sliver past the last whole second joins the last column instead of making a blank one', () => {
    const r = fixture();
    r.durationUs = 6_010_000;
    const last = r.intervals.find((iv) => iv.group === 'fast' && iv.startUs === 5_000_000)!;
    r.intervals.push({ ...last, startUs: 6_000_000, p99Us: 190_000 });
    const values = columnValues(r, ['fast'], 1);
    expect(values).toHaveLength(6);
    expect(values[5]).toBe(190_000);
  });
});
